import {describe, expect, it} from 'vitest'
import {deployCluster, type DeployResult} from '../../../src/deploy/deploy.js'
import type {DesiredCluster} from '../../../src/host/desired.js'
import {FakeTransport, roundTripsThroughShell} from '../../helpers/fake-transport.js'
import {cluster, node} from './cluster-fixture.js'

const CONF = '/etc/keepalived/keepalived.conf'
const VIP = '10.0.0.100'
const opts = {convergeTimeoutMs: 2000, now: () => new Date('2026-11-22T04:00:00Z')}

function lab(c: DesiredCluster, init: 'none' | 'systemd' = 'none'): FakeTransport {
  const t = new FakeTransport([VIP])
  for (const n of c.nodes) t.machine(n.name, n.address, {init})
  return t
}

/** a 2-node cluster deployed once, and the same cluster with lb2's priority changed */
async function deployedThenLb2At(priority: number): Promise<{t: FakeTransport; c2: DesiredCluster}> {
  const c = cluster(2)
  const t = lab(c)
  await deployCluster(c, t, opts)
  const c2 = cluster(2)
  c2.nodes[1] = node('lb2', '10.0.0.12', priority)
  return {t, c2}
}

const statuses = (r: DeployResult): Record<string, string> => Object.fromEntries(r.nodes.map((n) => [n.node, n.status]))
const writes = (t: FakeTransport, name: string): string[] =>
  t.get(name).calls.filter((c) => c.kind === 'writeFile').map((c) => c.argv[1])

