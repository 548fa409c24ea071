import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Run from '../../../src/commands/run.js'
import {runCommand} from '../../helpers/run-command.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-cmd-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('halctl run: mistakes are typed errors, never stack traces', () => {
  it('an unreadable file', async () => {
    const r = await runCommand(Run, ['-f', join(dir, 'missing.conf'), '--json'])
    expect(r.exitCode).toBe(2)
    const j = JSON.parse(r.stdout) as {error: {code: string; message: string; hint: string}}
    expect(j.error.code).toBe('ENGINE_CONFIG')
    expect(j.error.message).toContain('cannot read')
  })

  it('an interface that does not exist, with the file:line of the instance', async () => {
    const f = join(dir, 'k.conf')
    await writeFile(
      f,
      'vrrp_instance VI_1 {\n  interface hen-nope0\n  virtual_router_id 5\n  authentication {\n    auth_type PASS\n    auth_pass t0psecr3t\n  }\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n',
    )
    const r = await runCommand(Run, ['-f', f, '--json'])
    expect(r.exitCode).toBe(5)
    const j = JSON.parse(r.stdout) as {error: {code: string; where: string; hint: string}}
    expect(j.error).toMatchObject({code: 'ENGINE_NO_INTERFACE', where: `${f}:1`})
    expect(r.stdout + r.stderr).not.toContain('t0psecr3')
  })

  it('a config without vrrp_instance', async () => {
    const f = join(dir, 'empty.conf')
    await writeFile(f, 'global_defs {\n  router_id x\n}\n')
    const r = await runCommand(Run, ['-f', f])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('has no vrrp_instance or virtual_server')
    expect(r.stderr).toContain('hint:')
  })
})
