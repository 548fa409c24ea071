import {describe, expect, it} from 'vitest'
import {sameAsBefore} from '../../../src/deploy/apply.js'
import {deployCluster, planDifference, type DeployResult} from '../../../src/deploy/deploy.js'
import type {DesiredCluster} from '../../../src/host/desired.js'
import {describeOwner, formatOwner, parseOwner} from '../../../src/remote/lock.js'
import type {RemoteHost, SshTarget, Transport} from '../../../src/remote/types.js'
import {FakeTransport} from '../../helpers/fake-transport.js'
import {cluster, node} from './cluster-fixture.js'

const CONF = '/etc/keepalived/keepalived.conf'
const VIP = '10.0.0.100'
const opts = {convergeTimeoutMs: 2000, now: () => new Date('2026-11-22T04:00:00Z')}

function lab(c: DesiredCluster): FakeTransport {
  const t = new FakeTransport([VIP])
  for (const n of c.nodes) t.machine(n.name, n.address, {init: 'none'})
  return t
}

async function deployedThenLb2At(priority: number, script = false): Promise<{t: FakeTransport; c2: DesiredCluster}> {
  const c = cluster(2)
  const t = lab(c)
  const r = await deployCluster(c, t, opts)
  expect(r.ok, JSON.stringify(r.error)).toBe(true)
  const c2 = cluster(2)
  c2.nodes[1] = node('lb2', '10.0.0.12', priority, {script})
  return {t, c2}
}

const statuses = (r: DeployResult): Record<string, string> => Object.fromEntries(r.nodes.map((n) => [n.node, n.status]))

/** The fake transport, except that writing `path` on `node` fails like a file with chattr +i (EPERM). */
function refusingWrites(t: FakeTransport, nodeName: string, path: string): Transport {
  return {
    async connect(target: SshTarget): Promise<RemoteHost> {
      const h = await t.connect(target)
      if (target.name !== nodeName) return h
      const wrapped: RemoteHost = {
        name: h.name,
        address: h.address,
        isRoot: h.isRoot,
        exec: (a, o) => h.exec(a, o),
        stream: (a, on, o) => h.stream(a, on, o),
        readFile: (f, o) => h.readFile(f, o),
        close: () => h.close(),
        async writeFile(f, c, o) {
          if (f === path) throw new Error(`writing ${f}: Operation not permitted`)
          return h.writeFile(f, c, o)
        },
      }
      return wrapped
    },
  }
}