describe('deployCluster with a fake transport', () => {
  it('fresh 2-node cluster: validate on target before writing, firewall, start; the intended master first', async () => {
    const c = cluster(2)
    const t = lab(c)
    for (const name of ['lb1', 'lb2']) {
      t.get(name)
        .expect(['sh', '-c'], {label: 'facts'})
        .expect((a) => a[3] === 'halctl-stage', {label: 'private stage dir'})
        .expect(/^<writeFile> \/etc\/keepalived\/\.halctl-stage-\w{8}\/keepalived\.conf$/)
        .expect(/^keepalived -t -f \/etc\/keepalived\/\.halctl-stage-\w{8}\/keepalived\.conf$/)
        .expect(['<writeFile>', CONF])
        .expect(['<writeFile>', '/etc/keepalived/halctl/vrrp.nft'])
        .expect(['nft', '-f', '/etc/keepalived/halctl/vrrp.nft'])
        .expect((a) => a[0] === 'sh' && a[3] === 'halctl-append' && a[4] === 'include "/etc/keepalived/halctl/vrrp.nft"', {label: 'persist include'})
        .expect(['keepalived', '-f', CONF, '-p', `/run/halctl-keepalived-${name}.pid`])
    }
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(r.order).toEqual(['lb1', 'lb2'])
    expect(statuses(r)).toEqual({lb1: 'deployed', lb2: 'deployed'})
    // lb1 converged (holds the VIP) before lb2 was touched
    const lb1Done = Math.max(...t.get('lb1').calls.filter((x) => x.argv[3] !== 'halctl-unlock').map((x) => x.seq))
    expect(Math.min(...t.get('lb2').calls.filter((x) => x.kind === 'writeFile').map((x) => x.seq))).toBeGreaterThan(lb1Done)
    expect(r.changes).toBeGreaterThan(0)
    t.assertDone()
    expect(t.get('lb1').file(CONF)).toBe(c.nodes[0].text)
    expect(t.get('lb1').state.files.get(CONF)?.mode).toBe(0o600)
    expect(t.holders(VIP)).toEqual(['lb1'])
    expect(t.get('lb1').state.nftTable).toBe(true)
    // the staging directory is gone
    expect([...t.get('lb1').state.files.keys()].some((p) => p.includes('.halctl-stage'))).toBe(false)
  })

  it('a second run is a no-op: 0 changes, nothing written, no service action', async () => {
    const c = cluster(2)
    const t = lab(c)
    await deployCluster(c, t, opts)
    const before = t.get('lb1').calls.length
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(r.changes).toBe(0)
    expect(statuses(r)).toEqual({lb1: 'unchanged', lb2: 'unchanged'})
    const second = t.get('lb1').calls.slice(before)
    expect(second.filter((x) => x.kind === 'writeFile')).toEqual([])
    expect(second.map((x) => x.argv[3] ?? x.argv[0])).toEqual(['halctl-facts', '<readFile>'])
  })

  it('a changed priority reloads (SIGHUP without init), never restarts, and the VIP does not move', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const lb2 = t.get('lb2')
    const mark = lb2.calls.length
    const r = await deployCluster(c2, t, opts)
    expect(r.ok).toBe(true)
    expect(statuses(r)).toEqual({lb1: 'unchanged', lb2: 'deployed'})
    const after = lb2.calls.slice(mark).map((x) => x.argv)
    expect(after.some((a) => a[0] === 'keepalived' && a[1] === '-f')).toBe(false)
    expect(lb2.calls.slice(mark).some((x) => x.argv[3] === 'halctl-signal' && x.argv[4] === 'HUP')).toBe(true)
    expect(r.nodes[1].changes.map((x) => x.kind)).toEqual(['config', 'service'])
    expect(r.nodes[1].changes[0].diff).toContain('+  priority 120')
    expect(t.holders(VIP)).toEqual(['lb1'])
  })

  it('systemd hosts: enable + start, then reload', async () => {
    const c = cluster(2)
    const t = lab(c, 'systemd')
    t.get('lb1').expect(['systemctl', 'enable', 'keepalived']).expect(['systemctl', 'start', 'keepalived'])
    await deployCluster(c, t, opts)
    const c2 = cluster(2)
    c2.nodes[0] = node('lb1', '10.0.0.11', 160)
    t.get('lb1').expect(['systemctl', 'reload', 'keepalived'])
    const r = await deployCluster(c2, t, opts)
    expect(r.ok).toBe(true)
    t.assertDone()
    expect(t.get('lb1').execs().some((a) => a[0] === 'systemctl' && a[1] === 'restart')).toBe(false)
  })

  it('iptables hosts: halctl chain filled, INPUT jumps to it once; redeploy is a no-op; a failure removes the chain', async () => {
    const c = cluster(2)
    const t = new FakeTransport([VIP])
    for (const n of c.nodes) t.machine(n.name, n.address, {firewall: 'iptables', files: {'/etc/iptables/rules.v4': '*filter\nCOMMIT\n'}})
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(t.get('lb1').file('/etc/iptables/rules.v4')).toContain('-A HALCTL-VRRP -p 112 -d 224.0.0.18 -j ACCEPT')
    expect(r.nodes[0].steps.find((x) => x.step === 'firewall')?.detail).toBe('chain HALCTL-VRRP loaded, saved to /etc/iptables/rules.v4')
    expect(t.get('lb1').state.iptablesChain).toEqual(['-A HALCTL-VRRP -p 112 -d 224.0.0.18 -j ACCEPT'])
    expect(t.get('lb1').state.iptablesJump).toBe(true)
    expect(t.get('lb1').file('/etc/keepalived/halctl/vrrp.iptables')).toContain('iptables -A HALCTL-VRRP -p 112 -d 224.0.0.18 -j ACCEPT')
    expect((await deployCluster(c, t, opts)).changes).toBe(0)

    const t2 = new FakeTransport([VIP])
    for (const n of c.nodes) t2.machine(n.name, n.address, {firewall: 'iptables', files: {'/etc/iptables/rules.v4': '*filter\nCOMMIT\n'}})
    t2.get('lb1').on(['keepalived', '-f'], {code: 1, stderr: 'cannot start'})
    const r2 = await deployCluster(c, t2, opts)
    expect(statuses(r2)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    expect(t2.get('lb1').state.iptablesChain).toBeUndefined()
    expect(t2.get('lb1').state.iptablesJump).toBe(false)
    expect(t2.get('lb1').file('/etc/iptables/rules.v4')).toBe('*filter\nCOMMIT\n')
  })

  it('firewalld hosts with systemd: a rich rule added to the zone, then reloaded; rollback removes it', async () => {
    const c = cluster(2)
    const t = new FakeTransport([VIP])
    for (const n of c.nodes) t.machine(n.name, n.address, {firewall: 'firewalld', init: 'systemd', os: 'rocky'})
    t.get('lb1')
      .expect(['firewall-cmd', '--permanent', '--zone=public', '--add-rich-rule=rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'])
      .expect(['firewall-cmd', '--reload'])
      .expect(['systemctl', 'enable', 'keepalived'])
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    t.assertDone()
    expect((await deployCluster(c, t, opts)).changes).toBe(0)
    const t2 = new FakeTransport([VIP])
    for (const n of c.nodes) t2.machine(n.name, n.address, {firewall: 'firewalld', init: 'systemd'})
    t2.get('lb1').on(['systemctl', 'start'], {code: 1, stderr: 'Job failed'})
    const r2 = await deployCluster(c, t2, opts)
    expect(statuses(r2)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    expect(t2.get('lb1').state.firewalldRules).toEqual([])
    expect(r2.nodes[0].rollback).toContain('stop keepalived (it was not running before): ok')
  })

  it('sysv hosts: service keepalived start, then reload', async () => {
    const c = cluster(2)
    const t = new FakeTransport([VIP])
    for (const n of c.nodes) t.machine(n.name, n.address, {init: 'sysv'})
    t.get('lb2').expect(['service', 'keepalived', 'start'])
    await deployCluster(c, t, opts)
    const c2 = cluster(2)
    c2.nodes[1] = node('lb2', '10.0.0.12', 120)
    t.get('lb2').expect(['service', 'keepalived', 'reload'])
    expect((await deployCluster(c2, t, opts)).ok).toBe(true)
    t.assertDone()
  })

  it('a missing keepalived is installed with the node package manager before anything else', async () => {
    const c = cluster(2)
    const t = new FakeTransport([VIP])
    for (const n of c.nodes) t.machine(n.name, n.address, {keepalivedInstalled: false})
    t.get('lb1').expect(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'keepalived']).expect(['keepalived', '-t'])
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(r.nodes[0].steps[0].step).toBe('install')
    t.assertDone()
    expect((await deployCluster(c, t, opts)).nodes.flatMap((n) => n.steps)).toEqual([])
  })

  it('keepalived -t failing on the target: nothing written in place, node rolled back, other nodes untouched', async () => {
    const c = cluster(2)
    const t = lab(c)
    t.get('lb1').state.files.set(CONF, {content: Buffer.from('# previous config\n'), mode: 0o644})
    t.get('lb1').on(['keepalived', '-t'], {code: 5, stderr: '(/etc/keepalived/.halctl-stage-x/keepalived.conf: Line 3) unknown keyword bogus'})
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(false)
    expect(r.error?.exitCode).toBe(4)
    expect(statuses(r)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    const lb1 = r.nodes.find((n) => n.node === 'lb1')
    expect(lb1?.error?.step).toBe('validate')
    expect(lb1?.error?.message).toMatch(/line 3: unknown keyword bogus/)
    expect(t.get('lb1').file(CONF)).toBe('# previous config\n')
    expect(writes(t, 'lb1')).not.toContain(CONF)
    expect(writes(t, 'lb2')).toEqual([])
    expect([...t.get('lb1').state.files.keys()].some((p) => p.includes('.halctl-stage'))).toBe(false)
    expect(t.get('lb1').file('/etc/keepalived/.halctl-backups/20261122T040000Z/keepalived.conf')).toBe('# previous config\n')
  })

  it('connection cut mid-deploy: reconnects, restores the previous files and service state, reports it', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const lb2 = t.get('lb2')
    const old = lb2.file(CONF)
    lb2.cutConnectionAt(['<writeFile>', CONF], {after: true})
    const connectsBefore = t.connects.length
    const r = await deployCluster(c2, t, opts)
    expect(r.ok).toBe(false)
    expect(statuses(r)).toEqual({lb1: 'unchanged', lb2: 'rolled-back'})
    expect(r.nodes[1].error?.step).toBe('write')
    expect(r.nodes[1].rollback?.some((l) => l.includes('after reconnecting'))).toBe(true)
    expect(t.connects.length).toBe(connectsBefore + 3)
    expect(lb2.file(CONF)).toBe(old)
    expect(lb2.state.running).toBe(true)
    expect(t.holders(VIP)).toEqual(['lb1'])
  })

  it('a call that never answers is bounded: the node is rolled back over a fresh connection', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const old = t.get('lb2').file(CONF)
    t.get('lb2').hangAt(['<writeFile>', CONF])
    const r = await deployCluster(c2, t, {...opts, callTimeoutMs: 200})
    expect(statuses(r)).toEqual({lb1: 'unchanged', lb2: 'rolled-back'})
    expect(r.nodes[1].error?.message).toMatch(/writing \/etc\/keepalived\/keepalived.conf on lb2: no answer within 200ms/)
    expect(t.get('lb2').file(CONF)).toBe(old)
  })

  it('a channel that closes without an exit status is retried once for idempotent commands, never for a start', async () => {
    const c = cluster(2)
    const t = lab(c)
    t.get('lb1').on(['nft', '-f'], {code: -1}, 1)
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(t.get('lb1').execs().filter((a) => a[0] === 'nft' && a[1] === '-f')).toHaveLength(2)
    const t2 = lab(c)
    t2.get('lb1').on(['keepalived', '-f'], {code: -1}, 1)
    const r2 = await deployCluster(c, t2, opts)
    expect(statuses(r2)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    expect(t2.get('lb1').execs().filter((a) => a[0] === 'keepalived' && a[1] === '-f')).toHaveLength(1)
  })

  it('a failed start rolls back and stops the keepalived it started', async () => {
    const c = cluster(2)
    const t = lab(c)
    t.get('lb1').on(['keepalived', '-f'], {code: 1, stderr: 'Unable to start'})
    const r = await deployCluster(c, t, opts)
    expect(statuses(r)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    expect(t.get('lb1').file(CONF)).toBeUndefined()
    expect(t.get('lb1').state.nftTable).toBe(false)
    expect(t.get('lb1').file('/etc/nftables.conf')).not.toContain('halctl')
  })

  it.each([
    ['unreachable', (t: FakeTransport) => void (t.get('lb2').unreachable = 'EHOSTUNREACH'), /EHOSTUNREACH/],
    ['host key changed', (t: FakeTransport) => void (t.get('lb2').hostKeyChanged = true), /host key/],
    ['without the interface', (t: FakeTransport) => void (t.get('lb2').state.interfaces = [{name: 'ens3', addrs: ['10.0.0.12/24']}]), /interface eth0 does not exist/],
  ])('a node %s: preflight refuses, no node is touched', async (_label, breakIt, msg) => {
    const c = cluster(2)
    const t = lab(c)
    breakIt(t)
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(false)
    expect(r.error?.code).toBe('DEPLOY_PREFLIGHT')
    expect(r.error?.message).toMatch(msg)
    expect(r.nodes.find((n) => n.node === 'lb1')?.status).toBe('skipped')
    expect(r.nodes.find((n) => n.node === 'lb2')?.status).toBe('failed')
    for (const m of t.machines.values()) expect(m.calls.filter((x) => x.kind === 'writeFile' || x.argv[0] !== 'sh')).toEqual(m.calls.filter((x) => x.kind === 'readFile'))
  })

  it('--dry-run plans with diffs and touches nothing', async () => {
    const c = cluster(2)
    const t = lab(c)
    const r = await deployCluster(c, t, {...opts, dryRun: true})
    expect(r.dryRun).toBe(true)
    expect(statuses(r)).toEqual({lb1: 'planned', lb2: 'planned'})
    expect(r.nodes[0].changes.find((x) => x.kind === 'config')?.diff).toContain('+++ b/etc/keepalived/keepalived.conf')
    for (const m of t.machines.values()) expect(m.calls.every((x) => x.kind === 'readFile' || x.argv[3] === 'halctl-facts')).toBe(true)
  })

  it('--parallel 2 on 3 nodes: the backups together, the VIP holder alone and last', async () => {
    const c = cluster(3)
    const t = lab(c)
    expect((await deployCluster(c, t, {...opts, parallel: 2})).order).toEqual(['lb1', 'lb2', 'lb3'])
    const c2 = cluster(3)
    c2.nodes = c2.nodes.map((n, i) => node(n.name, n.address, 151 - i * 50))
    const mark = Math.max(...[...t.machines.values()].flatMap((m) => m.calls.map((x) => x.seq)))
    const r = await deployCluster(c2, t, {...opts, parallel: 2})
    expect(r.ok).toBe(true)
    expect(r.order).toEqual(['lb3', 'lb2', 'lb1'])
    const writesOf = (n: string) => t.get(n).calls.filter((x) => x.seq > mark && x.kind === 'writeFile').map((x) => x.seq)
    // lb2 and lb3 interleave (in parallel); lb1 starts after both finished
    expect(Math.min(...writesOf('lb3'))).toBeLessThan(Math.max(...writesOf('lb2')))
    expect(Math.min(...writesOf('lb2'))).toBeLessThan(Math.max(...writesOf('lb3')))
    expect(Math.min(...writesOf('lb1'))).toBeGreaterThan(Math.max(...writesOf('lb2'), ...writesOf('lb3')))
    expect(t.holders(VIP)).toEqual(['lb1'])
  })

  it('--node on a backup while the master is left out: no wait for a VIP the master keeps', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const r = await deployCluster(c2, t, {...opts, nodes: ['lb2']})
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    expect(r.nodes[0].steps.find((x) => x.step === 'converge')?.detail).toBe('running')
    expect(t.holders(VIP)).toEqual(['lb1'])
  })

  it('--node deploys only that node', async () => {
    const c = cluster(2)
    const t = lab(c)
    const r = await deployCluster(c, t, {...opts, nodes: ['lb2']})
    expect(r.nodes.map((n) => n.node)).toEqual(['lb2'])
    expect(t.get('lb1').calls).toEqual([])
    await expect(deployCluster(c, t, {...opts, nodes: ['nope']})).rejects.toThrow(/node nope is not in the spec/)
  })

  it('spec values hostile to a shell only ever cross as quoted argv', async () => {
    const evil = `/etc/keepalived/scripts/chk';touch /tmp/pwned;'$(id)\`id\`"x".sh`
    const c = cluster(2, {script: true})
    for (const n of c.nodes) {
      n.scripts[0].path = evil
      n.text += `# ${evil}\n`
    }
    const t = lab(c)
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(t.get('lb1').file(evil)).toContain('pgrep nginx')
    const all = [...t.machines.values()].flatMap((m) => m.calls.filter((x) => x.kind === 'exec').map((x) => x.argv))
    expect(all.some((a) => a.includes(evil))).toBe(true)
    for (const argv of all) expect(roundTripsThroughShell(argv), argv.join(' ')).toBe(true)
  })
})
