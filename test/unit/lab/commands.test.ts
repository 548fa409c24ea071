import {afterEach, describe, expect, it, vi} from 'vitest'
import LabDown from '../../../src/commands/lab/down.js'
import LabExec from '../../../src/commands/lab/exec.js'
import LabStatus from '../../../src/commands/lab/status.js'
import LabUp from '../../../src/commands/lab/up.js'
import {runCommand} from '../../helpers/run-command.js'

describe('halctl lab without root', () => {
  afterEach(() => vi.restoreAllMocks())

  for (const [name, Cmd, argv] of [
    ['up', LabUp, []],
    ['down', LabDown, []],
    ['status', LabStatus, []],
    ['exec', LabExec, ['lb1', '--', 'hostname']],
  ] as const) {
    it(`lab ${name} says plainly that it needs root (exit 5)`, async () => {
      vi.spyOn(process, 'getuid').mockReturnValue(1000)
      const r = await runCommand(Cmd, ['--name', 'hlt', '--json', ...argv])
      expect(r.exitCode).toBe(5)
      const out = JSON.parse(r.stdout) as {error: {code: string; message: string; hint: string}}
      expect(out.error.code).toBe('NEED_ROOT')
      expect(out.error.message).toMatch(/needs root/)
    })
  }

  it('accepts --engine embedded (the root check comes next) and rejects an unknown engine (exit 2)', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000)
    const ok = await runCommand(LabUp, ['--name', 'hlt', '--engine', 'embedded', '--json'])
    expect(ok.exitCode).toBe(5)
    expect(JSON.parse(ok.stdout).error.code).toBe('NEED_ROOT')
    const bad = await runCommand(LabUp, ['--name', 'hlt', '--engine', 'vrrpd', '--json'])
    expect(bad.exitCode).not.toBe(0)
    expect(`${bad.error?.message ?? ''}${bad.stdout}${bad.stderr}`).toMatch(/keepalived, embedded, none/)
  })

  it('--engine-timeout takes whole seconds from 1 (the root check comes next); 0 is refused naming the flag (exit 2)', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000)
    const ok = await runCommand(LabUp, ['--name', 'hlt', '--engine', 'embedded', '--engine-timeout', '120', '--json'])
    expect(JSON.parse(ok.stdout).error.code).toBe('NEED_ROOT')
    const bad = await runCommand(LabUp, ['--name', 'hlt', '--engine', 'embedded', '--engine-timeout', '0', '--json'])
    // with --json a flag oclif cannot parse is a typed bad-input error (exit 2), not an internal one
    expect(bad.exitCode).toBe(2)
    expect(JSON.parse(bad.stdout).error).toEqual({
      code: 'BAD_FLAG',
      message: 'Parsing --engine-timeout: Expected an integer greater than or equal to 1 but received: 0',
      // (in-process the command has no id; the real binary says "halctl lab up --help")
      hint: expect.stringContaining('--help" lists every flag and its values'),
      exitCode: 2,
    })
    expect(LabUp.description).toContain('--engine-timeout')
  })

  it('documents each --engine value', () => {
    for (const v of ['keepalived', 'embedded', 'none']) expect(LabUp.description).toContain(`--engine ${v}`)
    expect(LabUp.flags.engine.options).toEqual(['keepalived', 'embedded', 'none'])
  })

  it('rejects a malformed --user before anything else (exit 2); accepts --user and --package-root (the root check comes next)', async () => {
    const bad = await runCommand(LabUp, ['--name', 'hlt', '--user', 'ops:sometimes', '--json'])
    expect(bad.exitCode).toBe(2)
    expect(JSON.parse(bad.stdout).error.code).toBe('LAB_BAD_USER')
    vi.spyOn(process, 'getuid').mockReturnValue(1000)
    const ok = await runCommand(LabUp, ['--name', 'hlt', '--user', 'ops', '--user', 'guest:none', '--package-root', '--json'])
    expect(ok.exitCode).toBe(5)
    expect(JSON.parse(ok.stdout).error.code).toBe('NEED_ROOT')
  })

  it('rejects a bad subnet before anything else (exit 2)', async () => {
    const r = await runCommand(LabUp, ['--name', 'hlt', '--subnet', 'fd00::/64', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error.code).toBe('LAB_BAD_SUBNET')
  })
})
