/**
 * failover-test's verdicts on every fault, every init system the lab offers and
 * both preempt settings: one 2-node lab per init system (real sshd, real
 * keepalived started by the init system, real nftables), several faults per
 * run. VRRPv3 at 500 ms adverts keeps the 30 rounds short; the timers are the
 * protocol's either way. The truth is read from the hosts (`ip addr`) and from
 * an independent tcpdump on the lab bridge, never from halctl alone.
 *
 * Also: a broken cluster (VRRP dropped on the backup, so both nodes hold the
 * VIP) fails the verdict and says why.
 */
import {execa, type ResultPromise} from 'execa'
import {chmodSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadCluster} from '../../../src/deploy/from-spec.js'
import {FAULTS} from '../../../src/failover/expectations.js'
import {runFailoverTest, type FailoverResult} from '../../../src/failover/run.js'
import {bridgeName} from '../../../src/lab/names.js'
import type {HostInit} from '../../../src/lab/netns.js'
import {settle, startLab, type Lab} from '../deploy/lab-fixture.js'
import {tcpdumpAdverts} from './oracle.js'

const CHECK_DIR = '/usr/local/lib/x14-failover-check'
const CHECK = `${CHECK_DIR}/chk_ok.sh`

const CASES: Array<{init: HostInit; prefix: string; subnet: string}> = [
  {init: 'none', prefix: 'x14a', subnet: '10.114.1.0/24'},
  {init: 'sysv', prefix: 'x14b', subnet: '10.114.2.0/24'},
  {init: 'systemd', prefix: 'x14c', subnet: '10.114.3.0/24'},
]

