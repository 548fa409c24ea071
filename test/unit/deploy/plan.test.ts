import {describe, expect, it} from 'vitest'
import {parseFacts} from '../../../src/host/facts.js'
import {missingFirewalldRules, renderNft, vrrpRules} from '../../../src/host/firewall.js'
import {planNode, rolloutOrder} from '../../../src/deploy/plan.js'
import {desiredSysctls} from '../../../src/host/sysctl.js'
import {cluster, node} from './cluster-fixture.js'
import {FakeTransport} from '../../helpers/fake-transport.js'

interface FakeNodeState {
  keepalived?: false
  running?: number
  firewall?: 'firewalld'
  firewalldRules?: Array<{zone: string; rule: string}>
  interfaces?: {name: string; addrs: string[]}[]
  files?: Record<string, {content: string; mode: number}>
  nftTable?: boolean
  nftPersisted?: boolean
  sysctls?: Record<string, string>
}

function factsOutput(s: FakeNodeState): string {
  const m = new FakeTransport().machine('lb1', '10.0.0.11', {
    keepalivedInstalled: s.keepalived !== false,
    running: Boolean(s.running),
    firewall: s.firewall,
    firewalldRules: s.firewalldRules,
    interfaces: s.interfaces,
    nftTable: s.nftTable,
    files: s.nftPersisted ? {'/etc/nftables.conf': 'include "/etc/keepalived/halctl/vrrp.nft"'} : {},
  })
  Object.assign(m.state.sysctls, s.sysctls)
  for (const [p, f] of Object.entries(s.files ?? {})) m.state.files.set(p, {content: Buffer.from(f.content), mode: f.mode})
  return m.factsOutput(Object.keys(s.files ?? {}))
}

const facts = (s: FakeNodeState) => parseFacts(factsOutput(s), s.files?.['/etc/keepalived/keepalived.conf']?.content)

describe('firewall rules', () => {
  it('multicast v2 instance: VRRP to 224.0.0.18; AH adds protocol 51', () => {
    expect(vrrpRules(node('a', '10.0.0.11', 100).config)).toEqual([{family: 'ipv4', protocol: 112, daddr: '224.0.0.18'}])
    expect(vrrpRules(node('a', '10.0.0.11', 100, {ah: true}).config).map((r) => r.protocol)).toEqual([112, 51])
  })

  it('unicast instance: one rule per peer, from the peer', () => {
    const rules = vrrpRules(node('a', '10.0.0.11', 100, {unicast: ['10.0.0.12', 'fd00::12']}).config)
    expect(rules).toEqual([
      {family: 'ipv4', protocol: 112, saddr: '10.0.0.12'},
      {family: 'ipv6', protocol: 112, saddr: 'fd00::12'},
    ])
  })

  it('IPv6 instance: VRRP to ff02::12', () => {
    const n = node('a', '10.0.0.11', 100)
    n.config.instances[0].virtualIpaddress = [{address: 'fd00::100/64'}]
    expect(vrrpRules(n.config)).toEqual([{family: 'ipv6', protocol: 112, daddr: 'ff02::12'}])
  })

  it('nftables file replaces its own table atomically', () => {
    const text = renderNft([{family: 'ipv4', protocol: 112, daddr: '224.0.0.18'}, {family: 'ipv6', protocol: 112, daddr: 'ff02::12'}])
    expect(text).toContain('delete table inet halctl')
    expect(text).toContain('ip daddr 224.0.0.18 ip protocol 112 accept')
    expect(text).toContain('ip6 daddr ff02::12 meta l4proto 112 accept')
  })
})

describe('sysctls', () => {
  it('nonlocal_bind when a local service is tracked; ip_forward for NAT', () => {
    expect(desiredSysctls(node('a', '10.0.0.11', 100).config)).toEqual({})
    expect(desiredSysctls(node('a', '10.0.0.11', 100, {script: true}).config)).toEqual({'net.ipv4.ip_nonlocal_bind': '1'})
    const n = node('a', '10.0.0.11', 100)
    n.config.virtualServers = [{address: '10.0.0.100', port: 80, lbKind: 'NAT', realServers: []}]
    expect(desiredSysctls(n.config)).toEqual({'net.ipv4.ip_forward': '1'})
  })
})

