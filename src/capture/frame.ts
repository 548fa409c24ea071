/**
 * Link-layer frames down to the VRRP message, and back.
 *
 * Exported API:
 * - `parseFrame(data, linkType) -> ParsedFrame`
 *     Reads Ethernet, Linux cooked SLL and SLL2 (each with 802.1Q tags, see isVlanTag), raw IP, IPv4/IPv6
 *     link types and BSD NULL; then the IPv4 header (options, fragments, header checksum) or the
 *     IPv6 header (skipping hop-by-hop, routing and destination-options headers); then, for IP
 *     protocol 112, the VRRP/CARP payload through `decodeVrrp` with the IP context (TTL check,
 *     pseudo-header checksum). Every input gets one `kind` (see `FrameKind`); it never throws.
 *     `data` may be shorter than the frame on the wire (snap length): a VRRP message cut short
 *     is `truncated`; Ethernet padding after the IP length is ignored.
 * - `buildVrrpFrame(opts) -> Buffer`
 *     A complete Ethernet frame carrying a VRRP advertisement: IPv4 header (TTL 255, protocol
 *     112, header checksum, TOS 0xc0 like keepalived) or IPv6 header (hop limit 255, next header
 *     112), destination 224.0.0.18 / ff02::12 by default or a unicast peer, destination MAC the
 *     matching multicast MAC (or `dstMac` for unicast), source MAC the virtual MAC of the VRID.
 *     The VRRP checksum is computed with the right pseudo-header.
 * - `buildVrrpIpPacket(opts) -> Buffer`: the same without the Ethernet header (raw IP).
 * - `virtualMac(family, vrid)`: 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6).
 * - `multicastMac(dst)`: 01:00:5e:... / 33:33:... for a multicast destination.
 * - `formatMac(buf, off)`, `parseMac(text)`.
 */
import {HalError} from '../lib/errors.js'
import {formatIPv4, formatIPv6, parseIp} from '../vrrp/address.js'
import {internetChecksum} from '../vrrp/checksum.js'
import {decodeVrrp, encodeVrrp} from '../vrrp/codec.js'
import {VRRP_MCAST_V4, VRRP_MCAST_V6, VRRP_PROTO, type IpFamily, type VrrpDecodeResult, type VrrpPacket} from '../vrrp/types.js'
import {isVlanTag, LinkType} from './link-types.js'

/**
 * What a frame is:
 * - the VRRP kinds (`vrrp`, `carp`, `truncated`, `unknown-version`, `malformed`) for IP protocol 112
 * - `truncated` also when a link or IP header is cut short by the capture
 * - `fragment`: an IPv4/IPv6 fragment (VRRP is never fragmented)
 * - `not-vrrp`: IP with another protocol
 * - `not-ip`: another ethertype
 * - `bad-ip`: an IP header that cannot be right (version, header length, total length)
 * - `unsupported-link`: a link type halctl does not read
 */
export type FrameKind = VrrpDecodeResult['kind'] | 'fragment' | 'not-vrrp' | 'not-ip' | 'bad-ip' | 'unsupported-link'

export const FRAME_KINDS: readonly FrameKind[] = [
  'vrrp',
  'carp',
  'truncated',
  'unknown-version',
  'malformed',
  'fragment',
  'not-vrrp',
  'not-ip',
  'bad-ip',
  'unsupported-link',
]

export interface IpInfo {
  family: IpFamily
  src: string
  dst: string
  srcBytes: Uint8Array
  dstBytes: Uint8Array
  /** TTL (IPv4) or hop limit (IPv6) */
  ttl: number
  /** IP protocol / final next header */
  protocol: number
  /** IPv4: TOS byte; IPv6: traffic class */
  tos: number
  /** IPv4 only */
  id: number
  /** IPv4 only: the 16-bit flags + fragment offset field */
  flagsOffset: number
  /** IPv4: total length; IPv6: payload length */
  length: number
  /** IPv4 header length in bytes (20 + options) */
  headerLength: number
  /** IPv4 header checksum as sent and whether it verifies (undefined when not fully captured) */
  headerChecksum: number
  headerChecksumOk?: boolean
  /** IPv6 flow label */
  flowLabel: number
}

