/**
 * halctl sniff against real keepalived peers in a two-namespace lab (prefix hsn, 10.201.0.0/24,
 * fd00:201::/64): decoding of multicast v2 with auth, v3 at 50 ms, IPv6 v3 and unicast (over SSH)
 * checked against the real tcpdump on the same captures; split brain made with nftables; a killed
 * master; the live capture's process exits. Needs root.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Sniff, {type SniffResult} from '../../../src/commands/sniff.js'
import {parseFrame} from '../../../src/capture/frame.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import {liveSource} from '../../../src/capture/sources.js'
import type {Finding} from '../../../src/sniff/findings.js'
import {TcpdumpFormatter} from '../../../src/sniff/format-tcpdump.js'
import type {PacketRecordJson} from '../../../src/sniff/packet-record.js'
import {runSniff, type SniffSummary} from '../../../src/sniff/service.js'
import {masterDownMs} from '../../../src/vrrp/timers.js'
import {runCommand} from '../../helpers/run-command.js'
import {BRIDGE, instance, keepalivedConf, PASS, startSniffLab, type SniffLab} from './fixture.js'

const root = join(import.meta.dirname, '..', '..', '..')
let lab: SniffLab

async function ours(file: string): Promise<string[]> {
  const f = new TcpdumpFormatter({verbose: true, showAuth: true})
  const lines: string[] = []
  await readPcapFile(file, (r) => void lines.push(...f.format(r, parseFrame(r.data, r.linkType)).split('\n')))
  return lines
}

function tcpdumpV(file: string): string[] {
  return execFileSync('tcpdump', ['-r', file, '-n', '-v'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).split('\n').filter(Boolean)
}

interface Live {
  packets: PacketRecordJson[]
  events: Array<{event: string; f: Finding}>
  stop(): Promise<SniffSummary>
}

function liveSniff(opts: {writeFile?: string} = {}): Live & {ready: Promise<void>} {
  const ac = new AbortController()
  let setReady: () => void = () => undefined
  const ready = new Promise<void>((r) => (setReady = r))
  const packets: PacketRecordJson[] = []
  const events: Array<{event: string; f: Finding}> = []
  const run = runSniff({
    source: liveSource(BRIDGE),
    output: 'json',
    signal: ac.signal,
    writeFile: opts.writeFile,
    write: (chunk) => {
      for (const l of Buffer.from(chunk).toString('utf8').split('\n')) if (l.startsWith('{"type":"packet"')) packets.push(JSON.parse(l))
    },
    onFinding: (event, f) => void events.push({event, f}),
    onReady: () => setReady(),
  })
  return {
    ready,
    packets,
    events,
    async stop() {
      ac.abort()
      return run
    },
  }
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

describe.skipIf(process.getuid?.() !== 0)('halctl sniff in a lab with real keepalived', () => {
  beforeAll(async () => {
    process.env.TZ = 'UTC'
    lab = await startSniffLab()
    const {addr} = lab
    for (const [node, prio, peer] of [
      ['lb1', 150, addr.lb2],
      ['lb2', 100, addr.lb1],
    ] as const) {
      await lab.startKeepalived(
        node,
        keepalivedConf(node, addr, [
          instance({name: 'V2AUTH', vrid: 61, priority: prio, advertInt: '1', vips: ['10.201.0.161/24'], auth: true}),
          instance({name: 'V3FAST', vrid: 62, priority: prio, advertInt: '0.05', version: 3, vips: ['10.201.0.162/24']}),
          instance({name: 'V6', vrid: 63, priority: prio, advertInt: '1', version: 3, vips: ['fd00:201::163/64']}),
          instance({name: 'UNI', vrid: 64, priority: prio, advertInt: '1', vips: ['10.201.0.164/24'], unicast: {src: addr[node], peer}}),
        ]),
      )
    }
    // both start as BACKUP: lb1 wins after its Master_Down_Interval
    await sleep(5000)
  })

  afterAll(async () => {
    await lab?.down()
  })

  it('decodes multicast v2 with auth, v3 at 50 ms and IPv6 v3 exactly as tcpdump does on the same captures', async () => {
    const oursFile = join(lab.dir, 'ours.pcap')
    const theirsFile = join(lab.dir, 'theirs.pcap')
    const stopTcpdump = await lab.tcpdump(theirsFile)
    const live = liveSniff({writeFile: oursFile})
    await live.ready
    await sleep(3000)
    const summary = await live.stop()
    // tcpdump keeps capturing a little longer: it must hold every packet we saw
    await sleep(1500)
    await stopTcpdump()
    expect(await ours(oursFile)).toEqual(tcpdumpV(oursFile))
    const theirs = tcpdumpV(theirsFile)
    expect(await ours(theirsFile)).toEqual(theirs)
    expect(theirs.join('\n')).toContain(`auth "${PASS}"`)
    const byVrid = new Map(summary.vrids.map((v) => [`${v.family}/${v.vrid}`, v]))
    expect(byVrid.get('4/61')).toMatchObject({master: lab.addr.lb1, priority: 150, intervalCs: 100, authType: 'simple', vips: ['10.201.0.161']})
    expect(byVrid.get('4/62')).toMatchObject({master: lab.addr.lb1, priority: 150, intervalCs: 5, vips: ['10.201.0.162']})
    const v3 = byVrid.get('4/62')!
    expect(v3.adverts).toBeGreaterThan(40)
    expect(byVrid.get('6/63')).toMatchObject({priority: 150, intervalCs: 100, vips: ['fd00:201::163']})
    expect(byVrid.get('6/63')!.master).toMatch(/^fe80::/)
    const v2pkts = live.packets.filter((p) => p.vrid === 61)
    expect(v2pkts.length).toBeGreaterThanOrEqual(2)
    expect(v2pkts.every((p) => p.checksum === 'ok' && p.ttl === 255 && p.version === 2)).toBe(true)
    expect(live.packets.filter((p) => p.family === 6).every((p) => p.checksum === 'ok')).toBe(true)
    expect(summary.errors).toBe(false)
    expect(JSON.stringify(summary) + JSON.stringify(live.packets)).not.toContain(PASS)
    // every packet we captured is one tcpdump captured too (the two sockets stamp times apart)
    const noTime = (l: string) => l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, '')
    const theirSet = new Set(theirs.map(noTime))
    const mine = tcpdumpV(oursFile).map(noTime)
    expect(mine.length).toBeGreaterThan(60)
    expect(mine.filter((l) => !theirSet.has(l))).toEqual([])
  })

  it('a live capture (-i) ends on --duration and on SIGINT, and the process exits', async () => {
    const cli = (args: string[]) => spawn('node', ['--import', 'tsx', join(root, 'bench', 'sniff-cli.ts'), ...args], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    const finish = (c: ReturnType<typeof cli>, ms: number) =>
      new Promise<{code: number | null; out: string; err: string}>((resolve) => {
        let out = ''
        let err = ''
        c.stdout!.on('data', (d) => (out += String(d)))
        c.stderr!.on('data', (d) => (err += String(d)))
        const t = setTimeout(() => c.kill('SIGKILL'), ms)
        c.once('exit', (code) => {
          clearTimeout(t)
          resolve({code, out, err})
        })
      })
    const started = Date.now()
    const d = await finish(cli(['-i', BRIDGE, '--duration', '2', '--summary']), 30_000)
    expect(d.err).toBe('')
    expect(d.code).toBe(0)
    expect(d.out).toMatch(/hsn-br +v4 +61 +2 +10\.201\.0\.11/)
    expect(Date.now() - started).toBeLessThan(25_000)
    const c = cli(['-i', BRIDGE, '--json', '--summary'])
    const p = finish(c, 60_000)
    // the capture is open once the CLI has started its capture helper (start-up is slow on a busy machine)
    const helper = () => spawnSync('ps', ['-o', 'pid=', '--ppid', String(c.pid)], {encoding: 'utf8'}).stdout.trim()
    for (let i = 0; i < 300 && c.exitCode === null && helper() === ''; i++) await sleep(100)
    await sleep(1500)
    const t0 = Date.now()
    c.kill('SIGINT')
    const s = await p
    expect(s.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(JSON.parse(s.out.trim().split('\n').pop()!)).toMatchObject({type: 'summary', errors: false})
  })

  it('--node over SSH sees the unicast VRRP between the nodes and decodes it like tcpdump', async () => {
    const file = join(lab.dir, 'remote.pcap')
    const r = await runCommand<SniffResult>(Sniff, ['--node', 'lb2', '-s', lab.up.spec, '--count', '60', '--json', '--write', file])
    expect(r.stderr).toBe('')
    expect(r.result!.findings.filter((f) => f.severity === 'error')).toEqual([])
    expect(r.exitCode).toBe(0)
    const pk = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'packet') as PacketRecordJson[]
    expect(pk).toHaveLength(60)
    const uni = pk.filter((p) => p.vrid === 64)
    expect(uni.length).toBeGreaterThan(0)
    expect(uni.every((p) => p.src === lab.addr.lb1 && p.dst === lab.addr.lb2 && p.version === 2 && p.checksum === 'ok')).toBe(true)
    expect(r.result!.vrids.find((v) => v.vrid === 64)).toMatchObject({master: lab.addr.lb1, interface: 'lb2:eth0'})
    expect(await ours(file)).toEqual(tcpdumpV(file))
  })

  it('reports split brain made with nftables within 2 x Master_Down_Interval, and clears it when the rule goes', async () => {
    const live = liveSniff()
    await live.ready
    await sleep(1500)
    const ruleAt = Date.now()
    execFileSync('ip', ['netns', 'exec', 'hsn-lb2', 'nft', '-f', '-'], {input: 'table inet hsn_sniff {\n chain in {\n  type filter hook input priority 0;\n  meta l4proto 112 drop\n }\n}\n'})
    try {
      const raised = await until('split brain on VRID 61', () => live.events.find((e) => e.event === 'raised' && e.f.code === 'split-brain' && e.f.vrid === 61)?.f, 20_000)
      expect(raised.routers).toEqual([lab.addr.lb1, lab.addr.lb2])
      expect(raised.severity).toBe('error')
      const lb2First = live.packets.find((p) => p.vrid === 61 && p.src === lab.addr.lb2 && Date.parse(p.time) >= ruleAt - 50)
      expect(lb2First).toBeDefined()
      const startedMs = Date.parse(lb2First!.time)
      const mdi = masterDownMs(2, 100, 1000)
      expect(Date.parse(raised.first) - startedMs).toBeGreaterThanOrEqual(0)
      expect(Date.parse(raised.first) - startedMs).toBeLessThan(2 * mdi)
      // both really hold the VIP
      expect(await lab.exec('lb1', ['ip', '-br', 'addr', 'show', 'dev', 'eth0'])).toContain('10.201.0.161')
      expect(await lab.exec('lb2', ['ip', '-br', 'addr', 'show', 'dev', 'eth0'])).toContain('10.201.0.161')
    } finally {
      execFileSync('ip', ['netns', 'exec', 'hsn-lb2', 'nft', 'delete', 'table', 'inet', 'hsn_sniff'], {stdio: 'ignore'})
    }
    const cleared = await until('split brain on VRID 61 cleared', () => live.events.find((e) => e.event === 'cleared' && e.f.code === 'split-brain' && e.f.vrid === 61)?.f, 20_000)
    expect(cleared.active).toBe(false)
    const s = await live.stop()
    expect(s.errors).toBe(true)
    expect(s.findings.some((f) => f.code === 'split-brain' && f.vrid === 61 && !f.active)).toBe(true)
  })

  it('a killed master gives the takeover with its measured time, and no "master silent" (the backup took over in time)', async () => {
    // let the split brain of the previous test settle: lb1 master again
    await sleep(2000)
    const live = liveSniff()
    await live.ready
    await sleep(2500)
    await lab.killKeepalived('lb1')
    const take = await until('takeover on VRID 61', () => live.events.find((e) => e.event === 'raised' && e.f.code === 'takeover' && e.f.vrid === 61)?.f, 15_000)
    expect(take.routers).toEqual([lab.addr.lb1, lab.addr.lb2])
    const mdi = masterDownMs(2, 100, 1000)
    // lb2 takes over after its own Master_Down_Interval counted from the last advert it heard
    expect(take.measuredMs!).toBeGreaterThan(mdi - 1000)
    expect(take.measuredMs!).toBeLessThan(mdi + 1500)
    expect(take.severity).toBe('info')
    expect(live.events.filter((e) => e.f.code === 'master-silent')).toEqual([])
    const s = await live.stop()
    expect(s.vrids.find((v) => v.vrid === 61)).toMatchObject({master: lab.addr.lb2})
  })
})
