import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import Status, {type StatusCommandResult} from '../../../src/commands/status.js'
import {deployCluster} from '../../../src/deploy/deploy.js'
import {setTransportFactory} from '../../../src/deploy/transport.js'
import {iptablesMayDrop, nftMayDrop, parseFacts} from '../../../src/host/facts.js'
import {parseKeepalivedData} from '../../../src/status/keepalived-data.js'
import {analyzeStatus, StatusReader, statusExitCode} from '../../../src/status/status.js'
import {FakeTransport} from '../../helpers/fake-transport.js'
import {runCommand} from '../../helpers/run-command.js'
import {cluster} from '../deploy/cluster-fixture.js'

const VIP = '10.0.0.100'

async function deployed(n = 2): Promise<{t: FakeTransport; c: ReturnType<typeof cluster>}> {
  const c = cluster(n)
  const t = new FakeTransport([VIP])
  for (const x of c.nodes) t.machine(x.name, x.address)
  const r = await deployCluster(c, t, {convergeTimeoutMs: 2000})
  expect(r.ok).toBe(true)
  return {t, c}
}

describe('keepalived data dump', () => {
  it('reads state and priorities per instance from a 2.2.7 dump', () => {
    const d = parseKeepalivedData(readFileSync(join(import.meta.dirname, 'fixtures', 'keepalived-2.2.7.data'), 'utf8'))
    expect(d).toEqual([
      {name: 'VI_1', state: 'MASTER', priority: 100, effectivePriority: 100},
      {name: 'VI_2', state: 'BACKUP', priority: 90, effectivePriority: 70},
    ])
  })
})

