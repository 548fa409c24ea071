/**
 * The one-line packet format of `tcpdump -n` and the two-line format of `tcpdump -n -v`
 * (tcpdump 4.99) for VRRP frames, byte for byte; timestamps in the local time zone (TZ) as
 * tcpdump prints them.
 *
 * Exported API:
 * - `TcpdumpFormatter`: `new TcpdumpFormatter({verbose, showAuth})`, `format(rec, frame) -> string`
 *   (no trailing newline), `writeLine(rec, frame, out)`: the same line and a newline as bytes
 *   into an OutputBuffer (the fast path: no string per packet); the v2 simple password
 *   (printed by `tcpdump -v`) is masked unless showAuth. Reads the fields tcpdump prints from the raw bytes, so CARP or
 *   malformed messages print as tcpdump prints them. Frames that are not VRRP get a short
 *   best-effort line.
 * - `localTimeOfDay(tsSec, tsNsec)`: "HH:MM:SS.uuuuuu" in local time (LocalClock does it per packet).
 */
import {MASK} from '../lib/redact.js'
import {readdirSync, readFileSync} from 'node:fs'
import type {ParsedFrame} from '../capture/frame.js'
import {LinkType} from '../capture/link-types.js'
import type {PcapRecord} from '../capture/pcap-reader.js'
import {formatIp} from '../vrrp/address.js'
import {foldChecksum, onesSum, pseudoHeaderSum} from '../vrrp/checksum.js'
import {VRRP_PROTO} from '../vrrp/types.js'
import {LocalClock} from './local-clock.js'
import type {OutputBuffer} from './output-buffer.js'

const PKT_TYPES: Record<number, string> = {0: 'In', 1: 'B', 2: 'M', 3: 'P', 4: 'Out'}

let ifNames: Map<number, string> | undefined

/** if_indextoname() of this machine, as tcpdump uses for Linux cooked v2 captures */
function interfaceName(index: number): string {
  if (!ifNames) {
    ifNames = new Map()
    try {
      for (const name of readdirSync('/sys/class/net')) {
        const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'))
        if (n > 0) ifNames.set(n, name)
      }
    } catch {
      // not Linux: names unknown
    }
  }
  return ifNames.get(index) ?? '?'
}

const AUTH_NAMES: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}
const PROTO_NAMES: Record<number, string> = {1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMP6', 89: 'OSPF', 103: 'PIM', 112: 'VRRP', 132: 'SCTP'}

export function localTimeOfDay(tsSec: number, tsNsec: number): string {
  return new LocalClock().timeOfDay(tsSec, tsNsec)
}

/** tcpdump's fn_print_char: M- for the high bit, ^X for control characters */
function printable(bytes: Uint8Array, off: number, n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) {
    let c = bytes[off + i]
    if (c === 0) break
    if (c & 0x80) {
      out += 'M-'
      c &= 0x7f
    }
    if (c < 0x20 || c === 0x7f) {
      out += '^'
      c ^= 0x40
    }
    out += String.fromCharCode(c)
  }
  return out
}

export class TcpdumpFormatter {
  readonly verbose: boolean
  /** print the v2 simple-auth password as tcpdump does (else masked: it is a secret) */
  readonly showAuth: boolean

  constructor(opts: {verbose?: boolean; showAuth?: boolean} = {}) {
    this.verbose = opts.verbose ?? false
    this.showAuth = opts.showAuth ?? false
  }

  /** the text after the timestamp depends only on the frame's bytes: kept per (cached) ParsedFrame (see memoOk) */
  private readonly memo = new WeakMap<ParsedFrame, string>()
  /** the same text and a newline as UTF-8 */
  private readonly memoBytes = new WeakMap<ParsedFrame, Buffer>()

  /** the time zone is read when the formatter is made */
  private readonly clock = new LocalClock()

