/**
 * Generated and mutated frames for the differential test against the real tcpdump: good VRRP
 * v2/v3 over IPv4/IPv6, then the same cut short, padded, fragmented, with IPv4 options (RA,
 * NOP, EOL, timestamp, routes, security, random bytes), IPv6 extension headers (hop-by-hop, destination options), VLAN tags, random byte
 * flips, zero-length records, ARP (the gratuitous ARP of a takeover) and other protocols; each
 * framed for every link type halctl reads (Ethernet, Linux cooked SLL and SLL2, raw IP, BSD loopback).
 * Deterministic (a seeded xorshift), so a failure replays.
 *
 * Exports: `mutatedFrames(count, seed) -> Array<{link, data, wireLen}>`.
 */
import {buildVrrpIpPacket} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {internetChecksum} from '../../../src/vrrp/checksum.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

export interface GenFrame {
  link: number
  data: Buffer
  wireLen: number
}

function rng(seed: number) {
  let x = seed >>> 0 || 1
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32)
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)],
  }
}

function fixIpv4Checksum(ip: Buffer): void {
  const ihl = (ip[0] & 0x0f) * 4
  if (ip.length < ihl) return
  ip.writeUInt16BE(0, 10)
  ip.writeUInt16BE(internetChecksum(ip, 0, ihl), 10)
}

/** a VRRP advert as an IP packet (v2/v3, IPv4/IPv6) */
function vrrpIp(r: ReturnType<typeof rng>): Buffer {
  const v6 = r.next() < 0.3
  const version = v6 ? 3 : r.pick([2, 3] as const)
  const n = r.int(4)
  const addresses = Array.from({length: n}, (_, i) => (v6 ? `fd00::${i + 1}` : `10.115.${r.int(256)}.${i + 1}`))
  const packet = makeAdvertisement({
    version,
    vrid: 1 + r.int(255),
    priority: r.pick([0, 1, 100, 150, 254, 255]),
    intervalCs: version === 2 ? 100 * (1 + r.int(3)) : 1 + r.int(400),
    addresses,
    auth: version === 2 ? r.pick([{type: 'none'}, {type: 'simple', pass: 'pw'}, {type: 'ah'}] as const) : undefined,
  })
  return buildVrrpIpPacket({packet, src: v6 ? 'fe80::1' : `10.115.0.${1 + r.int(250)}`, ipId: r.int(65536), ttl: r.next() < 0.9 ? 255 : r.int(256)})
}

/** an IPv4 timestamp option (RFC 791): TSONLY, TS+ADDR or PRESPEC, a random pointer and overflow count, 1-4 entries */
function timestampOption(r: ReturnType<typeof rng>): number[] {
  const flag = r.pick([0, 1, 3, 0, 1, 3, 2])
  const hop = flag === 0 ? 4 : 8
  const entries = 1 + r.int(flag === 0 ? 4 : 2)
  const len = 4 + hop * entries + (r.next() < 0.1 ? r.int(4) : 0)
  const ptr = r.next() < 0.8 ? 5 + hop * r.int(entries + 1) : r.int(len + 3)
  const body = Array.from({length: len - 4}, () => r.int(256))
  return [0x44, len, ptr, (r.int(16) << 4) * (r.next() < 0.3 ? 1 : 0) | flag, ...body]
}

/** a record route, loose or strict source route with 1-3 addresses and a random pointer */
function routeOption(r: ReturnType<typeof rng>): number[] {
  const n = 1 + r.int(3)
  const len = 3 + 4 * n - (r.next() < 0.1 ? 1 : 0)
  const ptr = r.next() < 0.8 ? 4 + 4 * r.int(n + 1) : r.int(len + 3)
  return [r.pick([0x07, 0x83, 0x89]), len, ptr, ...Array.from({length: len - 3}, (_, i) => (i % 4 === 0 ? 10 : r.int(256)))]
}