describe('status', () => {
  it('one holder per VIP, keepalived state from the dump, no drift', async () => {
    const {t, c} = await deployed()
    const r = await new StatusReader(c, t).read()
    expect(r.ok).toBe(true)
    expect(r.instances).toEqual([{name: 'VI_web', vips: [{address: '10.0.0.100/24', holders: ['lb1']}], holder: 'lb1'}])
    expect(r.nodes.map((n) => [n.node, n.running, n.firewall, n.drift, n.instances[0].state, n.instances[0].source])).toEqual([
      ['lb1', true, true, [], 'MASTER', 'keepalived'],
      ['lb2', true, true, [], 'BACKUP', 'keepalived'],
    ])
    expect(statusExitCode(r)).toBe(0)
  })

  it('split brain: the VIP on two nodes is an error, exit 3', async () => {
    const {t, c} = await deployed()
    t.get('lb2').state.interfaces[0].addrs.push(`${VIP}/24`)
    const r = await new StatusReader(c, t).read()
    expect(r.instances[0].problem).toBe('split-brain')
    expect(r.findings.find((f) => f.code === 'SPLIT_BRAIN')?.message).toMatch(/SPLIT BRAIN: VI_web: 10.0.0.100\/24 is on lb1 AND lb2/)
    expect(statusExitCode(r)).toBe(3)
  })

  it('an unreachable node makes a VIP nobody readable holds "unknown" (exit 4), not "no owner"; drift, missing firewall, stopped keepalived', async () => {
    const {t, c} = await deployed(3)
    for (const m of t.machines.values()) m.state.interfaces[0].addrs = m.state.interfaces[0].addrs.filter((a) => !a.startsWith(VIP))
    t.get('lb2').state.files.set('/etc/keepalived/keepalived.conf', {content: Buffer.from('edited by hand'), mode: 0o600})
    t.get('lb2').state.nftTable = false
    t.get('lb2').state.running = false
    t.get('lb3').unreachable = 'ETIMEDOUT'
    const r = await new StatusReader(c, t).read()
    expect(r.instances[0].problem).toBe('unknown')
    expect(r.findings.map((f) => f.code).sort()).toEqual(['DRIFT', 'FIREWALL_MISSING', 'NOT_RUNNING', 'UNREACHABLE', 'VIP_UNKNOWN'])
    expect(r.findings.find((f) => f.code === 'VIP_UNKNOWN')?.message).toBe('VI_web: 10.0.0.100/24 is on no node that could be read; lb3 could not be read and may hold it')
    expect(r.nodes[1]).toMatchObject({running: false, firewall: false, drift: ['/etc/keepalived/keepalived.conf']})
    expect(r.nodes[2]).toMatchObject({reachable: false})
    expect(statusExitCode(r)).toBe(4)
  })

  it('every node read and none holds the VIP: no owner, exit 3', async () => {
    const {t, c} = await deployed(2)
    for (const m of t.machines.values()) m.state.interfaces[0].addrs = m.state.interfaces[0].addrs.filter((a) => !a.startsWith(VIP))
    const r = await new StatusReader(c, t).read()
    expect(r.instances[0].problem).toBe('no-owner')
    expect(statusExitCode(r)).toBe(3)
  })

  it('keepalived running nowhere is broken (exit 3) even while a VIP is still on an interface', async () => {
    const {t, c} = await deployed(2)
    for (const m of t.machines.values()) m.state.running = false
    const r = await new StatusReader(c, t).read()
    expect(r.instances[0].holder).toBe('lb1')
    expect(r.findings.map((f) => f.code)).toContain('NOT_RUNNING_ANYWHERE')
    expect(statusExitCode(r)).toBe(3)
  })

  it('firewall: "missing" only when the ruleset could drop VRRP', () => {
    const empty = ['table inet filter {', '\tchain input {', '\t\ttype filter hook input priority filter; policy accept;', '\t}', '}']
    expect(nftMayDrop([])).toBe(false)
    expect(nftMayDrop(empty)).toBe(false)
    expect(nftMayDrop(empty.map((l) => l.replace('policy accept', 'policy drop')))).toBe(true)
    expect(nftMayDrop(['table inet x {', '\tchain input {', '\t\ttype filter hook input priority -50; policy accept;', '\t\tip protocol vrrp drop', '\t}', '}'])).toBe(true)
    // a drop in an output chain does not drop VRRP coming in
    expect(nftMayDrop(['table inet x {', '\tchain out {', '\t\ttype filter hook output priority 0; policy accept;', '\t\ttcp dport 25 drop', '\t}', '}'])).toBe(false)
    expect(iptablesMayDrop(['-P INPUT ACCEPT'])).toBe(false)
    expect(iptablesMayDrop(['-P INPUT ACCEPT', '-A INPUT -j HALCTL-VRRP'])).toBe(false)
    expect(iptablesMayDrop(['-P INPUT DROP'])).toBe(true)
    expect(iptablesMayDrop(['-P INPUT ACCEPT', '-A INPUT -p tcp --dport 22 -j REJECT'])).toBe(true)
    const f = parseFacts(new FakeTransport().machine('x', '10.0.0.1', {running: true}).factsOutput([]).replace('@@firewalld', `@@nftinput\n${empty.join('\n')}\n@@firewalld`))
    expect(f.firewallState).toMatchObject({nftTable: false, mayDropVrrp: false})
  })

  it('without a data dump the state is read from the VIPs', () => {
    const c = cluster(2)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {running: true})
    m.state.interfaces[0].addrs.push(`${VIP}/24`)
    const facts = {hostname: 'lb1', os: {id: 'debian', versionId: '12', family: 'debian' as const}, packageManager: 'apt' as const, init: 'none' as const, firewall: 'none' as const, keepalived: {installed: true, running: true}, rsyslog: {installed: false, running: false}, ipvsadmInstalled: false, interfaces: m.state.interfaces.map((i) => ({name: i.name, up: true, addresses: i.addrs})), files: {}, sysctls: {}, firewallState: {nftTable: false, nftPersisted: false, iptablesChain: false, iptablesJump: false, iptablesSave: {}, firewalld: {zoneInterfaces: {}, richRules: {}}}, keepalivedDir: {}, daemon: {config: '/etc/keepalived/keepalived.conf', from: 'standard' as const}}
    const r = analyzeStatus(c, [{node: 'lb1', reachable: true, facts}, {node: 'lb2', reachable: true, facts: {...facts, interfaces: [{name: 'eth0', up: true, addresses: ['10.0.0.12/24']}]}}])
    expect(r.nodes.map((n) => n.instances[0])).toEqual([
      {name: 'VI_web', state: 'MASTER', priority: 150, source: 'vips'},
      {name: 'VI_web', state: 'BACKUP', priority: 100, source: 'vips'},
    ])
    expect(r.nodes[0].firewall).toBeNull()
  })
})

