/**
 * sniff's findings on captures of real keepalived (three lab hosts, prefix x15a, 10.115.1.0/24),
 * checked against the real tcpdump's timestamps of the same capture: a kill failover, a preempt
 * and a stop (resign) give takeover/preempt/resign findings and exit 0; a split brain made with
 * nftables and healed has the window of the second master's adverts; an advert interval mismatch
 * names the two routers that disagree; a VRID collision with a second cluster names the clusters.
 * VRRPv3 at 500 ms keeps the file short. Needs root.
 */
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Sniff, {type SniffResult} from '../../../src/commands/sniff.js'
import {fileSource} from '../../../src/capture/sources.js'
import type {Finding} from '../../../src/sniff/findings.js'
import {runSniff, type SniffSummary} from '../../../src/sniff/service.js'
import {runCommand} from '../../helpers/run-command.js'
import {instance, keepalivedConf, startSniffLab, type LabNode, type SniffLab} from './fixture.js'

let lab: SniffLab
/** VRRPv3 at 500 ms: short, and steady enough on a loaded machine */
const IVL_MS = 500

interface Advert {
  ms: number
  src: string
  vrid: number
  prio: number
}

/** what the real tcpdump says of the capture: every advert with its time */
function tcpdumpAdverts(file: string): Advert[] {
  const out = execFileSync('tcpdump', ['-tt', '-n', '-r', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  const adverts: Advert[] = []
  for (const l of out.split('\n')) {
    const m = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)/.exec(l)
    if (m) adverts.push({ms: Number(m[1]) * 1000, src: m[2], vrid: Number(m[3]), prio: Number(m[4])})
  }
  return adverts
}

async function capture(name: string, body: () => Promise<void>): Promise<{file: string; summary: SniffSummary; adverts: Advert[]}> {
  const file = join(lab.dir, `${name}.pcap`)
  const stop = await lab.tcpdump(file)
  try {
    await body()
  } finally {
    await stop()
  }
  const summary = await runSniff({source: fileSource(file), output: 'none', write: () => undefined})
  return {file, summary, adverts: tcpdumpAdverts(file)}
}

const ms = (iso: string) => Date.parse(iso) + (Number(iso.slice(23, 26)) / 1000)
const only = (s: SniffSummary, code: string, vrid: number): Finding[] => s.findings.filter((f) => f.code === code && f.vrid === vrid)

function conf(node: LabNode, ...instances: string[]): string {
  return keepalivedConf(node, lab.addr, instances)
}

async function startPair(vrid: number): Promise<void> {
  await lab.startKeepalived('lb1', conf('lb1', instance({name: 'V', vrid, priority: 150, advertInt: '0.5', version: 3, vips: ['10.115.1.200/24']})))
  await lab.startKeepalived('lb2', conf('lb2', instance({name: 'V', vrid, priority: 100, advertInt: '0.5', version: 3, vips: ['10.115.1.200/24']})))
}

describe.skipIf(process.getuid?.() !== 0)('sniff findings on real keepalived, timed against tcpdump', () => {
  beforeAll(async () => {
    process.env.TZ = 'UTC'
    lab = await startSniffLab({prefix: 'x15a', subnet: '10.115.1.0/24', hosts: 3, ipv6: false})
  }, 120_000)

  afterAll(async () => {
    await lab?.down()
  }, 60_000)

  it('kill, preempt and stop: takeover, preempt and resign at tcpdump\'s times, no error, --summary exits 0', async () => {
    await startPair(151)
    await sleep(3000)
    const {file, summary, adverts} = await capture('failover', async () => {
      await sleep(1500)
      await lab.killKeepalived('lb1')
      await sleep(3000)
      await lab.startKeepalived('lb1', conf('lb1', instance({name: 'V', vrid: 151, priority: 150, advertInt: '0.5', version: 3, vips: ['10.115.1.200/24']})))
      await sleep(3500)
      await lab.stopKeepalived('lb1')
      await sleep(2000)
    })
    const {lb1, lb2} = lab.addr
    const a = adverts.filter((x) => x.vrid === 151)
    // the kill: lb1's last advert, lb2's first
    const lb2First = a.findIndex((x) => x.src === lb2)
    expect(lb2First).toBeGreaterThan(0)
    const killLast = a[lb2First - 1]
    expect(killLast.src).toBe(lb1)
    const [take1, take2] = only(summary, 'takeover', 151)
    expect(take1).toMatchObject({routers: [lb1, lb2], severity: 'info'})
    expect(Math.abs(ms(take1.first) - a[lb2First].ms)).toBeLessThan(IVL_MS)
    expect(Math.abs(take1.measuredMs! - (a[lb2First].ms - killLast.ms))).toBeLessThan(IVL_MS)
    // the preempt: lb1's first advert after it came back
    const back = a.findIndex((x, i) => i > lb2First && x.src === lb1)
    const [pre] = only(summary, 'preempt', 151)
    expect(pre).toMatchObject({routers: [lb1, lb2], severity: 'info'})
    expect(Math.abs(ms(pre.first) - a[back].ms)).toBeLessThan(IVL_MS)
    // the stop: lb1's priority 0 advert, then lb2 within its Skew_Time
    const resign = a.find((x) => x.src === lb1 && x.prio === 0)!
    const [res] = only(summary, 'master-resigned', 151)
    expect(res.routers).toEqual([lb1])
    expect(Math.abs(ms(res.first) - resign.ms)).toBeLessThan(IVL_MS)
    expect(take2).toMatchObject({routers: [lb1, lb2], severity: 'info'})
    expect(take2.message).toContain('after its resign')
    const after = a.find((x) => x.src === lb2 && x.ms > resign.ms)!
    expect(Math.abs(ms(take2.first) - after.ms)).toBeLessThan(IVL_MS)
    expect(only(summary, 'split-brain', 151)).toEqual([])
    expect(only(summary, 'master-silent', 151)).toEqual([])
    expect(summary.errors).toBe(false)
    const cli = await runCommand<SniffResult>(Sniff, ['-r', file, '--summary'])
    expect(cli.exitCode).toBe(0)
    expect(cli.stdout).toContain('status: healthy (exit 0)')
    expect(cli.stdout).not.toContain('should take over')
    await lab.stopKeepalived('lb2')
  }, 60_000)

  it('split brain made with nftables and healed: from the second master\'s first advert to its last', async () => {
    await startPair(152)
    await sleep(3000)
    const {lb1, lb2} = lab.addr
    const {summary, adverts} = await capture('split', async () => {
      await sleep(600)
      execFileSync('ip', ['netns', 'exec', `${lab.prefix}-lb2`, 'nft', '-f', '-'], {input: 'table inet x15a_sniff {\n chain in {\n  type filter hook input priority 0;\n  meta l4proto 112 drop\n }\n}\n'})
      try {
        await sleep(4000)
      } finally {
        execFileSync('ip', ['netns', 'exec', `${lab.prefix}-lb2`, 'nft', 'delete', 'table', 'inet', 'x15a_sniff'], {stdio: 'ignore'})
      }
      await sleep(3000)
    })
    const b = adverts.filter((x) => x.vrid === 152 && x.src === lb2)
    expect(b.length).toBeGreaterThan(3)
    const [sb] = only(summary, 'split-brain', 152)
    expect(sb).toMatchObject({routers: [lb1, lb2], severity: 'error', active: false})
    expect(Math.abs(ms(sb.first) - b[0].ms)).toBeLessThan(IVL_MS)
    expect(Math.abs(ms(sb.last) - b[b.length - 1].ms)).toBeLessThan(IVL_MS)
    const src = new Map(adverts.map((x, i) => [i + 1, x.src]))
    expect(new Set(sb.evidence.map((i) => src.get(i)))).toEqual(new Set([lb1, lb2]))
    expect(summary.errors).toBe(true)
    await lab.stopKeepalived('lb1')
    await lab.stopKeepalived('lb2')
  }, 60_000)

  it('an interval mismatch names the two routers of the cluster; a collision names the clusters', async () => {
    const {lb1, lb2, lb3} = lab.addr
    const {summary} = await capture('mismatch', async () => {
      await lab.startKeepalived('lb1', conf('lb1', instance({name: 'M', vrid: 155, priority: 150, advertInt: '1', vips: ['10.115.1.155/24']}), instance({name: 'C', vrid: 156, priority: 150, advertInt: '0.5', version: 3, vips: ['10.115.1.156/24']})))
      await lab.startKeepalived('lb2', conf('lb2', instance({name: 'M', vrid: 155, priority: 100, advertInt: '2', vips: ['10.115.1.155/24']}), instance({name: 'C', vrid: 156, priority: 100, advertInt: '0.5', version: 3, vips: ['10.115.1.156/24']})))
      // another cluster on VRID 156: other addresses (and another count: keepalived drops its adverts)
      await lab.startKeepalived('lb3', conf('lb3', instance({name: 'X', vrid: 156, priority: 50, advertInt: '0.5', version: 3, vips: ['10.115.1.157/24', '10.115.1.158/24']})))
      await sleep(11_000)
    })
    const [ivl] = only(summary, 'interval-mismatch', 155)
    expect(ivl.routers).toEqual([lb1, lb2])
    expect(ivl.message).toContain(`${lb1} every 1 s; ${lb2} every 2 s`)
    expect(new Set(ivl.evidence).size).toBe(ivl.evidence.length)
    // keepalived's backup drops adverts of another interval and takes over while lb1 lives
    expect(ivl.message).toContain('takes over while the master lives')
    const [coll] = only(summary, 'vrid-collision', 156)
    // lb2 is a silent backup on VRID 156: it is named only if it advertised (a start-up race with lb1)
    expect(coll.routers).toEqual(expect.arrayContaining([lb1, lb3]))
    expect([lb1, lb2, lb3]).toEqual(expect.arrayContaining(coll.routers))
    expect(coll.message).toContain(`(VIPs 10.115.1.156) and ${lb3} (VIPs 10.115.1.157,10.115.1.158)`)
    // the foreign cluster's master is no rival of the cluster's own
    expect(only(summary, 'split-brain', 156)).toEqual([])
    expect(only(summary, 'equal-priority', 156)).toEqual([])
  }, 60_000)
})