  format(rec: Pick<PcapRecord, 'tsSec' | 'tsNsec' | 'data'>, f: ParsedFrame): string {
    return this.clock.timeOfDay(rec.tsSec, rec.tsNsec) + this.bodyText(rec, f)
  }

  writeLine(rec: Pick<PcapRecord, 'tsSec' | 'tsNsec' | 'data'>, f: ParsedFrame, out: OutputBuffer): void {
    let body = this.memoBytes.get(f)
    if (body === undefined) {
      body = Buffer.from(`${this.bodyText(rec, f)}\n`, 'utf8')
      if (this.memoOk(f)) this.memoBytes.set(f, body)
    }
    const hms = this.clock.prefix(rec.tsSec)
    out.room(15 + body.length)
    const b = out.buf
    let p = out.pos
    for (let i = 0; i < 9; i++) b[p + i] = hms[i]
    p += 9
    // microseconds, six digits
    let us = Math.floor(rec.tsNsec / 1000)
    for (let i = 5; i >= 0; i--) {
      const q = Math.floor(us / 10)
      b[p + i] = 48 + us - q * 10
      us = q
    }
    p += 6
    b.set(body, p)
    out.pos = p + body.length
  }

  private bodyText(rec: Pick<PcapRecord, 'data'>, f: ParsedFrame): string {
    let body = this.memo.get(f)
    if (body === undefined) {
      body = this.body(rec.data, f)
      if (this.memoOk(f)) this.memo.set(f, body)
    }
    return body
  }

  /**
   * the text of a frame handed out again for a router's next advert (FrameCache) holds for that
   * advert too, except with -v for IPv4: it prints the IP ID and checksum, which change per advert
   */
  private memoOk(f: ParsedFrame): boolean {
    return !this.verbose || f.ip?.family !== 4
  }

  private body(d: Uint8Array, f: ParsedFrame): string {
    // Linux cooked v2: tcpdump prints the interface and the packet direction first
    const prefix = f.linkType === LinkType.LINUX_SLL2 && f.ifIndex !== undefined ? ` ${interfaceName(f.ifIndex).padEnd(5)} ${(PKT_TYPES[f.pktType ?? -1] ?? '?').padEnd(3)}` : ''
    return prefix + this.ipBody(d, f)
  }

  private ipBody(d: Uint8Array, f: ParsedFrame): string {
    const ip = f.ip
    if (!ip) return ` ${f.kind === 'not-ip' ? f.reason ?? 'not IP' : f.reason ?? f.kind}`
    let head: string
    if (!this.verbose) head = ` ${ip.family === 4 ? 'IP' : 'IP6'} `
    else if (ip.family === 4) head = ` IP ${this.ipv4Details(d, f)}\n    `
    else head = ` IP6 ${this.ipv6Details(f)}`
    const addrs = `${ip.src} > ${ip.dst}: `
    if (ip.protocol !== VRRP_PROTO || f.payloadOffset === undefined || f.kind === 'fragment') {
      const len = ip.family === 4 ? ip.length - ip.headerLength : ip.length
      return `${head}${addrs}ip-proto-${ip.protocol} ${len}`
    }
    return head + addrs + this.vrrp(d, f)
  }