describe('planNode', () => {
  const n = node('lb1', '10.0.0.11', 150, {script: true})

  it('virtual_servers on a node whose kernel has no IPVS: a problem (keepalived would stop at start); unknown IPVS is no problem', () => {
    const lvs = node('lb1', '10.0.0.11', 150)
    lvs.config.virtualServers = [{address: '10.0.0.100', port: 80, lbKind: 'DR', realServers: []}]
    const out = factsOutput({keepalived: false})
    const withIpvs = (answer: string) => parseFacts(out.replace('\n@@running\n', `\n@@ipvskernel\n${answer}\n@@running\n`))
    expect(withIpvs('no').ipvsKernel).toBe(false)
    expect(planNode(lvs, withIpvs('no')).problems).toEqual([expect.stringMatching(/virtual_servers, but the node's kernel has no IPVS/)])
    expect(withIpvs('yes').ipvsKernel).toBe(true)
    expect(planNode(lvs, withIpvs('yes')).problems).toEqual([])
    expect(parseFacts(out).ipvsKernel).toBeUndefined()
    expect(planNode(lvs, parseFacts(out)).problems).toEqual([])
    // a spec without virtual servers does not care
    expect(planNode(node('lb1', '10.0.0.11', 150), withIpvs('no')).problems).toEqual([])
    expect(planNode(lvs, withIpvs('yes')).install).toEqual(['keepalived', 'ipvsadm'])
  })

  it('a generated script whose tools the node lacks: a problem naming the package; an arping of unknown flavour too', () => {
    const out = factsOutput({keepalived: false})
    const withTools = (lines: string[]) => parseFacts(out.replace('\n@@running\n', `\n@@tools\n${lines.join('\n')}\n@@running\n`))
    const fence = node('lb1', '10.0.0.11', 150)
    fence.scripts = [{path: '/etc/keepalived/scripts/fence.sh', content: '#!/bin/sh\n', mode: 0o755, requires: ['arping', 'tcpdump']}]
    expect(withTools(['tcpdump /usr/bin/tcpdump', 'curl /usr/bin/curl'])).toMatchObject({tools: {tcpdump: '/usr/bin/tcpdump', curl: '/usr/bin/curl'}})
    expect(planNode(fence, withTools(['tcpdump /usr/bin/tcpdump'])).problems).toEqual(['/etc/keepalived/scripts/fence.sh needs arping on the node; install iputils-arping (or arping)'])
    expect(planNode(fence, withTools([])).problems).toEqual(['/etc/keepalived/scripts/fence.sh needs arping and tcpdump on the node; install iputils-arping (or arping), tcpdump'])
    const iputils = withTools(['arping /usr/bin/arping', 'arping-flavour iputils', 'tcpdump /usr/bin/tcpdump'])
    expect(iputils.arping).toBe('iputils')
    expect(planNode(fence, iputils).problems).toEqual([])
    expect(withTools(['arping /usr/sbin/arping', 'arping-flavour habets', 'tcpdump /usr/bin/tcpdump']).arping).toBe('habets')
    expect(planNode(fence, withTools(['arping /usr/local/bin/arping', 'arping-flavour unknown', 'tcpdump /usr/bin/tcpdump'])).problems).toEqual([
      "/etc/keepalived/scripts/fence.sh: /usr/local/bin/arping is neither iputils' arping nor Habets' arping, so the script cannot read its answers; install iputils-arping",
    ])
    // facts without the section (an older reader): not judged
    expect(parseFacts(out).tools).toBeUndefined()
    expect(planNode(fence, parseFacts(out)).problems).toEqual([])
  })

  it('fresh node: install, script, config diff, firewall, sysctl, start', () => {
    const p = planNode(n, facts({keepalived: false}))
    expect(p.problems).toEqual([])
    expect(p.changes.map((c) => c.kind)).toEqual(['install', 'script', 'config', 'firewall', 'sysctl', 'service'])
    expect(p.install).toEqual(['keepalived'])
    expect(p.service).toBe('start')
    const conf = p.changes.find((c) => c.kind === 'config')
    expect(conf?.diff).toContain('+  priority 150')
    expect(p.firewall?.kind).toBe('nftables')
    expect(p.firewall?.persistInclude).toBe('/etc/nftables.conf')
  })

  it('nftables without a boot-time file: rules applied, not persisted, and still a no-op the second time', () => {
    const noConf = (s: FakeNodeState) => parseFacts(factsOutput(s).replace('conf /etc/nftables.conf\n', ''), s.files?.['/etc/keepalived/keepalived.conf']?.content)
    const p1 = planNode(n, noConf({}))
    expect(p1.firewall?.persistInclude).toBeUndefined()
    expect(p1.changes.find((c) => c.kind === 'firewall')?.summary).toMatch(/not persisted/)
    const files = Object.fromEntries([...p1.files, p1.firewall!.record!, p1.sysctl!.record].map((w) => [w.path, {content: w.content, mode: w.mode}]))
    expect(planNode(n, noConf({running: 99, files, nftTable: true, sysctls: {'net.ipv4.ip_nonlocal_bind': '1'}})).changes).toEqual([])
  })

  it('a hand-written keepalived.conf that says the same as the spec is left as it is, with a note; manage: false leaves firewall and sysctls alone', () => {
    const plain = node('lb1', '10.0.0.11', 150)
    // comments, blank lines, another indentation, advert_int (the default) written out
    const hand = `! written by hand\n\n${plain.text.replace(/^ +/gm, '\t').replace('priority 150', 'priority 150   # the master\n\tadvert_int 1')}`
    const same = planNode(plain, facts({running: 99, files: {'/etc/keepalived/keepalived.conf': {content: hand, mode: 0o600}}}))
    expect(same.changes.map((c) => c.kind)).toEqual(['firewall'])
    expect(same.notes).toEqual([expect.stringMatching(/keepalived.conf differs from the spec's rendering in form only/)])
    // world-readable (it holds auth_pass): halctl sets its mode, so it writes it
    expect(planNode(plain, facts({running: 99, files: {'/etc/keepalived/keepalived.conf': {content: hand, mode: 0o644}}})).changes.map((c) => c.kind)).toEqual(['config', 'firewall', 'service'])
    // another priority is another meaning
    const other = hand.replace('priority 150', 'priority 140')
    expect(planNode(plain, facts({running: 99, files: {'/etc/keepalived/keepalived.conf': {content: other, mode: 0o600}}})).changes.map((c) => c.kind)).toEqual(['config', 'firewall', 'service'])
    // an include is not read here: never the same meaning
    const included = `${hand}\ninclude /etc/keepalived/conf.d/*.conf\n`
    expect(planNode(plain, facts({running: 99, files: {'/etc/keepalived/keepalived.conf': {content: included, mode: 0o600}}})).changes.map((c) => c.kind)).toContain('config')
    const adopted = {...n, manage: {firewall: false, sysctls: false}}
    expect(planNode(adopted, facts({running: 99})).changes.map((c) => c.kind)).toEqual(['script', 'config', 'service'])
  })

  it('converged node: 0 changes', () => {
    const p1 = planNode(n, facts({}))
    const files = Object.fromEntries([...p1.files, p1.firewall!.record!, p1.sysctl!.record].map((w) => [w.path, {content: w.content, mode: w.mode}]))
    const p = planNode(n, facts({running: 99, files, nftTable: true, nftPersisted: true, sysctls: {'net.ipv4.ip_nonlocal_bind': '1'}}))
    expect(p.changes).toEqual([])
    expect(p.service).toBe('none')
  })

  it('running node with a changed priority: config diff and reload, never restart', () => {
    const old = node('lb1', '10.0.0.11', 100, {script: true})
    const p1 = planNode(old, facts({}))
    const files = Object.fromEntries([...p1.files, p1.firewall!.record!, p1.sysctl!.record].map((w) => [w.path, {content: w.content, mode: w.mode}]))
    const p = planNode(n, facts({running: 99, files, nftTable: true, nftPersisted: true, sysctls: {'net.ipv4.ip_nonlocal_bind': '1'}}))
    expect(p.changes.map((c) => c.kind)).toEqual(['config', 'service'])
    expect(p.changes[0].diff).toMatch(/-\s+priority 100\n\+\s+priority 150/)
    expect(p.service).toBe('reload')
  })

  it('firewalld: only the missing rich rules are added, in the zone of the instance interface (else the default zone)', () => {
    const p = planNode(n, facts({firewall: 'firewalld', firewalldRules: []}))
    expect(p.firewall?.missingRichRules).toEqual([{zone: 'public', rule: 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'}])
    expect(p.changes.find((c) => c.kind === 'firewall')?.summary).toBe('firewalld rich rules in zone public: ipv4 vrrp to 224.0.0.18')
    const q = planNode(n, facts({firewall: 'firewalld', firewalldRules: [{zone: 'public', rule: 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'}]}))
    expect(q.changes.some((c) => c.kind === 'firewall')).toBe(false)
    const bound = {defaultZone: 'public', zoneInterfaces: {internal: ['eth0']}, richRules: {public: ['rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept']}}
    expect(missingFirewalldRules(n.config, bound)).toEqual([{zone: 'internal', rule: 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'}])
  })

  it('preflight problems: missing interface, address not on it, no package manager', () => {
    expect(planNode(n, facts({interfaces: [{name: 'ens3', addrs: ['10.0.0.11/24']}]})).problems[0]).toMatch(/interface eth0 does not exist/)
    expect(planNode(n, facts({interfaces: [{name: 'eth0', addrs: ['10.0.0.99/24']}]})).problems[0]).toMatch(/address 10.0.0.11 is not on eth0/)
    const noPm = parseFacts(factsOutput({keepalived: false}).replace('@@pm\napt-get\n', '@@pm\n'))
    expect(planNode(n, noPm).problems).toContain('keepalived is not installed and no package manager (apt, dnf, yum) was found')
  })
})

describe('rolloutOrder', () => {
  const c = cluster(3)
  it('fresh cluster (no holder): the intended master first, so the backups join it without takeovers', () => {
    const f = new Map(c.nodes.map((x) => [x.name, facts({})]))
    expect(rolloutOrder(c.nodes, f, ['10.0.0.100'])).toEqual({order: ['lb1', 'lb2', 'lb3']})
  })
  it('the current holder goes last even when it is not the highest priority', () => {
    const f = new Map(c.nodes.map((x) => [x.name, facts({running: 1, interfaces: [{name: 'eth0', addrs: [x.address + '/24', ...(x.name === 'lb2' ? ['10.0.0.100/24'] : [])]}]})]))
    expect(rolloutOrder(c.nodes, f, ['10.0.0.100'])).toEqual({order: ['lb3', 'lb1', 'lb2'], holder: 'lb2'})
  })
  it('the spec changes the VIPs: the node holding the VIPs of the config it runs now still goes last', () => {
    const old = 'vrrp_instance VI_web {\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  virtual_ipaddress {\n    10.0.0.99/24\n  }\n}\n'
    const f = new Map(
      c.nodes.map((x) => [
        x.name,
        facts({
          running: 1,
          interfaces: [{name: 'eth0', addrs: [x.address + '/24', ...(x.name === 'lb1' ? ['10.0.0.99/24'] : [])]}],
          files: {'/etc/keepalived/keepalived.conf': {content: old, mode: 0o600}},
        }),
      ]),
    )
    // the spec's VIP is 10.0.0.100, which nobody holds yet: lb1 holds the running config's 10.0.0.99
    expect(rolloutOrder(c.nodes, f, ['10.0.0.100'])).toEqual({order: ['lb3', 'lb2', 'lb1'], holder: 'lb1'})
  })
})
