import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

const root = join(import.meta.dirname, '..', '..')

describe('oclif.manifest.json', () => {
  it('is committed (HEAD) and matches the commands in dist/', () => {
    // the committed version: the build rewrites the file in the working tree, so read it from git when we can
    const fromGit = spawnSync('git', ['show', 'HEAD:oclif.manifest.json'], {cwd: root, encoding: 'utf8'})
    const committed = JSON.parse(fromGit.status === 0 ? fromGit.stdout : readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
    // regenerate into a scratch copy of the package so the working tree is not touched
    const scratch = mkdtempSync(join(tmpdir(), 'halctl-manifest-'))
    try {
      for (const f of ['package.json', 'dist', 'bin']) cpSync(join(root, f), join(scratch, f), {recursive: true})
      symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'))
      execFileSync(join(root, 'node_modules', '.bin', 'oclif'), ['manifest'], {cwd: scratch, stdio: 'pipe'})
      const fresh = JSON.parse(readFileSync(join(scratch, 'oclif.manifest.json'), 'utf8'))
      expect(Object.keys(committed.commands).sort()).toEqual(Object.keys(fresh.commands).sort())
      expect(committed).toEqual(fresh)
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })
})
