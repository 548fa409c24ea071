import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import Import, {type ImportCommandResult} from '../../../src/commands/import.js'
import {loadSpec} from '../../../src/spec/index.js'
import {runCommand} from '../../helpers/run-command.js'
import {roundTrip} from './corpus-helpers.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'configs')
const lb1 = join(FIXTURES, 'pair-good', 'lb1.conf')
const lb2 = join(FIXTURES, 'pair-good', 'lb2.conf')

describe('halctl import', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'halctl-import-'))
  })
  afterEach(() => {
    rmSync(dir, {recursive: true, force: true})
    delete process.env.HAL_VRRP_PASS
  })

  it('--json: the pinned shape; a matched pair round-trips without raw; no secret in the output', async () => {
    const r = await runCommand<ImportCommandResult>(Import, [lb1, lb2, '--cluster', 'web', '-o', join(dir, 'web.yaml'), '--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as ImportCommandResult
    expect(Object.keys(json).sort()).toEqual(['cluster', 'envFile', 'findings', 'instances', 'nodes', 'raw', 'roundTrip', 'scripts', 'secrets', 'spec', 'summary', 'unrepresented'])
    expect(json.summary).toEqual({nodes: 2, instances: 1, raw: 0, errors: 0, warnings: 0, roundTrip: true})
    expect(json.nodes.map((n) => [n.name, n.address, n.addressFrom])).toEqual([
      ['lb1', '10.0.0.11', 'unicast_src_ip'],
      ['lb2', '10.0.0.12', 'unicast_src_ip'],
    ])
    expect(Object.keys(json.nodes[0]).sort()).toEqual(['address', 'addressFrom', 'file', 'files', 'name'])
    expect(json.instances).toEqual([{name: 'VI_web', vrid: 51, interface: 'eth0', nodes: ['lb1', 'lb2'], inRaw: false}])
    expect(json.secrets).toEqual([{env: 'HAL_VRRP_PASS', where: 'vrrp_instance VI_web authentication'}])
    expect(json.scripts).toEqual([
      {node: 'lb1', command: '/usr/bin/pgrep nginx', path: '/usr/bin/pgrep', where: 'vrrp_script chk_web'},
      {node: 'lb2', command: '/usr/bin/pgrep nginx', path: '/usr/bin/pgrep', where: 'vrrp_script chk_web'},
    ])
    expect(json.roundTrip).toEqual([
      {node: 'lb1', equal: true},
      {node: 'lb2', equal: true},
    ])
    expect(json.raw).toEqual([])
    expect(json.unrepresented).toEqual([])
    expect(r.stdout + r.stderr).not.toContain('s3cret')
  })

  it('writes the spec and a 0600 env file; the spec loads and names the secret only by reference', async () => {
    const out = join(dir, 'web.yaml')
    const r = await runCommand<ImportCommandResult>(Import, [lb1, lb2, '--cluster', 'web', '-o', out])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toContain('round trip (rendered config parses to the original\'s model): lb1 same, lb2 same')
    expect(r.stdout + r.stderr).not.toContain('s3cret')
    const yaml = readFileSync(out, 'utf8')
    expect(yaml).not.toContain('s3cret')
    expect(yaml).toContain('pass: env:HAL_VRRP_PASS')
    const env = join(dir, 'web.env')
    expect(statSync(env).mode & 0o777).toBe(0o600)
    expect(readFileSync(env, 'utf8')).toBe("export HAL_VRRP_PASS='s3cret'\n")
    process.env.HAL_VRRP_PASS = 's3cret'
    const spec = await loadSpec(out)
    expect(spec.nodes.map((n) => n.name)).toEqual(['lb1', 'lb2'])
    expect(spec.instances[0]).toMatchObject({vrid: 51, unicast: true, priorities: {lb1: 150, lb2: 100}})
    // never overwrites
    const again = await runCommand<ImportCommandResult>(Import, [lb1, lb2, '-o', out])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toMatch(/exists/)
  })

  it('the pair round-trips through the init renderer without raw', () => {
    const r = roundTrip([lb1, lb2])
    expect(r.equal).toEqual([true, true])
    expect(r.withoutRaw).toBe(true)
  })

  it('reports the cross-node findings lint has (pair-bad), exit 2, no secret printed', async () => {
    const r = await runCommand<ImportCommandResult>(Import, [join(FIXTURES, 'pair-bad', 'lb1.conf'), join(FIXTURES, 'pair-bad', 'lb2.conf'), '--json'])
    const json = JSON.parse(r.stdout) as ImportCommandResult
    expect(json.findings.some((f) => f.rule.startsWith('cluster-'))).toBe(true)
    expect(r.exitCode).toBe(json.summary.errors > 0 ? 2 : json.summary.roundTrip ? 0 : 1)
    expect(r.stdout).not.toMatch(/hunter/)
  })

  it('carries what the spec does not model in raw with a comment, and round-trips', async () => {
    const conf = join(dir, 'lb1.conf')
    writeFileSync(
      conf,
      `global_defs {\n  router_id lb1\n  vrrp_startup_delay 5\n}\nstatic_routes {\n  10.9.0.0/16 via 10.0.0.1 dev eth0\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 7\n  priority 90\n  authentication {\n    auth_type PASS\n    auth_pass rawpw1\n  }\n  virtual_ipaddress {\n    10.0.0.100/24 no_track\n  }\n}\nvrrp_instance VI_2 {\n  state MASTER\n  interface eth0\n  virtual_router_id 8\n  priority 90\n  virtual_ipaddress {\n    10.0.0.101/24\n  }\n}\n`,
    )
    const out = join(dir, 'one.yaml')
    const r = await runCommand<ImportCommandResult>(Import, [conf, '-o', out, '--json'])
    const json = JSON.parse(r.stdout) as ImportCommandResult
    expect(json.roundTrip).toEqual([{node: 'lb1', equal: true}])
    expect(json.raw.map((x) => [x.where, x.keyword])).toEqual([
      ['globalDefs.raw', 'vrrp_startup_delay'],
      ['raw', 'static_routes'],
      ['raw', 'vrrp_instance VI_1'],
    ])
    expect(json.instances.map((i) => [i.name, i.inRaw])).toEqual([
      ['VI_1', true],
      ['VI_2', false],
    ])
    const yaml = readFileSync(out, 'utf8')
    expect(yaml).toMatch(/# vrrp_instance VI_1: the spec cannot render it as written/)
    expect(yaml).toMatch(/# global_defs keyword the spec does not model/)
    expect(roundTrip([conf]).equal).toEqual([true])
    // the instance in raw holds its password: the spec is private, and nothing printed shows it
    expect(json.findings.map((f) => f.rule)).toContain('import-inline-secret')
    expect(statSync(out).mode & 0o777).toBe(0o600)
    expect(r.stdout + r.stderr).not.toContain('rawpw1')
    const printed = await runCommand<ImportCommandResult>(Import, [conf])
    expect(printed.stdout).toContain('vrrp_instance')
    expect(printed.stdout + printed.stderr).not.toContain('rawpw1')
  })

  it('a virtual_server keyword the spec does not model rides in that virtual server\'s raw and is reported', async () => {
    const conf = join(dir, 'lvs.conf')
    writeFileSync(
      conf,
      `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 9\n  priority 150\n  virtual_ipaddress {\n    10.0.0.100/24\n  }\n}\nvirtual_server 10.0.0.100 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  nat_mask 255.255.255.0\n  real_server 10.0.0.21 80 {\n    weight 1\n  }\n}\n`,
    )
    const r = await runCommand<ImportCommandResult>(Import, [conf, '-o', join(dir, 'lvs.yaml'), '--json'])
    const json = JSON.parse(r.stdout) as ImportCommandResult
    expect(json.roundTrip).toEqual([{node: 'lvs', equal: true}])
    expect(json.raw.map((x) => [x.where, x.keyword])).toEqual([['virtualServers[0].raw', 'nat_mask']])
    expect(json.summary.raw).toBe(1)
    expect(readFileSync(join(dir, 'lvs.yaml'), 'utf8')).toMatch(/# virtual_server keyword the spec does not model\n\s+- keyword: nat_mask/)
  })

  it('refuses a file it cannot read (exit 2, names the file) and a config without vrrp_instance', async () => {
    const r = await runCommand<ImportCommandResult>(Import, [join(dir, 'missing.conf')])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('missing.conf')
    const lvs = join(dir, 'lvs.conf')
    writeFileSync(lvs, 'virtual_server 10.0.0.1 80 {\n  lb_kind DR\n  real_server 10.0.0.2 80 {\n  }\n}\n')
    const r2 = await runCommand<ImportCommandResult>(Import, [lvs, '--json'])
    expect(r2.exitCode).toBe(2)
    expect(JSON.parse(r2.stdout).error.code).toBe('IMPORT_NO_INSTANCE')
  })
})
