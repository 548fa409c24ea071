import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {redact} from '../../../src/lib/redact.js'
import {loadSpec, loadSpecText, renderCluster} from '../../../src/spec/index.js'

const spec = (pass: string) =>
  `cluster: s\nnodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\ninstances: [{name: V, vips: [10.0.0.9/24], auth: {type: PASS, pass: '${pass}'}}]\n`

describe('secrets in the spec', () => {
  it('env:VAR is read at render time and registered for redaction', () => {
    process.env.HAL_TEST_SECRET_1 = 'Zq8#kx'
    const r = renderCluster(loadSpecText(spec('env:HAL_TEST_SECRET_1'), 'x.yaml'))
    expect(r.nodes[0].config.instances[0].authentication).toEqual({type: 'PASS', pass: 'Zq8#kx'})
    expect(r.nodes[0].text).toContain('auth_pass "Zq8#kx"')
    expect(redact('value Zq8#kx here')).toBe('value ******** here')
  })

  it('file:PATH is relative to the spec file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-secret-'))
    writeFileSync(join(dir, 'vrrp.pass'), 'f1leP4ss\n')
    writeFileSync(join(dir, 'spec.yaml'), spec('file:vrrp.pass'))
    const r = renderCluster(await loadSpec(join(dir, 'spec.yaml')))
    expect(r.nodes[1].config.instances[0].authentication?.pass).toBe('f1leP4ss')
    expect(redact('f1leP4ss')).toBe('********')
  })

  it('a missing variable or file is a HalError with exit 2 that names where it is used', () => {
    delete process.env.HAL_TEST_MISSING
    const s = loadSpecText(spec('env:HAL_TEST_MISSING'), 'x.yaml')
    expect(() => renderCluster(s)).toThrow(expect.objectContaining({code: 'SECRET_MISSING', exitCode: 2, message: 'instances[0].auth.pass: environment variable HAL_TEST_MISSING is not set'}))
    expect(() => renderCluster(loadSpecText(spec('file:/nonexistent/p'), 'x.yaml'))).toThrow(/cannot read secret file \/nonexistent\/p: ENOENT/)
  })
})

describe('paths in the spec', () => {
  it('are made absolute: relative to the spec file, ~ to the home directory', async () => {
    const {homedir} = await import('node:os')
    const root = join(import.meta.dirname, '..', '..', '..')
    const s = await loadSpec(join(root, 'examples', 'nopreempt-raw.yaml'))
    expect(s.ssh?.configFile).toBe(join(root, 'examples', 'ssh_config'))
    expect(s.defaults?.ssh?.identityFile).toBe(join(homedir(), '.ssh', 'id_ed25519'))
    expect(s.instances[0].auth?.pass).toBe(`file:${join(root, 'examples', 'db-vrrp.pass')}`)
    const r = renderCluster(s)
    expect(r.nodes.map((n) => n.ssh)).toEqual([
      {host: 'db1.example.net', port: 2222, user: 'admin', identityFile: join(homedir(), '.ssh', 'id_ed25519')},
      {host: 'db2.example.net', port: 22, user: 'admin', identityFile: join(homedir(), '.ssh', 'id_ed25519')},
    ])
  })
})