export interface ParsedFrame {
  kind: FrameKind
  linkType: number
  srcMac?: string
  dstMac?: string
  /** 802.1Q VLAN id of the innermost tag */
  vlan?: number
  /** Linux cooked v2 (SLL2): interface index and packet type (0 in, 1 broadcast, 2 multicast, 3 other host, 4 out) */
  ifIndex?: number
  pktType?: number
  ip?: IpInfo
  /** offset of the IP header in the frame */
  ipOffset?: number
  /** offset of the VRRP message (the IP payload of protocol 112) in the frame */
  payloadOffset?: number
  vrrp?: VrrpDecodeResult
  /** why a frame is not-ip, not-vrrp, bad-ip, truncated before IP or unsupported-link */
  reason?: string
}

const HEX = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'))

export function formatMac(b: Uint8Array, off: number): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/)
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new HalError('BAD_MAC', `not a MAC address: ${text}`, {hint: 'write it as 00:00:5e:00:01:2a'})
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)))
}

export function virtualMac(family: IpFamily, vrid: number): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${HEX[vrid & 0xff]}`
}

export function multicastMac(dst: string): string | undefined {
  const {family, bytes} = parseIp(dst)
  if (family === 4) {
    if ((bytes[0] & 0xf0) !== 0xe0) return undefined
    return `01:00:5e:${HEX[bytes[1] & 0x7f]}:${HEX[bytes[2]]}:${HEX[bytes[3]]}`
  }
  if (bytes[0] !== 0xff) return undefined
  return `33:33:${HEX[bytes[12]]}:${HEX[bytes[13]]}:${HEX[bytes[14]]}:${HEX[bytes[15]]}`
}

const ETH_IPV4 = 0x0800
const ETH_IPV6 = 0x86dd

export function parseFrame(data: Uint8Array, linkType: number): ParsedFrame {
  const f: ParsedFrame = {kind: 'not-ip', linkType}
  const n = data.length
  let off = 0
  let etherType: number
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (n < 14) return cut(f, 'Ethernet header')
      f.dstMac = formatMac(data, 0)
      f.srcMac = formatMac(data, 6)
      etherType = (data[12] << 8) | data[13]
      off = 14
      break
    }
    case LinkType.LINUX_SLL: {
      if (n < 16) return cut(f, 'Linux cooked header')
      const alen = (data[4] << 8) | data[5]
      if (alen === 6) f.srcMac = formatMac(data, 6)
      etherType = (data[14] << 8) | data[15]
      off = 16
      break
    }
    case LinkType.LINUX_SLL2: {
      if (n < 20) return cut(f, 'Linux cooked v2 header')
      etherType = (data[0] << 8) | data[1]
      f.ifIndex = ((data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7]) >>> 0
      f.pktType = data[10]
      if (data[11] === 6) f.srcMac = formatMac(data, 12)
      off = 20
      break
    }
    case LinkType.NULL: {
      if (n < 4) return cut(f, 'loopback header')
      const le = data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)
      const be = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]
      const fam = le < 256 ? le : be
      etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : -1
      off = 4
      break
    }
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6: {
      if (n < 1) return cut(f, 'IP header')
      const v = data[0] >> 4
      etherType = v === 4 ? ETH_IPV4 : v === 6 ? ETH_IPV6 : -1
      if (etherType === -1) {
        f.kind = 'bad-ip'
        f.reason = `IP version ${v}`
        return f
      }
      break
    }
    default:
      f.kind = 'unsupported-link'
      f.reason = `link type ${linkType}`
      return f
  }
  while (isVlanTag(linkType, etherType)) {
    if (n < off + 4) return cut(f, '802.1Q tag')
    f.vlan = ((data[off] << 8) | data[off + 1]) & 0x0fff
    etherType = (data[off + 2] << 8) | data[off + 3]
    off += 4
  }
  if (etherType === ETH_IPV4) return parseIPv4(f, data, off)
  if (etherType === ETH_IPV6) return parseIPv6(f, data, off)
  f.kind = 'not-ip'
  f.reason = etherType < 0 ? 'unknown address family' : `ethertype 0x${etherType.toString(16).padStart(4, '0')}`
  return f
}

function cut(f: ParsedFrame, what: string): ParsedFrame {
  f.kind = 'truncated'
  f.reason = `${what} cut short`
  return f
}

function bad(f: ParsedFrame, reason: string): ParsedFrame {
  f.kind = 'bad-ip'
  f.reason = reason
  return f
}

function parseIPv4(f: ParsedFrame, d: Uint8Array, off: number): ParsedFrame {
  const n = d.length
  if (n < off + 20) return cut(f, 'IPv4 header')
  if (d[off] >> 4 !== 4) return bad(f, `IP version ${d[off] >> 4} in an IPv4 frame`)
  const ihl = (d[off] & 0x0f) * 4
  if (ihl < 20) return bad(f, `IPv4 header length ${ihl}`)
  const total = (d[off + 2] << 8) | d[off + 3]
  if (total < ihl) return bad(f, `IPv4 total length ${total} shorter than its header (${ihl})`)
  const flagsOffset = (d[off + 6] << 8) | d[off + 7]
  const srcBytes = d.subarray(off + 12, off + 16)
  const dstBytes = d.subarray(off + 16, off + 20)
  const ip: IpInfo = {
    family: 4,
    src: formatIPv4(d, off + 12),
    dst: formatIPv4(d, off + 16),
    srcBytes,
    dstBytes,
    ttl: d[off + 8],
    protocol: d[off + 9],
    tos: d[off + 1],
    id: (d[off + 4] << 8) | d[off + 5],
    flagsOffset,
    length: total,
    headerLength: ihl,
    headerChecksum: (d[off + 10] << 8) | d[off + 11],
    flowLabel: 0,
  }
  f.ip = ip
  f.ipOffset = off
  if (n >= off + ihl) ip.headerChecksumOk = internetChecksum(d, off, off + ihl) === 0
  else return cut(f, 'IPv4 options')
  if ((flagsOffset & 0x3fff) !== 0) {
    f.kind = 'fragment'
    f.reason = `IPv4 fragment offset ${(flagsOffset & 0x1fff) * 8}${flagsOffset & 0x2000 ? ', more fragments' : ''}`
    return f
  }
  if (ip.protocol !== VRRP_PROTO) {
    f.kind = 'not-vrrp'
    f.reason = `IP protocol ${ip.protocol}`
    return f
  }
  const start = off + ihl
  f.payloadOffset = start
  const wire = total - ihl
  // bytes present: what the capture holds, but never past the IP length (Ethernet padding)
  const have = Math.max(0, Math.min(n - start, wire))
  f.vrrp = decodeVrrp(d, start, have, {family: 4, srcBytes, dstBytes, ttl: ip.ttl}, wire)
  f.kind = f.vrrp.kind
  return f
}

const V6_EXT_SKIP = new Set([0, 43, 60])
const V6_FRAGMENT = 44

function parseIPv6(f: ParsedFrame, d: Uint8Array, off: number): ParsedFrame {
  const n = d.length
  if (n < off + 40) return cut(f, 'IPv6 header')
  if (d[off] >> 4 !== 6) return bad(f, `IP version ${d[off] >> 4} in an IPv6 frame`)
  const payloadLength = (d[off + 4] << 8) | d[off + 5]
  const srcBytes = d.subarray(off + 8, off + 24)
  const dstBytes = d.subarray(off + 24, off + 40)
  const ip: IpInfo = {
    family: 6,
    src: formatIPv6(d, off + 8),
    dst: formatIPv6(d, off + 24),
    srcBytes,
    dstBytes,
    ttl: d[off + 7],
    protocol: d[off + 6],
    tos: ((d[off] & 0x0f) << 4) | (d[off + 1] >> 4),
    id: 0,
    flagsOffset: 0,
    length: payloadLength,
    headerLength: 40,
    headerChecksum: 0,
    flowLabel: ((d[off + 1] & 0x0f) << 16) | (d[off + 2] << 8) | d[off + 3],
  }
  f.ip = ip
  f.ipOffset = off
  let nh = ip.protocol
  let p = off + 40
  const end = off + 40 + payloadLength
  for (let hops = 0; V6_EXT_SKIP.has(nh) && hops < 8; hops++) {
    if (n < p + 8) return cut(f, 'IPv6 extension header')
    const next = d[p]
    const hlen = (d[p + 1] + 1) * 8
    nh = next
    p += hlen
    if (p > end) return bad(f, 'IPv6 extension headers longer than the payload')
  }
  ip.protocol = nh
  if (nh === V6_FRAGMENT) {
    f.kind = 'fragment'
    f.reason = 'IPv6 fragment header'
    return f
  }
  if (nh !== VRRP_PROTO) {
    f.kind = 'not-vrrp'
    f.reason = `IPv6 next header ${nh}`
    return f
  }
  const wire = end - p
  f.payloadOffset = p
  const have = Math.max(0, Math.min(n - p, wire))
  f.vrrp = decodeVrrp(d, p, have, {family: 6, srcBytes, dstBytes, ttl: ip.ttl}, wire)
  f.kind = f.vrrp.kind
  return f
}

export interface BuildFrameOptions {
  /** the advertisement (checksum computed when undefined), e.g. from makeAdvertisement() */
  packet: VrrpPacket
  /** source address: the router's primary address on the interface */
  src: string
  /** destination: default 224.0.0.18 or ff02::12; a unicast peer for unicast VRRP */
  dst?: string
  /** default: the virtual MAC of the VRID */
  srcMac?: string
  /** default: the multicast MAC of dst; required for a unicast dst */
  dstMac?: string
  /** default 255 */
  ttl?: number
  /** IPv4 identification, default 0 */
  ipId?: number
  /** IPv4 TOS / IPv6 traffic class, default 0xc0 (internetwork control, as keepalived sends) */
  tos?: number
}

export function buildVrrpIpPacket(o: Omit<BuildFrameOptions, 'srcMac' | 'dstMac'>): Buffer {
  const src = parseIp(o.src)
  const family = src.family
  const dst = parseIp(o.dst ?? (family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6))
  if (dst.family !== family) {
    throw new HalError('VRRP_MIXED_FAMILY', `source ${o.src} and destination ${o.dst} are different IP families`, {
      hint: 'use an IPv6 source (a link-local fe80:: address) for IPv6 VRRP',
    })
  }
  const vrrp = encodeVrrp(o.packet, {family, srcBytes: src.bytes, dstBytes: dst.bytes})
  const ttl = o.ttl ?? 255
  const tos = o.tos ?? 0xc0
  if (family === 4) {
    const out = Buffer.alloc(20 + vrrp.length)
    out[0] = 0x45
    out[1] = tos
    out.writeUInt16BE(out.length, 2)
    out.writeUInt16BE((o.ipId ?? 0) & 0xffff, 4)
    out[8] = ttl
    out[9] = VRRP_PROTO
    out.set(src.bytes, 12)
    out.set(dst.bytes, 16)
    out.writeUInt16BE(internetChecksum(out, 0, 20), 10)
    out.set(vrrp, 20)
    return out
  }
  const out = Buffer.alloc(40 + vrrp.length)
  out[0] = 0x60 | (tos >> 4)
  out[1] = (tos & 0x0f) << 4
  out.writeUInt16BE(vrrp.length, 4)
  out[6] = VRRP_PROTO
  out[7] = ttl
  out.set(src.bytes, 8)
  out.set(dst.bytes, 24)
  out.set(vrrp, 40)
  return out
}

export function buildVrrpFrame(o: BuildFrameOptions): Buffer {
  const ip = buildVrrpIpPacket(o)
  const family: IpFamily = ip[0] >> 4 === 4 ? 4 : 6
  const dstText = o.dst ?? (family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6)
  const dstMac = o.dstMac ?? multicastMac(dstText)
  if (!dstMac) {
    throw new HalError('VRRP_UNICAST_NEEDS_MAC', `unicast destination ${dstText} needs its MAC address (dstMac)`, {
      hint: 'resolve the peer with the neighbour table (ip neigh) before building a unicast frame',
    })
  }
  const out = Buffer.alloc(14 + ip.length)
  out.set(parseMac(dstMac), 0)
  out.set(parseMac(o.srcMac ?? virtualMac(family, o.packet.vrid)), 6)
  out.writeUInt16BE(family === 4 ? ETH_IPV4 : ETH_IPV6, 12)
  out.set(ip, 14)
  return out
}