describe('deploy is a transaction (fake transport)', () => {
  it('a config that does not converge (FAULT): files restored first, then keepalived reloaded with them; verified from its dump', async () => {
    const {t, c2} = await deployedThenLb2At(120, true)
    const lb2 = t.get('lb2')
    const before = lb2.file(CONF)
    // keepalived's own view: the new config's instance is in FAULT (its track script fails)
    lb2.on((a) => a[3] === 'halctl-dump' && lb2.priority() === 120, {stdout: '------< VRRP Topology >------\n VRRP Instance = VI_web\n   State = FAULT\n   Priority = 120\n'})
    const mark = lb2.calls.length
    const r = await deployCluster(c2, t, opts)
    expect(statuses(r), JSON.stringify(r.error)).toEqual({lb1: 'unchanged', lb2: 'rolled-back'})
    const n = r.nodes[1]
    expect(n.error).toMatchObject({step: 'converge', code: 'NOT_CONVERGED'})
    expect(n.error?.message).toMatch(/VI_web in FAULT state/)
    const log = n.rollback ?? []
    expect(log).toContain(`restore ${CONF}: ok`)
    expect(log).toContain('remove /etc/keepalived/scripts/chk_nginx.sh: ok')
    const reload = log.indexOf('reload keepalived with the restored config: ok')
    expect(reload).toBeGreaterThan(log.indexOf(`restore ${CONF}: ok`))
    expect(log[log.length - 1]).toMatch(/^verify: keepalived runs the previous config \(its data dump\), holds no VIP$/)
    // on the wire: the restore of keepalived.conf precedes the SIGHUP that makes keepalived read it
    const calls = lb2.calls.slice(mark).map((c) => c.argv)
    const restoreAt = calls.findLastIndex((a) => a[0] === '<writeFile>' && a[1] === CONF)
    const hupAt = calls.findLastIndex((a) => a[3] === 'halctl-signal' && a[4] === 'HUP')
    expect(restoreAt).toBeGreaterThan(0)
    expect(hupAt).toBeGreaterThan(restoreAt)
    expect(lb2.file(CONF)).toBe(before)
    expect(lb2.file('/etc/keepalived/scripts/chk_nginx.sh')).toBeUndefined()
    expect(t.holders(VIP)).toEqual(['lb1'])
  })

  it('a target file that cannot be written (chattr +i): the undo skips the file never written, goes on, nothing left behind', async () => {
    const {t, c2} = await deployedThenLb2At(120, true)
    const lb2 = t.get('lb2')
    const before = lb2.file(CONF)
    const r = await deployCluster(c2, refusingWrites(t, 'lb2', CONF), opts)
    expect(statuses(r), JSON.stringify(r.error)).toEqual({lb1: 'unchanged', lb2: 'rolled-back'})
    expect(r.nodes[1].error?.step).toBe('write')
    expect(r.nodes[1].rollback).toEqual(
      expect.arrayContaining([`restore ${CONF}: nothing to undo`, 'remove /etc/keepalived/scripts/chk_nginx.sh: ok', expect.stringMatching(/^remove \/etc\/keepalived\/\.halctl-stage-\w+: ok$/)]),
    )
    expect(lb2.file(CONF)).toBe(before)
    expect([...lb2.state.files.keys()].filter((p) => p.includes('.halctl-stage') || p.includes('chk_nginx'))).toEqual([])
    expect(lb2.state.lock).toBeUndefined()
  })

  it('an undo that fails does not stop the others; the node is reported rollback-failed with every result (exit 4)', async () => {
    const c = cluster(2)
    const t = lab(c)
    const lb1 = t.get('lb1')
    lb1.on(['keepalived', '-f'], {code: 1, stderr: 'cannot bind'}) // the start fails
    lb1.on((a) => a[0] === 'nft' && a[1] === 'delete', {code: 1, stderr: 'Operation not permitted'})
    lb1.on((a) => a[0] === 'rm' && a[a.length - 1] === '/etc/keepalived/halctl/vrrp.nft', {code: 1, stderr: 'Read-only file system'})
    const r = await deployCluster(c, t, opts)
    expect(r.error).toMatchObject({code: 'DEPLOY_ROLLBACK_FAILED', exitCode: 4})
    expect(statuses(r)).toEqual({lb1: 'rollback-failed', lb2: 'skipped'})
    const log = r.nodes[0].rollback ?? []
    expect(log).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^remove \/etc\/keepalived\/halctl\/vrrp\.nft: FAILED \(.*Read-only file system/),
        `remove ${CONF}: ok`,
        expect.stringMatching(/^delete table inet halctl: ok$/),
        'stop keepalived (it was not running before): ok',
      ]),
    )
    // files undone first: the config is gone even though an earlier undo failed
    expect(lb1.file(CONF)).toBeUndefined()
    expect(r.error?.hint).toMatch(/keepalived -t -f/)
  })

  it('a node locked by another live run: refused at once naming the holder, nothing touched', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const lb2 = t.get('lb2')
    lb2.state.lock = formatOwner({run: 'abc', user: 'alice', host: 'ops1', pid: 4242, what: 'deploy', since: '2026-11-22T03:59:00Z'})
    const writesBefore = lb2.calls.filter((c) => c.kind === 'writeFile').length
    const r = await deployCluster(c2, t, opts)
    expect(r.error).toMatchObject({code: 'NODE_LOCKED', exitCode: 4})
    expect(r.error?.message).toBe('lb2 is being changed by another run: deploy by alice@ops1 (pid 4242) since 2026-11-22T03:59:00Z')
    expect(lb2.calls.filter((c) => c.kind === 'writeFile').length).toBe(writesBefore)
    // the lock taken on lb1 meanwhile was given back; the other run's lock stays
    expect(t.get('lb1').state.lock).toBeUndefined()
    expect(lb2.state.lock).toContain('run=abc')
  })

  it('the shown plan is the applied plan: a node that changed since is refused with what changed', async () => {
    const {t, c2} = await deployedThenLb2At(120)
    const shown = await deployCluster(c2, t, {...opts, dryRun: true})
    const expectPlan = Object.fromEntries(shown.nodes.map((n) => [n.node, n.changes]))
    // someone edits lb2's config between the plan and the apply
    const lb2 = t.get('lb2')
    lb2.state.files.set(CONF, {content: Buffer.from((lb2.file(CONF) ?? '').replace('priority 100', 'priority 101')), mode: 0o600})
    const r = await deployCluster(c2, t, {...opts, expectPlan})
    expect(r.error).toMatchObject({code: 'PLAN_CHANGED', exitCode: 4})
    expect(r.error?.message).toMatch(/^lb2 changed since it was planned: no longer planned: write \/etc\/keepalived\/keepalived\.conf; now different: write/)
    expect(lb2.file(CONF)).toMatch(/priority 101/)
    // the unchanged plan applies
    const again = await deployCluster(c2, t, {...opts, expectPlan: Object.fromEntries((await deployCluster(c2, t, {...opts, dryRun: true})).nodes.map((n) => [n.node, n.changes]))})
    expect(again.ok, JSON.stringify(again.error)).toBe(true)
  })

  it('interrupted during a step: no further step starts, the node in flight is undone, the rest skipped, exit 130', async () => {
    const c = cluster(2)
    const t = lab(c)
    const stop = new AbortController()
    const r = await deployCluster(c, t, {...opts, signal: stop.signal, onStep: (n, step, state) => void (n === 'lb1' && step === 'write' && state === 'start' && stop.abort())})
    expect(r.error).toMatchObject({code: 'DEPLOY_INTERRUPTED', exitCode: 130})
    expect(statuses(r)).toEqual({lb1: 'rolled-back', lb2: 'skipped'})
    expect(r.nodes[0].steps.map((s) => s.step)).toEqual(['backup', 'upload', 'validate', 'write', 'rollback'])
    expect(r.nodes[0].error).toMatchObject({code: 'INTERRUPTED', step: 'firewall'})
    expect(r.error?.message).toMatch(/^interrupted: lb1 undone \(remove \/etc\/keepalived\/keepalived\.conf: ok/)
    expect(t.get('lb1').file(CONF)).toBeUndefined()
    expect(t.get('lb1').state.running).toBe(false)
    expect(t.get('lb2').calls.filter((x) => x.kind === 'writeFile')).toEqual([])
    expect(t.get('lb1').state.lock).toBeUndefined()
  })
})