describe.runIf(process.getuid?.() === 0)('failover-test on every init system, every fault, preempt and nopreempt', () => {
  beforeAll(() => {
    mkdirSync(CHECK_DIR, {recursive: true})
    writeFileSync(CHECK, '#!/bin/sh\nexit 0\n')
    chmodSync(CHECK, 0o755)
  })
  afterAll(() => rmSync(CHECK_DIR, {recursive: true, force: true}))

  // one lab per init system, the three at once (each runs its rounds in order)
  it.concurrent.for(CASES)('$init hosts', {timeout: 360_000}, async ({init, prefix, subnet}, {expect}) => {
    const pcap = `/tmp/${prefix}-oracle.pcap`
    const lab: Lab = await startLab(2, {prefix, subnet, init})
    const oracle: ResultPromise = execa('tcpdump', ['-i', bridgeName(prefix), '-n', '-U', '-w', pcap, 'ip proto 112'], {reject: false})
    const vip = lab.up.vip.split('/')[0]
    const addr: Record<string, string> = Object.fromEntries(lab.up.hosts.map((h) => [h.name, h.address]))

    const deploy = async (name: string, preempt: boolean): Promise<string> => {
      const spec = lab.specVariant(name, (d) => {
        Object.assign(d.instances[0], {version: 3, advertInt: 0.5, preempt, priorities: {lb1: 150, lb2: 100}, trackScripts: ['chk_ok']})
        d.scripts = {chk_ok: {script: CHECK, interval: 1, fall: 1, rise: 1, weight: -80}}
      })
      // three labs at once on a busy machine: give sshd time for its handshake
      const r = await lab.deploy(await lab.load(spec), {connectTimeoutMs: 30_000})
      expect(r.ok, JSON.stringify(r.nodes.map((n) => n.error))).toBe(true)
      expect(await settle(lab, vip, 20_000)).toHaveLength(1)
      return spec
    }

    const run = async (spec: string): Promise<FailoverResult> => {
      const loaded = await loadCluster(spec)
      return runFailoverTest(loaded.cluster, lab.transport, {faults: [...FAULTS], rounds: 1, sshConfigFile: loaded.sshConfigFile, knownHostsFile: loaded.knownHostsFile, holdMs: 500})
    }

    /** every round passed; the VIP ends on exactly one node, and tcpdump agrees with the measured takeovers */
    const judge = async (r: FailoverResult): Promise<void> => {
      const why = JSON.stringify(r.rounds.map((x) => ({fault: x.fault, basis: x.measurement.faultBasis, failed: x.verdict.checks.filter((c) => !c.ok)})))
      expect(r.rounds.map((x) => x.fault)).toEqual([...FAULTS])
      expect(r.ok, `${init}: ${why}`).toBe(true)
      expect((await settle(lab, vip)).length).toBe(1)
      await new Promise((res) => setTimeout(res, 300))
      const adverts = await tcpdumpAdverts(pcap)
      for (const round of r.rounds) {
        const m = round.measurement
        if (m.firstAdvertMs === undefined) continue
        const ours = m.faultAt! + m.firstAdvertMs
        const theirs = adverts.find((a) => a.t >= m.faultAt! - 5 && a.src === addr[round.newMaster!] && a.prio > 0)
        expect(theirs, `tcpdump saw ${round.newMaster} advertise after ${round.fault}`).toBeDefined()
        expect(Math.abs(ours - theirs!.t), round.fault).toBeLessThanOrEqual(20)
      }
      // a clean stop: the fault time is the priority 0 advert tcpdump saw
      const stop = r.rounds.find((x) => x.fault === 'stop')!
      expect(stop.measurement.faultBasis).toBe('priority 0 advert')
      expect(adverts.some((a) => a.src === addr[stop.originalMaster] && a.prio === 0 && Math.abs(a.t - stop.measurement.faultAt!) <= 20)).toBe(true)
    }

    try {
      // preempt: every fault passes and the VIP returns to lb1 each time; block is judged by preempt
      const pre = await run(await deploy('preempt', true))
      await judge(pre)
      for (const round of pre.rounds) {
        expect(round.originalMaster).toBe('lb1')
        expect(round.verdict.checks.find((c) => c.name === 'preempt')?.ok, round.fault).toBe(true)
      }
      expect(pre.rounds.find((x) => x.fault === 'block')!.verdict.checks.some((c) => c.name === 'nopreempt')).toBe(false)
      expect(await lab.holders(vip)).toEqual(['lb1'])

      // nopreempt: the new master keeps the VIP, except after block, where priority decides
      const nop = await run(await deploy('nopreempt', false))
      await judge(nop)
      for (const round of nop.rounds) {
        if (round.expectation.takeover) expect(round.verdict.checks.find((c) => c.name === 'nopreempt')?.ok, round.fault).toBe(true)
      }
      // a weighted track script lowers the master, and a nopreempt backup accepts the lower priority
      const script = nop.rounds.find((x) => x.fault === 'script')!
      expect(script.expectation.takeover).toBe(false)
      expect(script.measurement.vipMovedMs).toBeUndefined()

      if (init === 'none') {
        // a broken cluster (VRRP dropped on the backup: both hold the VIP) fails and says why
        const spec = await deploy('broken', true)
        const rule = 'table inet x14_broken { chain in { type filter hook input priority -20; policy accept; ip protocol vrrp drop; }; }'
        expect(await lab.exec('lb2', ['sh', '-c', 'printf "%s\\n" "$1" | nft -f - && nft list table inet x14_broken', 'x14', rule])).toContain('drop')
        try {
          for (let i = 0; i < 40 && (await lab.holders(vip)).length < 2; i++) await new Promise((res) => setTimeout(res, 250))
          expect(await lab.holders(vip)).toEqual(['lb1', 'lb2'])
          const loaded = await loadCluster(spec)
          const opts = {faults: ['kill' as const], rounds: 1, sshConfigFile: loaded.sshConfigFile, knownHostsFile: loaded.knownHostsFile}
          // without --force: refused before any fault, naming the split brain
          await expect(runFailoverTest(loaded.cluster, lab.transport, opts)).rejects.toMatchObject({code: 'FAILOVER_UNHEALTHY', exitCode: 3, message: expect.stringMatching(/split-brain/)})
          // with --force: the round fails, says why, and injects nothing on top
          const r = await runFailoverTest(loaded.cluster, lab.transport, {...opts, force: true})
          expect(r.ok).toBe(false)
          const check = r.rounds[0].verdict.checks[0]
          expect(check).toMatchObject({name: 'healthy at start', ok: false})
          expect(check.detail).toMatch(/on lb1 \+ lb2 before any fault: split brain, the nodes do not hear each other's VRRP/)
          expect(await lab.keepalivedPid('lb1')).toBeDefined()
          expect(await lab.holders(vip)).toEqual(['lb1', 'lb2'])
        } finally {
          await lab.exec('lb2', ['nft', 'delete', 'table', 'inet', 'x14_broken'])
        }
        expect(await settle(lab, vip, 20_000)).toEqual(['lb1'])
      }
    } finally {
      oracle.kill('SIGTERM')
      await oracle.catch(() => undefined)
      await lab.down()
      rmSync(pcap, {force: true})
    }
  })
})
