import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {embeddedEngineArgv, embeddedEngineFiles, packageRoot, resolveHalctlEntry} from '../../../src/lab/embedded.js'
import {LAB_ENGINES, planLab} from '../../../src/lab/plan.js'
import {HalError} from '../../../src/lib/errors.js'

describe('lab --engine embedded', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
  })
  const fakeRoot = (files: string[]) => {
    const d = mkdtempSync(join(tmpdir(), 'hem-root-'))
    dirs.push(d)
    for (const f of files) {
      mkdirSync(join(d, f, '..'), {recursive: true})
      writeFileSync(join(d, f), '')
    }
    return d
  }

  it('is a lab engine the plan carries', () => {
    expect(LAB_ENGINES).toContain('embedded')
    expect(planLab({name: 'hem', subnet: '10.208.0.0/24', hosts: 2, engine: 'embedded'}).engine).toBe('embedded')
  })

  it('starts the built CLI: bin/run.js of the package this module belongs to', () => {
    expect(packageRoot()).toBe(resolve(import.meta.dirname, '..', '..', '..'))
    const root = fakeRoot(['bin/run.js', 'dist/commands/run.js'])
    expect(resolveHalctlEntry(root)).toBe(join(root, 'bin', 'run.js'))
  })

  it('refuses with a build hint when dist is missing', () => {
    const root = fakeRoot(['bin/run.js'])
    let err: unknown
    try {
      resolveHalctlEntry(root)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(HalError)
    const h = err as HalError
    expect(h.code).toBe('LAB_NO_BUILD')
    expect(h.message).toContain(join(root, 'dist', 'commands', 'run.js'))
    expect(h.hint).toMatch(/run npm run build/)
    expect(h.exitCode).toBe(5)
  })

  it('runs halctl run on the host config with its node as config id, a clean environment and a status socket in the host /run', () => {
    const files = embeddedEngineFiles('/s/hosts/lb1', 'hem-lb1')
    expect(files).toEqual({
      config: '/s/hosts/lb1/keepalived.conf',
      pidFile: '/s/hosts/lb1/halctl-run.pid',
      log: '/s/hosts/lb1/halctl-run.log',
      statusSocket: '/run/halctl-run.sock',
      statusSocketOutside: '/run/halctl-lab/hosts/hem-lb1/halctl-run.sock',
    })
    const argv = embeddedEngineArgv({node: 'lb1', entry: '/repo/bin/run.js', nodeBin: '/usr/bin/node', files})
    expect(argv.slice(0, 2)).toEqual(['env', '-i'])
    expect(argv.filter((a) => a.includes('VITEST'))).toEqual([])
    expect(argv.slice(argv.indexOf('/usr/bin/node'))).toEqual([
      '/usr/bin/node',
      '/repo/bin/run.js',
      'run',
      '-f',
      '/s/hosts/lb1/keepalived.conf',
      '--config-id',
      'lb1',
      '--json-status',
      '/run/halctl-run.sock',
    ])
  })
})