/** IPv4 options inserted after the fixed header: RA, NOP, EOL, timestamp, routes, security, or random bytes; padded to 4 */
function withIpv4Options(ip: Buffer, r: ReturnType<typeof rng>): Buffer {
  const kind = r.int(8)
  let opts: number[]
  if (kind === 0) opts = [0x94, 0x04, 0x00, r.next() < 0.8 ? 0 : 1 + r.int(255)] // router alert
  else if (kind === 1) opts = [0x01, 0x01, 0x01, 0x00] // NOPs, EOL
  else if (kind === 2) opts = [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01]
  else if (kind === 3 || kind === 4) opts = timestampOption(r)
  else if (kind === 5) opts = routeOption(r)
  else if (kind === 6) opts = [0x82, 0x0b, ...Array.from({length: 9}, () => r.int(256))] // security
  else opts = Array.from({length: 1 + r.int(16)}, () => r.int(256))
  while (opts.length % 4) opts.push(r.next() < 0.5 ? 0 : 1)
  opts = opts.slice(0, 40)
  const out = Buffer.concat([ip.subarray(0, 20), Buffer.from(opts), ip.subarray(20)])
  out[0] = 0x40 | ((20 + opts.length) / 4)
  out.writeUInt16BE(out.length, 2)
  fixIpv4Checksum(out)
  return out
}

/** IPv6 hop-by-hop / destination options headers before the VRRP message */
function withIpv6Ext(ip: Buffer, r: ReturnType<typeof rng>): Buffer {
  const kinds = r.pick([[0], [60], [0, 60], [60, 60]])
  const payload = ip.subarray(40)
  let next = ip[6]
  const exts: Buffer[] = []
  for (let i = kinds.length - 1; i >= 0; i--) {
    // PadN to 8 bytes, or a router alert (hop-by-hop) and padding
    const e = Buffer.from(kinds[i] === 0 && r.next() < 0.5 ? [next, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00] : [next, 0, 0x01, 0x04, 0, 0, 0, 0])
    exts.unshift(e)
    next = kinds[i]
  }
  const head = Buffer.from(ip.subarray(0, 40))
  head[6] = next
  const out = Buffer.concat([head, ...exts, payload])
  out.writeUInt16BE(out.length - 40, 4)
  return out
}

function fragment(ip: Buffer, r: ReturnType<typeof rng>): Buffer {
  if (ip[0] >> 4 === 6) {
    // a fragment header
    const head = Buffer.from(ip.subarray(0, 40))
    const frag = Buffer.from([head[6], 0, 0, r.next() < 0.5 ? 1 : 0x10, 0, 0, 0x12, 0x34])
    if (frag[3] === 0x10) frag[3] = 0x08
    head[6] = 44
    const out = Buffer.concat([head, frag, ip.subarray(40)])
    out.writeUInt16BE(out.length - 40, 4)
    return out
  }
  const out = Buffer.from(ip)
  const first = r.next() < 0.5
  out.writeUInt16BE(first ? 0x2000 : (r.next() < 0.5 ? 0x2000 : 0) | (1 + r.int(20)), 6)
  fixIpv4Checksum(out)
  return out
}

function arp(r: ReturnType<typeof rng>): Buffer {
  const b = Buffer.alloc(28)
  b.writeUInt16BE(1, 0)
  b.writeUInt16BE(0x0800, 2)
  b[4] = 6
  b[5] = 4
  b.writeUInt16BE(r.pick([1, 2, 1, 3]), 6)
  Buffer.from([0x00, 0x00, 0x5e, 0x00, 0x01, r.int(256)]).copy(b, 8)
  const ip = [10, 115, 0, 100 + r.int(50)]
  b.set(ip, 14)
  if (r.next() < 0.5) Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).copy(b, 18)
  b.set(r.next() < 0.7 ? ip : [10, 115, 0, 1 + r.int(50)], 24)
  return b
}

/** another IP protocol (253, experimental: tcpdump prints it as ip-proto-253) */
function udp(r: ReturnType<typeof rng>): Buffer {
  const out = Buffer.alloc(28 + r.int(8))
  out[0] = 0x45
  out.writeUInt16BE(out.length, 2)
  out[8] = 64
  out[9] = 253
  out.set([10, 115, 0, 1], 12)
  out.set([10, 115, 0, 2], 16)
  out.writeUInt16BE(5000 + r.int(100), 20)
  out.writeUInt16BE(53, 22)
  out.writeUInt16BE(out.length - 20, 24)
  fixIpv4Checksum(out)
  return out
}

/**
 * 1-3 random bit flips anywhere in the IP header and VRRP message. A protocol (IPv4) or next
 * header (IPv6) turned into PGM (113), the one protocol a single flip of 112 reaches that
 * tcpdump has a printer of its own for, is flipped again: sniff prints VRRP, and tcpdump's
 * default line for the protocols it has no printer for.
 */
function flip(ip: Buffer, r: ReturnType<typeof rng>): Buffer {
  const out = Buffer.from(ip)
  const protoAt = ip[0] >> 4 === 4 ? 9 : 6
  for (let i = 1 + r.int(3); i > 0; i--) {
    const at = r.int(out.length)
    out[at] ^= 1 << r.int(8)
    if (at === protoAt && out[at] === 113) out[at] ^= 0x1
  }
  if (out[protoAt] === 113) out[protoAt] = 112
  return out
}

