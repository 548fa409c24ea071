import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseKeepalivedConfig, parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {lintConfigs, type Finding} from '../../../src/lint/index.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'configs')

function lint(text: string): Finding[] {
  const r = parseKeepalivedConfig(text, {file: 'k.conf', configId: 'lb1', readFile: () => undefined})
  return lintConfigs([{file: 'k.conf', config: r.config, diagnostics: r.diagnostics}])
}
const at = (fs: Finding[]) => fs.map((f) => `${f.line}:${f.rule}`)

const instance = (body: string, head = '') => `${head}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
${body}
  virtual_ipaddress {
    10.0.0.100/24
  }
}
`

describe('single-config rules', () => {
  it('a clean config has no findings', () => {
    expect(lint(instance('  state BACKUP\n  priority 100'))).toEqual([])
  })

  it('checks ranges keepalived enforces', () => {
    const fs = lint(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 256
  priority 0
  advert_int 300
  preempt_delay 1001
  virtual_ipaddress {
    10.0.0.5/33
    fe80::1/64
    VIRTUAL_IP
  }
}`)
    expect(at(fs)).toEqual([
      '3:virtual-router-id-range',
      '4:priority-range',
      '5:advert-int-range',
      '6:preempt-delay-range',
      '8:invalid-prefix',
      '9:address-family',
      '10:invalid-address',
    ])
    expect(fs.every((f) => f.severity === 'error' && f.fix)).toBe(true)
  })

  it('reports missing interface and VRID', () => {
    expect(at(lint('vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n'))).toEqual(['1:missing-interface', '1:missing-vrid'])
  })

  it('warns that auth_pass is cut to 8 characters, without printing it', () => {
    const fs = lint(instance('  authentication {\n    auth_type PASS\n    auth_pass verysecretpassword\n  }'))
    expect(at(fs)).toEqual(['7:auth-pass-length'])
    expect(JSON.stringify(fs)).not.toContain('verysecret')
  })

  it('knows the traps', () => {
    const traps = lint(
      instance(
        '  state MASTER\n  nopreempt\n  version 3\n  authentication {\n    auth_type PASS\n    auth_pass abc\n  }\n  unicast_peer {\n    10.0.0.2\n  }\n  track_script {\n    chk_missing\n  }\n  notify "/bin/true"',
        'global_defs {\n  vrrp_strict\n}\nvrrp_script chk_unused {\n  script "/bin/true"\n}\nvrrp_script chk_empty {\n  interval 2\n}',
      ),
    )
    const r = new Set(traps.map((f) => f.rule))
    for (const rule of ['nopreempt-master', 'v3-auth', 'strict-auth', 'strict-unicast', 'script-undefined', 'script-unused', 'script-missing-command', 'script-security']) {
      expect(r, rule).toContain(rule)
    }
    expect(traps.find((f) => f.rule === 'script-missing-command')?.line).toBe(9) // the closing brace, as keepalived reports it
  })

  it('reports unfilled placeholders, never echoing a password', () => {
    const fs = lint(instance('  state <--STATE-->\n  authentication {\n    auth_type PASS\n    auth_pass CHANGEME\n  }'))
    expect(at(fs)).toContain('5:placeholder')
    expect(fs.find((f) => f.line === 8)).toMatchObject({rule: 'placeholder', severity: 'warning'})
    expect(JSON.stringify(fs)).not.toContain('CHANGEME')
    const vip = lint('vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    <VIP>/24\n  }\n}\n')
    expect(at(vip)).toEqual(['4:no-vip', '5:invalid-address', '5:placeholder'])
  })

  it('reports a duplicate VRID on one interface and family', () => {
    const fs = lint(instance('') + 'vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.101/24\n  }\n}\n')
    expect(at(fs)).toEqual(['12:vrid-duplicate'])
  })

  it('checks virtual servers', () => {
    const fs = lint('virtual_server 10.0.0.100 80 {\n  lb_algo loadbalance\n  lb_kind dr\n  persistence_timeout 0\n  real_server 10.0.0.300 80 {\n    weigth 1\n  }\n}\n')
    expect(at(fs.filter((f) => f.severity !== 'info'))).toEqual(['2:invalid-value', '3:invalid-value', '4:persistence-timeout-range', '5:invalid-address', '6:unknown-keyword'])
    expect(fs.filter((f) => f.rule === 'lvs-default').map((f) => f.message)).toEqual([
      'virtual_server 10.0.0.100 80 has no valid lb_kind; keepalived uses NAT',
      'virtual_server 10.0.0.100 80 has no valid lb_algo; keepalived uses wlc',
      'virtual_server 10.0.0.100 80 has no valid protocol; keepalived picks one',
    ])
    expect(fs.find((f) => f.line === 6)?.message).toContain('did you mean "weight"')
  })
})

describe('cross-node rules', () => {
  const pair = (dir: string) =>
    lintConfigs(
      ['lb1', 'lb2'].map((n) => {
        const r = parseKeepalivedFile(join(FIXTURES, dir, `${n}.conf`))
        return {node: n, file: `${dir}/${n}.conf`, config: r.config, diagnostics: r.diagnostics}
      }),
    )

  it('a matched pair is clean', () => {
    expect(pair('pair-good')).toEqual([])
  })

  it('finds mismatches, equal priorities, two masters and asymmetric peers', () => {
    const fs = pair('pair-bad')
    const rules = new Set(fs.map((f) => f.rule))
    for (const rule of ['cluster-vrid-mismatch', 'cluster-advert-mismatch', 'cluster-vip-mismatch', 'cluster-auth-mismatch', 'cluster-equal-priority', 'cluster-two-masters', 'cluster-unicast-asymmetric']) {
      expect(rules, rule).toContain(rule)
    }
    expect(fs.find((f) => f.rule === 'cluster-vrid-mismatch')).toMatchObject({node: 'lb2', file: join(FIXTURES, 'pair-bad', 'lb2.conf'), line: 4})
    expect(JSON.stringify(fs)).not.toMatch(/hunter/)
  })

  it('warns when a track weight cannot move the VIP', () => {
    const node = (prio: number, state: string) =>
      parseKeepalivedConfig(
        `vrrp_script chk {\n  script "/bin/true"\n  weight -20\n}\nvrrp_instance VI_1 {\n  state ${state}\n  interface eth0\n  virtual_router_id 9\n  priority ${prio}\n  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    10.0.0.9\n  }\n}\n`,
        {file: `${state}.conf`},
      ).config
    const fs = lintConfigs([
      {node: 'a', file: 'a.conf', config: node(150, 'MASTER')},
      {node: 'b', file: 'b.conf', config: node(100, 'BACKUP')},
    ])
    expect(fs.filter((f) => f.rule === 'track-weight-ineffective')).toHaveLength(1)
    expect(fs.find((f) => f.rule === 'track-weight-ineffective')).toMatchObject({node: 'a', line: 11})
  })

  it('finds copy-pasted unicast_src_ip and router_id', () => {
    const cfg = (peer: string) =>
      parseKeepalivedConfig(
        `global_defs {\n  router_id lb\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n  unicast_src_ip 10.0.0.11\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    10.0.0.9\n  }\n}\n`,
        {file: 'x.conf'},
      ).config
    const fs = lintConfigs([
      {node: 'a', file: 'a.conf', config: cfg('10.0.0.12')},
      {node: 'b', file: 'b.conf', config: cfg('10.0.0.11')},
    ])
    const rules = fs.map((f) => f.rule)
    expect(rules).toContain('cluster-unicast-src-duplicate')
    expect(rules).toContain('cluster-router-id-duplicate')
    expect(rules).toContain('unicast-self-peer')
  })

  it('finds a VRID used by another cluster with other VIPs', () => {
    const cfg = (name: string, vip: string) =>
      parseKeepalivedConfig(`vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`, {file: `${name}.conf`}).config
    const fs = lintConfigs([
      {node: 'a', file: 'a.conf', config: cfg('VI_web', '10.0.0.100/24')},
      {node: 'b', file: 'b.conf', config: cfg('VI_db', '10.0.0.200/24')},
    ])
    expect(fs.map((f) => f.rule)).toContain('cluster-vrid-collision')
  })
})
