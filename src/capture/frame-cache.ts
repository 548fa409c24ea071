/**
 * `parseFrame` for captures, with one decoded frame kept per VRRP router: a router repeats its
 * advert, and on a real wire only the IPv4 identification (keepalived counts it up per advert)
 * and so the IP header checksum change from one advert to the next. The router of a frame is
 * found in place in the reader's buffer (link type, IP family, VRID, source address; no view, no
 * string); when the frame equals that router's last one but for the IPv4 ID and checksum, the
 * router's ParsedFrame is handed out again with `ip.id`, `ip.headerChecksum` and
 * `ip.headerChecksumOk` set for this frame (the checksum is verified on every frame). Otherwise
 * a private copy is parsed and replaces the router's entry, so memory grows with the number of
 * routers, never with the number of distinct frames. Frames that are not plain VRRP (other
 * protocols, fragments, IPv4 options, IPv6 extension headers) are parsed every time.
 *
 * The frame handed out is valid until the next call (the next frame of its router updates it):
 * copy what must outlive it.
 *
 * Exports: `FrameCache` (`new FrameCache(maxRouters?)`, `parse(data, linkType)`,
 * `parseAt(bytes, offset, length, linkType)` for a frame inside a larger buffer (no view made on
 * a hit), `hits`, `misses`, `size` (routers held)).
 */
import {parseFrame, type ParsedFrame} from './frame.js'
import {isVlanTag, LinkType} from './link-types.js'

interface Entry {
  linkType: number
  /** offset of the IP header in the frame */
  ip: number
  /** private copy of the router's last frame */
  copy: Uint8Array
  /** its whole 32-bit words (little-endian), with the IPv4 ID and checksum bytes masked out */
  words: Int32Array
  /** the mask of each word (-1 but for the words holding the IPv4 ID and checksum) */
  masks: Int32Array
  frame: ParsedFrame
  next: Entry | undefined
}

/** frames longer than this are parsed every time (VRRP adverts are far shorter) */
const MAX_CACHED = 512
const VRRP = 112

/**
 * offset of the IP header of a frame and its IP version (4 or 6) as the link header says, or -1
 * when the link header says something else (another ethertype, a link type read only by
 * parseFrame)
 */
function ipOffset(b: Uint8Array, o: number, n: number, linkType: number): number {
  let et: number
  let ip: number
  switch (linkType) {
    case LinkType.ETHERNET:
      if (n < 14) return -1
      ip = 14
      et = (b[o + 12] << 8) | b[o + 13]
      break
    case LinkType.LINUX_SLL:
      if (n < 16) return -1
      ip = 16
      et = (b[o + 14] << 8) | b[o + 15]
      break
    case LinkType.LINUX_SLL2:
      if (n < 20) return -1
      ip = 20
      et = (b[o] << 8) | b[o + 1]
      break
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 0
    default:
      return -1
  }
  while (isVlanTag(linkType, et) && ip + 4 <= n) {
    et = (b[o + ip + 2] << 8) | b[o + ip + 3]
    ip += 4
  }
  return et === 0x0800 || et === 0x86dd ? ip : -1
}

export class FrameCache {
  private map = new Map<number, Entry>()
  /** a DataView of the last buffer looked into (the reader hands out many frames of one chunk) */
  private lastBytes?: Uint8Array
  private lastView: DataView = new DataView(new ArrayBuffer(0))
  hits = 0
  misses = 0
  size = 0

  constructor(private readonly maxRouters = 4096) {}

  parse(data: Uint8Array, linkType: number): ParsedFrame {
    return this.parseAt(data, 0, data.length, linkType)
  }

