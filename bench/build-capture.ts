/**
 * Benchmark captures that look like production VRRP traffic, for bench/sniff-bench.sh.
 *
 *   node --import tsx bench/build-capture.ts synth OUT.pcap PACKETS [GROUPS=64]
 *   node --import tsx bench/build-capture.ts scale IN.pcap OUT.pcap PACKETS
 *
 * synth: GROUPS VRRP groups on one Ethernet segment, each a master and a backup, cycling
 *   through VRRPv2/IPv4 without auth, VRRPv2/IPv4 with simple auth, VRRPv3/IPv4 and VRRPv3/IPv6,
 *   1 to 4 virtual addresses. Only the master of a group advertises, at its advert interval (1 s,
 *   or 50/100 cs for some v3 groups) with a few hundred microseconds of timer jitter; each group
 *   fails over once (its master stops, the backup takes over after its Master_Down_Interval, as
 *   keepalived does).
 * scale: the records of a real capture repeated with shifted timestamps (each repetition starts
 *   10 s after the previous one ends).
 * In both, every IPv4 frame carries the sender's next IP identification (each router counts its
 *   own adverts, as keepalived does) and a recomputed header checksum: no two IPv4 frames of a
 *   router are byte-identical, as on a real wire. VRRP checksums are correct.
 */
import {closeSync, openSync, readFileSync, writeSync} from 'node:fs'
import {buildVrrpFrame} from '../src/capture/frame.js'
import {PcapParser} from '../src/capture/pcap-reader.js'
import {pcapFileHeader} from '../src/capture/pcap-writer.js'
import {masterDownMs} from '../src/vrrp/timers.js'
import {internetChecksum} from '../src/vrrp/checksum.js'
import {makeAdvertisement} from '../src/vrrp/codec.js'
// seeded PRNG: the same capture for the same arguments
import {rng as prng} from '../test/unit/render/random-specs.js'

const ETHERNET = 1

/** pcap records gathered in one large buffer and written in blocks */
class PcapOut {
  private readonly fd: number
  private buf = Buffer.allocUnsafe(1 << 22)
  private pos = 0
  written = 0

  constructor(path: string, linkType: number) {
    this.fd = openSync(path, 'w')
    writeSync(this.fd, pcapFileHeader(linkType))
  }

  /** one record; an IPv4 header at ipOff gets IP ID `ipId` and a fresh header checksum */
  record(tsSec: number, tsUsec: number, frame: Uint8Array, ipOff: number, ipId: number): void {
    if (this.pos + 16 + frame.length > this.buf.length) this.flush()
    const b = this.buf
    const p = this.pos
    b.writeUInt32LE(tsSec, p)
    b.writeUInt32LE(tsUsec, p + 4)
    b.writeUInt32LE(frame.length, p + 8)
    b.writeUInt32LE(frame.length, p + 12)
    b.set(frame, p + 16)
    const ip = p + 16 + ipOff
    if (ipOff >= 0 && b[ip] >> 4 === 4) {
      b.writeUInt16BE(ipId & 0xffff, ip + 4)
      b.writeUInt16BE(0, ip + 10)
      b.writeUInt16BE(internetChecksum(b, ip, ip + (b[ip] & 0x0f) * 4), ip + 10)
    }
    this.pos = p + 16 + frame.length
    this.written++
  }

  flush(): void {
    writeSync(this.fd, this.buf, 0, this.pos)
    this.pos = 0
  }

  close(): void {
    this.flush()
    closeSync(this.fd)
  }
}

interface Router {
  frame: Buffer
  ipId: number
}

interface Group {
  routers: [Router, Router]
  /** index of the router advertising now */
  active: number
  intervalUs: number
  /** next advert, microseconds since the start */
  nextUs: number
  /** the master stops after this time; the backup takes over `takeoverUs` later */
  failAtUs: number
  takeoverUs: number
}