describe('pure parts', () => {
  it('planDifference names what is no longer, newly or differently planned', () => {
    expect(planDifference([{kind: 'config', summary: 'write a'}], [{kind: 'config', summary: 'write a'}])).toBe('')
    expect(planDifference([{kind: 'config', summary: 'write a', diff: '1'}], [{kind: 'config', summary: 'write a', diff: '2'}, {kind: 'service', summary: 'reload'}])).toBe(
      'no longer planned: write a; now different: write a; newly needed: reload',
    )
  })
  it('sameAsBefore compares keepalived\'s own view and the VIPs', () => {
    const b = {running: true, holds: ['10.0.0.100'], dump: [{name: 'VI', state: 'MASTER', priority: 150}]}
    expect(sameAsBefore(b, b)).toEqual({ok: true})
    expect(sameAsBefore(b, {...b, dump: [{name: 'VI', state: 'FAULT', priority: 150}]}).why).toBe('VI is FAULT, it was MASTER')
    expect(sameAsBefore(b, {...b, dump: [{name: 'VI', state: 'MASTER', priority: 120}]}).why).toBe('VI runs with priority 120, it ran with 150')
    expect(sameAsBefore(b, {...b, holds: []}).why).toBe('it holds none, it held 10.0.0.100')
    expect(sameAsBefore(b, {running: false, holds: ['10.0.0.100']}).why).toBe('keepalived is not running')
  })
  it('lock owners round-trip and read as a sentence', () => {
    const o = parseOwner(`${formatOwner({run: 'r1', user: 'bob smith', host: 'ctl', pid: 7, what: 'failover-test', since: '2026-11-22T04:00:00Z'})} sess=99`)
    expect(o).toEqual({run: 'r1', user: 'bob_smith', host: 'ctl', pid: 7, what: 'failover-test', since: '2026-11-22T04:00:00Z', sess: 99})
    expect(describeOwner(o!)).toBe('failover-test by bob_smith@ctl (pid 7) since 2026-11-22T04:00:00Z')
  })
})