  /** the frame at bytes[offset, offset + n) */
  parseAt(bytes: Uint8Array, offset: number, n: number, linkType: number): ParsedFrame {
    // the IP header: after the link header (and any 802.1Q tags), carrying VRRP, whole
    const ip = n > MAX_CACHED ? -1 : ipOffset(bytes, offset, n, linkType)
    if (ip < 0) return this.uncached(bytes, offset, n, linkType)
    const o = offset + ip
    let v6: boolean
    if (ip + 28 <= n && bytes[o] === 0x45 && bytes[o + 9] === VRRP && (bytes[o + 6] & 0x3f) === 0 && bytes[o + 7] === 0) v6 = false
    else if (ip + 48 <= n && bytes[o] >> 4 === 6 && bytes[o + 6] === VRRP) v6 = true
    else return this.uncached(bytes, offset, n, linkType)
    let dv = this.lastView
    if (bytes !== this.lastBytes) {
      dv = this.lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      this.lastBytes = bytes
    }
    // the router: VRID and source address (FNV-1a over its words)
    const src = v6 ? o + 8 : o + 12
    const vrid = bytes[v6 ? o + 41 : o + 21]
    let h = Math.imul(0x811c9dc5 ^ linkType ^ (ip << 8) ^ (vrid << 16), 0x01000193)
    h = Math.imul(h ^ dv.getInt32(src, true), 0x01000193)
    if (v6) {
      h = Math.imul(h ^ dv.getInt32(src + 4, true), 0x01000193)
      h = Math.imul(h ^ dv.getInt32(src + 8, true), 0x01000193)
      h = Math.imul(h ^ dv.getInt32(src + 12, true), 0x01000193)
    }
    // a small integer key (31-bit, never a heap number): cheaper to hash and look up
    h = (h ^ (h >>> 16)) & 0x3fffffff
    const head = this.map.get(h)
    // the router's last frame, the same bytes but for the IPv4 ID and checksum? (entries that
    // share the hash are chained; compared in 32-bit words, about four times cheaper than bytes)
    for (let e = head; e !== undefined; e = e.next) {
      if (e.copy.length !== n || e.ip !== ip || e.linkType !== linkType) continue
      const w = e.words
      const m = e.masks
      const nw = w.length
      let k = 0
      while (k < nw && (dv.getInt32(offset + 4 * k, true) & m[k]) === w[k]) k++
      if (k < nw) continue
      const c = e.copy
      let i = nw * 4
      while (i < n && c[i] === bytes[offset + i]) i++
      if (i < n) continue
      this.hits++
      const f = e.frame
      const fip = f.ip
      if (!v6 && fip !== undefined) {
        fip.id = (bytes[o + 4] << 8) | bytes[o + 5]
        fip.headerChecksum = (bytes[o + 10] << 8) | bytes[o + 11]
        let sum = 0
        for (let j = o; j < o + 20; j += 2) sum += (bytes[j] << 8) | bytes[j + 1]
        sum = (sum & 0xffff) + (sum >>> 16)
        sum = (sum & 0xffff) + (sum >>> 16)
        fip.headerChecksumOk = sum === 0xffff
      }
      return f
    }
    // the router's entry, if it has one: same link type, IP offset and version, VRID and source
    let e = head
    const co = ip + (v6 ? 8 : 12)
    const alen = v6 ? 16 : 4
    for (; e !== undefined; e = e.next) {
      const c = e.copy
      if (e.linkType !== linkType || e.ip !== ip || c.length < ip + (v6 ? 48 : 28)) continue
      if (c[v6 ? ip + 41 : ip + 21] !== vrid || c[ip] >> 4 !== bytes[o] >> 4) continue
      let k = 0
      while (k < alen && c[co + k] === bytes[src + k]) k++
      if (k === alen) break
    }
    // a router heard for the first time, or one whose advert changed: parse a private copy
    this.misses++
    const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + n)
    const frame = parseFrame(copy, linkType)
    const nw = n >> 2
    const words = new Int32Array(nw)
    const masks = new Int32Array(nw).fill(-1)
    if (!v6) {
      // bytes ip+4, ip+5 (identification) and ip+10, ip+11 (header checksum)
      for (const b of [ip + 4, ip + 5, ip + 10, ip + 11]) masks[b >> 2] &= ~(0xff << (8 * (b & 3)))
    }
    const cv = new DataView(copy.buffer, copy.byteOffset, n)
    for (let k = 0; k < nw; k++) words[k] = cv.getInt32(4 * k, true) & masks[k]
    if (e !== undefined) {
      // the router's entry now holds this frame
      e.copy = copy
      e.words = words
      e.masks = masks
      e.frame = frame
      return frame
    }
    if (this.size >= this.maxRouters) {
      this.map.clear()
      this.size = 0
    }
    this.map.set(h, {linkType, ip, copy, words, masks, frame, next: this.size === 0 ? undefined : head})
    this.size++
    return frame
  }

  private uncached(bytes: Uint8Array, offset: number, n: number, linkType: number): ParsedFrame {
    this.misses++
    return parseFrame(offset === 0 && n === bytes.length ? bytes : bytes.subarray(offset, offset + n), linkType)
  }
}