function synth(out: PcapOut, total: number, groups: number): void {
  const rnd = prng(18)
  const start = 1_767_225_600 // 2026-01-01T00:00:00Z
  const gs: Group[] = []
  for (let g = 0; g < groups; g++) {
    const kind = g % 4
    const version = kind < 2 ? 2 : 3
    const v6 = kind === 3
    // VRIDs are unique on the segment (a healthy network): at most 255 groups
    const vrid = (g % 255) + 1
    const sub = g % 256
    const intervalCs = version === 2 ? 100 : [100, 50, 100][g % 3]
    const nVips = 1 + ((g >> 2) % 4)
    const vips = Array.from({length: nVips}, (_, i) => (v6 ? `2001:db8:${sub.toString(16)}::${i + 1}` : `10.118.${sub}.${100 + i}`))
    const routers = [150, 100].map((priority, i) => {
      const packet = makeAdvertisement({
        version,
        vrid,
        priority,
        intervalCs,
        addresses: vips,
        auth: kind === 1 ? {type: 'simple', pass: `pw${sub}`} : {type: 'none'},
      })
      const src = v6 ? `fe80::5054:ff:fe${sub.toString(16).padStart(2, '0')}:${i + 1}` : `10.118.${sub}.${i + 1}`
      return {frame: buildVrrpFrame({packet, src}), ipId: Math.floor(rnd() * 65536)}
    }) as [Router, Router]
    // the capture lasts about total / groups adverts of each group; the failover falls within it
    const spanUs = (total / groups) * intervalCs * 10_000
    gs.push({
      routers,
      active: 0,
      intervalUs: intervalCs * 10_000,
      nextUs: Math.floor(rnd() * intervalCs * 10_000),
      failAtUs: Math.floor(spanUs * (0.2 + 0.6 * rnd())),
      takeoverUs: Math.round(masterDownMs(version, 100, intervalCs * 10) * 1000),
    })
  }
  // a binary heap of the groups by their next advert
  const heap = gs.slice().sort((a, b) => a.nextUs - b.nextUs)
  const down = (i: number) => {
    const n = heap.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && heap[l].nextUs < heap[m].nextUs) m = l
      if (r < n && heap[r].nextUs < heap[m].nextUs) m = r
      if (m === i) return
      ;[heap[i], heap[m]] = [heap[m], heap[i]]
      i = m
    }
  }
  while (out.written < total) {
    const g = heap[0]
    const t = g.nextUs
    if (g.active === 0 && t > g.failAtUs) {
      // the master is gone: the backup advertises after its Master_Down_Interval
      g.active = 1
      g.nextUs = g.failAtUs + g.takeoverUs
      down(0)
      continue
    }
    const r = g.routers[g.active]
    out.record(start + Math.floor(t / 1e6), t % 1e6, r.frame, 14, r.ipId++)
    // the advert timer fires a little late, by a varying amount
    g.nextUs = t + g.intervalUs + Math.floor(rnd() * 400)
    down(0)
  }
}

function scale(input: string, output: string, total: number): PcapOut {
  const recs: Array<{tsSec: number; tsNsec: number; data: Buffer; ipOff: number; src: string}> = []
  const parser = new PcapParser((r) => {
    const data = Buffer.from(r.data)
    // Ethernet, IPv4: the source address names the router whose IP ID counter it uses
    const ipOff = r.linkType === ETHERNET && data.readUInt16BE(12) === 0x0800 ? 14 : -1
    recs.push({tsSec: r.tsSec, tsNsec: r.tsNsec, data, ipOff, src: ipOff < 0 ? '' : data.subarray(ipOff + 12, ipOff + 16).toString('hex')})
  })
  parser.push(readFileSync(input))
  parser.end()
  const out = new PcapOut(output, parser.info!.linkType)
  const ids = new Map<string, number>()
  for (const r of recs) if (r.ipOff >= 0 && !ids.has(r.src)) ids.set(r.src, r.data.readUInt16BE(r.ipOff + 4))
  const span = recs[recs.length - 1].tsSec - recs[0].tsSec + 10
  for (let rep = 0; out.written < total; rep++) {
    for (const r of recs) {
      if (out.written >= total) break
      const id = r.ipOff < 0 ? 0 : ids.get(r.src)!
      if (r.ipOff >= 0) ids.set(r.src, id + 1)
      out.record(r.tsSec + rep * span, Math.floor(r.tsNsec / 1000), r.data, r.ipOff, id)
    }
  }
  return out
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'synth' && args.length >= 2) {
  const out = new PcapOut(args[0], ETHERNET)
  synth(out, Number(args[1]), Math.min(255, Number(args[2] ?? 64)))
  out.close()
  console.log(`${args[0]}: ${out.written} packets`)
} else if (mode === 'scale' && args.length >= 3) {
  const out = scale(args[0], args[1], Number(args[2]))
  out.close()
  console.log(`${args[1]}: ${out.written} packets`)
} else {
  console.error('usage: build-capture.ts synth OUT.pcap PACKETS [GROUPS=64] | scale IN.pcap OUT.pcap PACKETS')
  process.exit(2)
}