  private ipv4Details(d: Uint8Array, f: ParsedFrame): string {
    const ip = f.ip!
    let s = `(tos 0x${ip.tos.toString(16)}`
    const ecn = ip.tos & 3
    if (ecn === 1) s += ',ECT(1)'
    else if (ecn === 2) s += ',ECT(0)'
    else if (ecn === 3) s += ',CE'
    if (ip.ttl >= 1) s += `, ttl ${ip.ttl}`
    const flags: string[] = []
    if (ip.flagsOffset & 0x2000) flags.push('+')
    if (ip.flagsOffset & 0x4000) flags.push('DF')
    if (ip.flagsOffset & 0x8000) flags.push('rsvd')
    s += `, id ${ip.id}, offset ${(ip.flagsOffset & 0x1fff) * 8}, flags [${flags.length ? flags.join(', ') : 'none'}]`
    s += `, proto ${PROTO_NAMES[ip.protocol] ?? 'unknown'} (${ip.protocol}), length ${ip.length}`
    if (ip.headerChecksumOk === false) {
      // in_cksum_shouldbe(): the value the checksum field should have held
      const computed = foldChecksum(onesSum(d, f.ipOffset!, f.ipOffset! + ip.headerLength))
      let shouldbe = ip.headerChecksum + computed
      shouldbe = (shouldbe & 0xffff) + (shouldbe >>> 16)
      shouldbe = (shouldbe & 0xffff) + (shouldbe >>> 16)
      s += `, bad cksum ${ip.headerChecksum.toString(16)} (->${shouldbe.toString(16)})!`
    }
    return s + ')'
  }

  private ipv6Details(f: ParsedFrame): string {
    const ip = f.ip!
    let s = '('
    if (ip.tos) s += `class 0x${ip.tos.toString(16).padStart(2, '0')}, `
    if (ip.flowLabel) s += `flowlabel 0x${ip.flowLabel.toString(16).padStart(5, '0')}, `
    s += `hlim ${ip.ttl}, next-header ${PROTO_NAMES[ip.protocol] ?? 'unknown'} (${ip.protocol}) payload length: ${ip.length}) `
    return s
  }

  private vrrp(d: Uint8Array, f: ParsedFrame): string {
    const ip = f.ip!
    const off = f.payloadOffset!
    const len = f.vrrp!.length
    const avail = Math.max(0, d.length - off)
    if (avail < 1) return 'VRRP [|vrrp]'
    const version = d[off] >> 4
    const type = d[off] & 0x0f
    let s = `VRRPv${version}, ${type === 1 ? 'Advertisement' : `unknown type (${type})`}`
    if (ip.ttl !== 255) s += `, (ttl ${ip.ttl})`
    if (version < 2 || version > 3 || type !== 1) return s
    if (avail < 3) return s + ' [|vrrp]'
    s += `, vrid ${d[off + 1]}, prio ${d[off + 2]}`
    if (avail < 6) return s + ' [|vrrp]'
    let authType = 0
    if (version === 2) {
      authType = d[off + 4]
      s += `, authtype ${AUTH_NAMES[authType] ?? `#${authType}`}, intvl ${d[off + 5]}s, length ${len}`
    } else s += `, intvl ${((d[off + 4] & 0x0f) << 8) | d[off + 5]}cs, length ${len}`
    if (!this.verbose) return s
    const naddrs = d[off + 3]
    if (avail >= len) {
      const msg = onesSum(d, off, off + len)
      const bad =
        version === 2
          ? foldChecksum(msg) !== 0
          : foldChecksum(msg + pseudoHeaderSum(ip.family, ip.srcBytes, ip.dstBytes, len, VRRP_PROTO)) !== 0
      if (bad) s += `, (bad vrrp cksum ${((d[off + 6] << 8) | d[off + 7]).toString(16)})`
    }
    s += naddrs > 1 ? `, addrs(${naddrs}):` : ', addrs:'
    const size = ip.family === 4 ? 4 : 16
    let p = off + 8
    for (let i = 0; i < naddrs; i++) {
      if (p + size > d.length) return s + ' [|vrrp]'
      s += (i === 0 ? ' ' : ',') + formatIp(ip.family, d, p)
      p += size
    }
    if (version === 2 && authType === 1) {
      // tcpdump prints byte by byte up to a NUL and stops at the end of the capture
      const avail = Math.max(0, Math.min(8, d.length - p))
      const text = this.showAuth ? printable(d, p, avail) : MASK
      if (avail < 8 && !d.subarray(p, p + avail).includes(0)) return `${s} auth "${text} [|vrrp]`
      s += ` auth "${text}"`
    }
    return s
  }
}