const ETHER: Record<number, number> = {4: 0x0800, 6: 0x86dd}

/** frame an IP packet (or ARP when ethertype is 0x0806) for a link type, with optional VLAN tags */
function frame(link: number, payload: Buffer, ethertype: number, vlans: number, r: ReturnType<typeof rng>): Buffer {
  const tags: Buffer[] = []
  let type = ethertype
  for (let i = 0; i < vlans; i++) {
    const t = Buffer.alloc(4)
    t.writeUInt16BE(r.int(4096), 0)
    t.writeUInt16BE(type, 2)
    tags.unshift(t)
    type = 0x8100
  }
  // tags.unshift put the innermost last: [outer..inner] with each tag naming what follows
  const mac = Buffer.from([0x00, 0x00, 0x5e, 0x00, 0x01, r.int(256)])
  switch (link) {
    case LinkType.ETHERNET: {
      const h = Buffer.alloc(14)
      Buffer.from(ethertype === 0x0806 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]).copy(h, 0)
      mac.copy(h, 6)
      h.writeUInt16BE(type, 12)
      return Buffer.concat([h, ...tags, payload])
    }
    case LinkType.LINUX_SLL: {
      const h = Buffer.alloc(16)
      h.writeUInt16BE(r.pick([0, 1, 2, 3, 4]), 0)
      h.writeUInt16BE(1, 2)
      h.writeUInt16BE(6, 4)
      mac.copy(h, 6)
      h.writeUInt16BE(type, 14)
      return Buffer.concat([h, ...tags, payload])
    }
    case LinkType.LINUX_SLL2: {
      const h = Buffer.alloc(20)
      h.writeUInt16BE(type, 0)
      h.writeUInt32BE(1, 4)
      h.writeUInt16BE(1, 8)
      h[10] = r.pick([0, 1, 2, 3, 4])
      h[11] = 6
      mac.copy(h, 12)
      return Buffer.concat([h, ...tags, payload])
    }
    case LinkType.NULL: {
      // BSD loopback: the address family in host byte order (IPv6 as BSD, FreeBSD or Darwin number it)
      const h = Buffer.alloc(4)
      h.writeUInt32LE(ethertype === 0x0800 ? 2 : r.pick([24, 28, 30]), 0)
      return Buffer.concat([h, payload])
    }
    default:
      return payload
  }
}

export type MutationKind = 'good' | 'options' | 'ext6' | 'fragment' | 'arp' | 'other' | 'flip' | 'pad' | 'cut' | 'zero'

export function mutatedFrames(count: number, seed: number, kinds: readonly MutationKind[] = ['good', 'good', 'options', 'ext6', 'fragment', 'arp', 'other', 'flip', 'pad', 'cut', 'zero'], vlanShare = 0.15): GenFrame[] {
  const r = rng(seed)
  const out: GenFrame[] = []
  const links = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL]
  const tagged = new Set<number>([LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2])
  while (out.length < count) {
    const link = r.pick(links)
    const kind = r.pick(kinds)
    let payload: Buffer
    let ethertype: number
    if (kind === 'arp') {
      if (!tagged.has(link)) continue
      payload = arp(r)
      ethertype = 0x0806
    } else if (kind === 'other') {
      payload = udp(r)
      ethertype = 0x0800
    } else {
      payload = vrrpIp(r)
      ethertype = ETHER[payload[0] >> 4]
      if (kind === 'options' && ethertype === 0x0800) payload = withIpv4Options(payload, r)
      if ((kind === 'ext6' || kind === 'options') && ethertype === 0x86dd) payload = withIpv6Ext(payload, r)
      if (kind === 'fragment') payload = fragment(payload, r)
      if (kind === 'flip') payload = flip(payload, r)
    }
    const vlans = tagged.has(link) && r.next() < vlanShare ? 1 + r.int(2) : 0
    let data = frame(link, payload, ethertype, vlans, r)
    if (kind === 'pad') data = Buffer.concat([data, Buffer.alloc(1 + r.int(30), r.pick([0, 0xaa]))])
    let wireLen = data.length
    if (kind === 'cut') data = data.subarray(0, r.int(data.length))
    if (kind === 'zero') {
      data = Buffer.alloc(0)
      wireLen = r.pick([0, 60])
    }
    out.push({link, data, wireLen})
  }
  return out
}
