/**
 * failover-test against a real 2-node lab: real sshd, real keepalived, real
 * nftables, a real HTTP server behind the VIP, and an independent tcpdump on
 * the lab bridge as the oracle for the measured times.
 */
import {execa, type ResultPromise} from 'execa'
import {chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadCluster} from '../../../src/deploy/from-spec.js'
import {runFailoverTest, type FailoverOptions, type FailoverResult} from '../../../src/failover/run.js'
import {bridgeName} from '../../../src/lab/names.js'
import {masterDownMs, skewMs} from '../../../src/vrrp/timers.js'
import {settle, startLab, type Lab} from '../deploy/lab-fixture.js'
import {tcpdumpAdverts} from './oracle.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'hfo'
const SUBNET = '10.206.0.0/24'
const CHECK_DIR = '/usr/local/lib/halctl-lab-check'
const CHECK = `${CHECK_DIR}/chk_ok.sh`

describe.runIf(isRoot)('failover-test on a 2-node lab (real keepalived, sshd, nftables, HTTP server)', () => {
  let lab: Lab
  let vip: string
  let addr: Record<string, string>
  let oracle: ResultPromise | undefined
  const pcap = `/tmp/${PREFIX}-oracle.pcap`

  const deploySpec = async (name: string, edit: (doc: Record<string, any>) => void): Promise<string> => {
    const spec = lab.specVariant(name, (d) => {
      d.instances[0].priorities = {lb1: 150, lb2: 100}
      d.instances[0].trackScripts = ['chk_ok']
      d.scripts = {chk_ok: {script: CHECK, interval: 1, fall: 1, rise: 1, weight: -80}}
      edit(d)
    })
    const r = await lab.deploy(await lab.load(spec))
    expect(r.ok, JSON.stringify(r.nodes.map((n) => n.error))).toBe(true)
    // a fresh config may leave the VIP where it was; give preempt the time it needs
    expect(await settle(lab, vip, 20_000)).toHaveLength(1)
    return spec
  }

  const run = async (spec: string, opts: Partial<FailoverOptions>): Promise<FailoverResult> => {
    const loaded = await loadCluster(spec)
    return runFailoverTest(loaded.cluster, lab.transport, {
      faults: ['kill'],
      rounds: 1,
      sshConfigFile: loaded.sshConfigFile,
      knownHostsFile: loaded.knownHostsFile,
      ...opts,
    })
  }

  beforeAll(async () => {
    mkdirSync(CHECK_DIR, {recursive: true})
    writeFileSync(CHECK, '#!/bin/sh\nexit 0\n')
    chmodSync(CHECK, 0o755)
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET})
    vip = lab.up.vip.split('/')[0]
    addr = Object.fromEntries(lab.up.hosts.map((h) => [h.name, h.address]))
    // the service behind the VIP, on every node
    for (const name of lab.hosts.keys()) {
      await lab.exec(name, ['sh', '-c', 'cd /tmp && nohup python3 -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1 </dev/null &'])
    }
    oracle = execa('tcpdump', ['-i', bridgeName(PREFIX), '-n', '-U', '-w', pcap, 'ip proto 112'], {reject: false})
  }, 240_000)

  afterAll(async () => {
    oracle?.kill('SIGTERM')
    await oracle?.catch(() => undefined)
    await lab?.down()
    rmSync(CHECK_DIR, {recursive: true, force: true})
    rmSync(pcap, {force: true})
  })

  it('kill and stop: takeover within the protocol windows, agreeing with tcpdump to 20 ms, client downtime consistent', async () => {
    const spec = await deploySpec('v2', () => undefined)
    const r = await run(spec, {faults: ['kill', 'stop'], probe: `http://${vip}:8080/`, probeIntervalMs: 20})
    expect(r.rounds).toHaveLength(2)
    const [kill, stop] = r.rounds
    if (process.env.HALCTL_DEBUG) console.log(JSON.stringify(r.rounds.map((x) => ({m: x.measurement, v: x.verdict, ev: x.events.filter((e) => e.kind !== 'probe')})), null, 1))
    const mdi = masterDownMs(2, 100, 1000)
    const skew = skewMs(2, 100, 1000)
    expect(kill.originalMaster).toBe('lb1')
    expect(kill.newMaster).toBe('lb2')
    // fault -> first advert of the new master, and the protocol's own gap (last advert -> takeover)
    expect(kill.measurement.firstAdvertMs!).toBeGreaterThanOrEqual(2000)
    expect(kill.measurement.firstAdvertMs!).toBeLessThanOrEqual(mdi + 300)
    expect(kill.measurement.gapMs!).toBeGreaterThanOrEqual(mdi - 50)
    expect(kill.measurement.gapMs!).toBeLessThanOrEqual(mdi + 300)
    expect(stop.measurement.resigned).toBe(true)
    expect(stop.measurement.firstAdvertMs!).toBeLessThanOrEqual(skew + 300)
    expect(stop.measurement.gapMs!).toBeLessThanOrEqual(skew + 300)
    expect(kill.verdict.ok, JSON.stringify(kill.verdict.checks)).toBe(true)
    expect(stop.verdict.ok, JSON.stringify(stop.verdict.checks)).toBe(true)
    // preempt: lb1 took the VIP back after each restore
    expect(kill.measurement.returnedMs).toBeDefined()
    // the independent capture on the bridge saw the same first advert of the new master
    await new Promise((res) => setTimeout(res, 300))
    const adverts = await tcpdumpAdverts(pcap)
    for (const round of [kill, stop]) {
      const faultAt = round.measurement.faultAt!
      const ours = faultAt + round.measurement.firstAdvertMs!
      const theirs = adverts.find((a) => a.t >= faultAt - 5 && a.src === addr.lb2 && a.prio > 0)
      expect(theirs, `tcpdump saw lb2 advertise after the ${round.fault}`).toBeDefined()
      expect(Math.abs(ours - theirs!.t)).toBeLessThanOrEqual(20)
    }
    // a clean stop announces itself: tcpdump saw lb1's priority 0 right at the fault
    const stopAt = stop.measurement.faultAt!
    expect(adverts.some((a) => a.src === addr.lb1 && a.prio === 0 && Math.abs(a.t - stopAt) < 1000)).toBe(true)
    // clients: after a clean stop the VIP is on no node for about Skew_Time and the probe sees that outage;
    // a SIGKILLed master keeps its address and keeps serving, so clients see at most the takeover
    const s = stop.measurement
    expect(s.probes.sent).toBeGreaterThan(50)
    expect(s.probes.failed).toBeGreaterThan(0)
    expect(Math.abs(s.probes.downtimeMs - s.noOwnerMs)).toBeLessThanOrEqual(150)
    expect(kill.measurement.probes.downtimeMs).toBeLessThanOrEqual(kill.measurement.vipMovedMs! + 500)
    expect(r.ok).toBe(true)
  })

  it('block is reported as split brain with its duration; link and script fail over too', async () => {
    const spec = await deploySpec('v2b', () => undefined)
    const r = await run(spec, {faults: ['block', 'link', 'script']})
    const [block, link, script] = r.rounds
    expect(block.verdict.checks[0]).toMatchObject({name: 'split brain detected', ok: true})
    expect(block.measurement.dualHoldMs).toBeGreaterThan(1000)
    expect(block.verdict.checks[0].detail).toMatch(/VIP on two nodes for \d+ ms/)
    expect(link.newMaster).toBe('lb2')
    expect(link.verdict.ok, JSON.stringify(link.verdict.checks)).toBe(true)
    expect(script.newMaster).toBe('lb2')
    expect(script.verdict.ok, JSON.stringify(script.verdict.checks)).toBe(true)
    // every fault was undone: no fault table, no bind mount, link up
    expect(await lab.exec('lb1', ['nft', 'list', 'tables'])).not.toContain('halctl_fault')
    expect(await lab.exec('lb1', ['cat', '/proc/self/mounts'])).not.toContain(CHECK)
    expect(await settle(lab, vip)).toEqual(['lb1'])
  })

  it('nopreempt: the VIP stays on the new master; nopreempt with state MASTER fails and names the cause', async () => {
    const good = await deploySpec('nopreempt', (d) => void (d.instances[0].preempt = false))
    const holder = (await settle(lab, vip))[0]
    const r = await run(good, {})
    expect(r.rounds[0].originalMaster).toBe(holder)
    expect(r.rounds[0].verdict.checks.find((c) => c.name === 'nopreempt')?.ok).toBe(true)
    expect(r.ok).toBe(true)

    // keepalived -t refuses nopreempt with state MASTER, so deploy would never write it: a hand edit on lb1 does
    await settle(lab, vip)
    await lab.exec('lb1', ['sh', '-c', "sed -i 's/^\\( *\\)state BACKUP/\\1state MASTER/' /etc/keepalived/keepalived.conf && pkill -HUP -o -x keepalived"])
    expect(lab.conf('lb1')).toMatch(/state MASTER/)
    // nopreempt is cleared on lb1, so it takes the VIP back at once
    let holders = await lab.holders(vip)
    for (let i = 0; i < 60 && holders.join() !== 'lb1'; i++) {
      await new Promise((res) => setTimeout(res, 250))
      holders = await lab.holders(vip)
    }
    expect(holders).toEqual(['lb1'])
    const b = await run(good, {force: true})
    expect(b.preempt).toBe(false)
    expect(b.ok).toBe(false)
    const round = b.rounds.at(-1)!
    expect(round.verdict.checks.find((c) => c.name === 'nopreempt')?.ok, JSON.stringify(round.verdict.checks)).toBe(false)
    expect(round.verdict.checks.find((c) => c.name === 'cause')?.detail).toMatch(/lb1: nopreempt with state MASTER/)
  })

  it('VRRPv3 at 50 ms adverts: a takeover under 300 ms is measured', async () => {
    const spec = await deploySpec('v3', (d) => Object.assign(d.instances[0], {version: 3, advertInt: 0.05}))
    const r = await run(spec, {})
    const m = r.rounds[0].measurement
    expect(m.vipMovedMs!).toBeLessThan(300)
    expect(m.vipMovedMs!).toBeGreaterThan(0)
    expect(r.rounds[0].verdict.ok, JSON.stringify(r.rounds[0].verdict.checks)).toBe(true)
  })

  it('an aborted run (SIGINT) undoes the fault and leaves the cluster healthy', async () => {
    const spec = await deploySpec('abort', () => undefined)
    const ac = new AbortController()
    const running = run(spec, {faults: ['block'], signal: ac.signal, onProgress: (m) => /^round 1\/1: nftables/.test(m) && setTimeout(() => ac.abort(), 1500)})
    await expect(running).rejects.toMatchObject({code: 'INTERRUPTED', exitCode: 130})
    expect(await lab.exec('lb1', ['nft', 'list', 'tables'])).not.toContain('halctl_fault')
    expect(await settle(lab, vip, 20_000)).toEqual(['lb1'])
  })

  it('the CLI writes an HTML report and exits 0 on a healthy cluster; Ctrl-C restores the fault', async () => {
    const spec = await deploySpec('cli', () => undefined)
    const report = join(lab.dir, 'report.html')
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'run.js')
    const ok = await execa('node', [bin, 'failover-test', '-s', spec, '--fault', 'stop', '--report', report, '--json'], {reject: false})
    expect(ok.exitCode, ok.stderr).toBe(0)
    const json = JSON.parse(ok.stdout)
    expect(Object.keys(json).sort()).toEqual(['advertIntMs', 'cluster', 'findings', 'instance', 'nodes', 'ok', 'preempt', 'report', 'rounds', 'summary', 'version', 'vips', 'vrid'])
    expect(readFileSync(report, 'utf8')).toMatch(/<svg[\s\S]*fault: stop \(lb1\)/)

    const child = execa('node', [bin, 'failover-test', '-s', spec, '--fault', 'block'], {reject: false})
    let injected = false
    for (let i = 0; i < 100 && !injected; i++) {
      await new Promise((res) => setTimeout(res, 100))
      injected = (await lab.exec('lb1', ['nft', 'list', 'tables'])).includes('halctl_fault')
    }
    expect(injected).toBe(true)
    child.kill('SIGINT')
    const res = await child
    expect(res.exitCode).toBe(130)
    expect(await lab.exec('lb1', ['nft', 'list', 'tables'])).not.toContain('halctl_fault')
    expect(await settle(lab, vip, 20_000)).toEqual(['lb1'])
  })
})
