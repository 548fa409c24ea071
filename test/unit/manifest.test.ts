import {execFileSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

const root = join(import.meta.dirname, '..', '..')

describe('oclif.manifest.json', () => {
  it('is committed and matches the commands in dist/', () => {
    const committed = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
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