describe('halctl status command', () => {
  afterEach(() => setTransportFactory(undefined))

  it('--json shape and exit 3 on split brain; --watch --count prints each round', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-status-'))
    const spec = join(dir, 'cluster.yaml')
    writeFileSync(spec, 'cluster: web\ndefaults: {interface: eth0}\nnodes:\n  - {name: lb1, address: 10.0.0.11}\n  - {name: lb2, address: 10.0.0.12}\ninstances:\n  - {name: VI_web, vrid: auto, vips: [10.0.0.100/24]}\n')
    const t = new FakeTransport([VIP])
    t.machine('lb1', '10.0.0.11', {running: true})
    t.machine('lb2', '10.0.0.12', {running: true})
    t.elect()
    setTransportFactory(() => t)
    const r = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--json'])
    const json = JSON.parse(r.stdout) as StatusCommandResult
    expect(Object.keys(json).sort()).toEqual(['at', 'cluster', 'findings', 'instances', 'nodes', 'ok', 'selected'])
    expect(json.selected).toEqual(['lb1', 'lb2'])
    expect(json.instances[0].vips[0].holders).toHaveLength(1)
    // both hold the VIP now
    for (const m of t.machines.values()) if (!m.state.interfaces[0].addrs.includes(`${VIP}/24`)) m.state.interfaces[0].addrs.push(`${VIP}/24`)
    const bad = await runCommand<StatusCommandResult>(Status, ['-s', spec])
    expect(bad.exitCode).toBe(3)
    expect(bad.stdout).toMatch(/!! SPLIT BRAIN/)
    expect(bad.stdout).toMatch(/lb1 \+ lb2/)
    const w = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--watch', '--count', '2', '--interval', '1', '--json'])
    // round 1 as one JSON line, the last round as the command's JSON result
    const [first, ...rest] = w.stdout.trim().split('\n')
    expect((JSON.parse(first) as StatusCommandResult).instances[0].problem).toBe('split-brain')
    expect((JSON.parse(rest.join('\n')) as StatusCommandResult).cluster).toBe('web')
    expect(w.exitCode).toBe(3)
  })

  it('--node (repeatable) reads only those nodes: a VIP on none of them is elsewhere, not without owner; an unknown name names the spec\'s nodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-status-'))
    const spec = join(dir, 'cluster.yaml')
    writeFileSync(spec, 'cluster: web\ndefaults: {interface: eth0}\nnodes:\n  - {name: lb1, address: 10.0.0.11}\n  - {name: lb2, address: 10.0.0.12}\n  - {name: lb3, address: 10.0.0.13}\ninstances:\n  - {name: VI_web, vrid: auto, vips: [10.0.0.100/24]}\n')
    const t = new FakeTransport([VIP])
    for (const [n, a] of [['lb1', '10.0.0.11'], ['lb2', '10.0.0.12'], ['lb3', '10.0.0.13']]) t.machine(n, a, {running: true})
    t.elect()
    setTransportFactory(() => t)
    const holder = [...t.machines.values()].find((m) => m.state.interfaces[0].addrs.includes(`${VIP}/24`))!.name
    const others = ['lb1', 'lb2', 'lb3'].filter((n) => n !== holder)
    const backups = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--node', others[0], '--node', others[1], '--json'])
    expect(backups.exitCode).toBe(0)
    const b = JSON.parse(backups.stdout) as StatusCommandResult
    expect(b.selected).toEqual(others)
    expect(b.nodes.map((n) => n.node)).toEqual(others)
    expect(b.instances).toEqual([{name: 'VI_web', vips: [{address: `${VIP}/24`, holders: []}], elsewhere: [holder]}])
    // (not deployed: drift and firewall warnings only) no NO_OWNER, no "keepalived runs nowhere"
    expect(b.findings.filter((f) => f.severity === 'error')).toEqual([])
    expect(b.ok).toBe(true)
    const text = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--node', others[0]])
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toContain(`not here (${[holder, others[1]].sort().join(', ')} not asked)`)
    const withHolder = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--node', holder, '--json'])
    expect((JSON.parse(withHolder.stdout) as StatusCommandResult).instances[0].holder).toBe(holder)
    // two asked nodes that both hold the VIP: split brain, as without --node
    t.machines.get(others[0])!.state.interfaces[0].addrs.push(`${VIP}/24`)
    const split = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--node', holder, '--node', others[0]])
    expect(split.exitCode).toBe(3)
    expect(split.stdout).toMatch(/!! SPLIT BRAIN/)
    const unknown = await runCommand<StatusCommandResult>(Status, ['-s', spec, '--node', 'lb9'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('node lb9 is not in the spec (nodes: lb1, lb2, lb3)')
    expect(unknown.stderr).toContain('use --node with a name from the spec')
  })
})
