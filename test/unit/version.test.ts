import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'

const root = join(import.meta.dirname, '..', '..')

describe('halctl --version', () => {
  it('prints what oclif prints (its user agent), without loading oclif', async () => {
    const config = await Config.load(root)
    const out = execFileSync(process.execPath, [join(root, 'bin', 'run.js'), '--version'], {encoding: 'utf8'})
    expect(out).toBe(`${config.userAgent}\n`)
    // with more arguments after it, as oclif: only the first argument counts
    expect(execFileSync(process.execPath, [join(root, 'bin', 'run.js'), '--version', '--json'], {encoding: 'utf8'})).toBe(out)
    // no module of the framework is loaded (it is CommonJS: every load goes through Module._load)
    const dir = mkdtempSync(join(tmpdir(), 'halctl-version-'))
    try {
      const spy = join(dir, 'spy.cjs')
      writeFileSync(spy, "const M = require('module'); const load = M._load; M._load = function (r, ...a) { if (r.includes('@oclif')) process.stderr.write('loaded ' + r + '\\n'); return load.call(this, r, ...a) }")
      const run = (...args: string[]) => spawnSync(process.execPath, ['--require', spy, join(root, 'bin', 'run.js'), ...args], {encoding: 'utf8'})
      // the spy sees the framework when it loads
      expect(run('sniff', '--help').stderr).toContain('loaded @oclif/core')
      const version = run('--version')
      expect(version.stdout).toBe(out)
      expect(version.stderr).toBe('')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
