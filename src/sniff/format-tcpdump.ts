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
import {formatMac, type ParsedFrame} from '../capture/frame.js'
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
    let names: string[] = []
    try {
      names = readdirSync('/sys/class/net')
    } catch {
      // not Linux: names unknown
    }
    for (const name of names) {
      try {
        const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'))
        if (n > 0) ifNames.set(n, name)
      } catch {
        // the interface went away while the list was read: skip it, keep the others
      }
    }
  }
  return ifNames.get(index) ?? '?'
}

const AUTH_NAMES: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}
const PROTO_NAMES: Record<number, string> = {0: 'Options', 44: 'Fragment', 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMP6', 89: 'OSPF', 103: 'PIM', 112: 'VRRP', 132: 'SCTP'}

type TimedRecord = Pick<PcapRecord, 'tsSec' | 'tsNsec' | 'data' | 'tsExact'> & {wireLen?: number}

const TIME_ERROR = '[Error converting time]'
/** the first and last seconds whose year a C int tm_year holds (years -2147481748 .. 2147485547) */
const FIRST_LOCAL_SEC = -67768040609827200n
const LAST_LOCAL_SEC = 67768036191676799n
/** seconds in 400 Gregorian years, and 2000-01-01 as the base times are moved to */
const CYCLE_SEC = 12622780800n
const BASE_SEC = 946684800n
const DATE_MAX_SEC = 8.64e12

const IP_OPTION_NAMES: Record<number, string> = {0: 'EOL', 1: 'NOP', 7: 'RR', 68: 'timestamp', 130: 'security', 131: 'LSRR', 137: 'SSRR', 148: 'RA'}

/** tcpdump's ip_optprint(): the IPv4 options by name (RA with its value, routes with their addresses) */
function ipOptions(d: Uint8Array, p: number, end: number): string {
  let s = ''
  while (p < end) {
    if (s) s += ','
    const code = d[p]
    s += IP_OPTION_NAMES[code] ?? `unknown ${code}`
    const len = code === 0 || code === 1 ? 1 : d[p + 1]
    if (len < 2 && code !== 0 && code !== 1) return `${s} [bad length ${len}]`
    if (len > end - p) return `${s} [bad length ${len}]`
    if (code === 0) return s
    if (code === 7 || code === 131 || code === 137) {
      if (len < 3) return `${s} [bad length ${len}]`
      if ((len + 1) & 3) s += ` [bad length ${len}]`
      const ptr = d[p + 2] - 1
      if (ptr < 3 || (ptr + 1) & 3 || ptr > len + 1) s += ` [bad ptr ${d[p + 2]}]`
      for (let i = 3; i < len; i += 4) s += ` ${formatIp(4, d, p + i)}${ptr > i ? ',' : ''}`
    } else if (code === 148) {
      if (len < 4) s += ` [bad length ${len}]`
      else if ((d[p + 2] << 8) | d[p + 3]) s += ` value ${(d[p + 2] << 8) | d[p + 3]}`
    }
    p += len
  }
  return s
}

/** tcpdump's line for a record whose lengths cannot be (no time, no packet) */
function invalidHeader(rec: {data: Uint8Array; wireLen?: number}): string | undefined {
  const cap = rec.data.length
  const len = rec.wireLen ?? cap
  if (cap !== 0 && len !== 0 && cap <= len) return undefined
  if (cap === 0) return `[Invalid header: caplen==0${len === 0 ? ', len==0' : ''}]`
  if (len === 0) return '[Invalid header: len==0]'
  return `[Invalid header: caplen(${cap}) > len(${len})]`
}

/** a time the fast path does not print as tcpdump does */
function oddTime(rec: TimedRecord): boolean {
  return rec.tsExact !== undefined || rec.tsSec < 0 || rec.tsSec >= 0x80000000 || rec.tsNsec >= 1e9
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m
}

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

  format(rec: TimedRecord, f: ParsedFrame): string {
    const bad = invalidHeader(rec)
    if (bad) return bad
    return (oddTime(rec) ? this.oddTimeText(rec) : this.clock.timeOfDay(rec.tsSec, rec.tsNsec)) + this.bodyText(rec, f)
  }

  writeLine(rec: TimedRecord, f: ParsedFrame, out: OutputBuffer): void {
    let body = rec.wireLen !== undefined && rec.wireLen !== rec.data.length ? undefined : this.memoBytes.get(f)
    if (body === undefined) {
      body = Buffer.from(`${this.bodyText(rec, f)}\n`, 'utf8')
      if (this.memoOk(f) && (rec.wireLen === undefined || rec.wireLen === rec.data.length)) this.memoBytes.set(f, body)
    }
    const invalid = invalidHeader(rec)
    if (oddTime(rec) || invalid) {
      if (invalid) body = Buffer.from('\n')
      const head = Buffer.from(invalid ?? this.oddTimeText(rec), 'latin1')
      out.room(head.length + body.length)
      out.buf.set(head, out.pos)
      out.buf.set(body, out.pos + head.length)
      out.pos += head.length + body.length
      return
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

  /**
   * tcpdump's time for what the fast path does not cover. tcpdump 4.99 prints "[Error
   * converting time]" when bit 31 of the seconds is set (so for negative pcap times and for
   * 2038-01-19 .. 2106-02-07, 2174 .. 2242, ...) or when localtime() cannot give a year that
   * fits a C int. Times a Date cannot hold are moved by whole 400-year Gregorian cycles (same
   * weekdays) into its range: exact in UTC; a zone's rule of the years 2000-2400 is used for
   * them. A fraction of a million microseconds or more prints all its digits (%06u).
   */
  private oddTimeText(rec: TimedRecord): string {
    const sec = rec.tsExact ?? BigInt(rec.tsSec)
    if (BigInt.asUintN(32, sec) & 0x80000000n) return TIME_ERROR
    const us = Math.floor(rec.tsNsec / 1000)
    const frac = us < 1e6 ? String(us).padStart(6, '0') : String(us)
    let near = Number(sec)
    if (!(Math.abs(near) <= DATE_MAX_SEC)) near = Number(BASE_SEC + (((sec - BASE_SEC) % CYCLE_SEC) + CYCLE_SEC) % CYCLE_SEC)
    const sod = this.clock.secondOfDay(near)
    let offset = sod - mod(near, 86400)
    if (offset > 50400) offset -= 86400
    else if (offset < -50400) offset += 86400
    const local = sec + BigInt(offset)
    if (local > LAST_LOCAL_SEC || local < FIRST_LOCAL_SEC) return TIME_ERROR
    const h = Math.floor(sod / 3600)
    const m = Math.floor(sod / 60) % 60
    return `${pad2(h)}:${pad2(m)}:${pad2(sod % 60)}.${frac}`
  }

  private bodyText(rec: Pick<PcapRecord, 'data'> & {wireLen?: number}, f: ParsedFrame): string {
    const wireLen = rec.wireLen ?? rec.data.length
    // a frame cut by the snap length prints what its wire length says: not kept per frame
    if (wireLen !== rec.data.length) return this.body(rec.data, f, wireLen)
    let body = this.memo.get(f)
    if (body === undefined) {
      body = this.body(rec.data, f, wireLen)
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

  private body(d: Uint8Array, f: ParsedFrame, wireLen: number): string {
    // Linux cooked v2: tcpdump prints the interface and the packet direction first
    const prefix = f.linkType === LinkType.LINUX_SLL2 && f.ifIndex !== undefined ? ` ${interfaceName(f.ifIndex).padEnd(5)} ${(PKT_TYPES[f.pktType ?? -1] ?? '?').padEnd(3)}` : ''
    return prefix + this.ipBody(d, f, wireLen)
  }

  private ipBody(d: Uint8Array, f: ParsedFrame, wireLen: number): string {
    const ip = f.ip
    if (!ip) return this.notIp(d, f)
    let head: string
    if (!this.verbose) head = ` ${ip.family === 4 ? 'IP' : 'IP6'} `
    else if (ip.family === 4) head = ` IP ${this.ipv4Details(d, f)}\n    `
    else head = ` IP6 ${this.ipv6Details(d, f)}`
    const addrs = `${ip.src} > ${ip.dst}: `
    const ipOff = f.ipOffset!
    if (ip.family === 4) {
      // ip_print(): the datagram is as long as its header says, unless the wire had less
      const onWire = wireLen - ipOff
      let len = ip.length
      if (len > onWire) {
        head = head.replace(/^ IP /, ` IP truncated-ip - ${len - onWire} bytes missing! `)
        len = onWire
      }
      const payload = len - ip.headerLength
      if ((ip.flagsOffset & 0x1fff) !== 0) return `${head}${ip.src} > ${ip.dst}: ip-proto-${ip.protocol}`
      // fragment zero (more fragments or not) goes to the protocol's printer
      if (ip.protocol !== VRRP_PROTO) return `${head}${addrs} ip-proto-${ip.protocol} ${payload}`
      return head + addrs + this.vrrp(d, f, ipOff + ip.headerLength, payload)
    }
    // IPv6: the extension headers by name, then the protocol
    let nh = d[ipOff + 6]
    let p = ipOff + 40
    let len = ip.length
    let ext = ''
    while (nh === 0 || nh === 60 || nh === 44) {
      if (p + 2 > d.length) return `${head}${addrs}${ext}${nh === 44 ? 'frag' : nh === 0 ? 'HBH' : 'DSTOPT'} [|${nh === 44 ? 'frag' : nh === 0 ? 'hbhopt' : 'dstopt'}]`
      if (nh === 44) {
        if (p + 8 > d.length) return `${head}${addrs}${ext}frag [|frag]`
        const offset = ((d[p + 2] << 8) | d[p + 3]) & 0xfff8
        len -= 8
        ext += `frag (${this.verbose ? `0x${(((d[p + 4] << 24) | (d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]) >>> 0).toString(16).padStart(8, '0')}:` : ''}${offset}|${len})`
        if (offset !== 0) return head + addrs + ext
        ext += ' '
        nh = d[p]
        p += 8
        continue
      }
      const hlen = (d[p + 1] + 1) * 8
      ext += `${nh === 0 ? 'HBH' : 'DSTOPT'} ${this.verbose ? this.v6Options(d, p + 2, p + hlen) : ''}`
      nh = d[p]
      p += hlen
      len -= hlen
    }
    if (nh !== VRRP_PROTO) return `${head}${addrs}${ext}ip-proto-${nh} ${len}`
    return head + addrs + ext + this.vrrp(d, f, p, len)
  }

  /** tcpdump's names of IPv6 hop-by-hop / destination options, as -v prints them */
  private v6Options(d: Uint8Array, p: number, end: number): string {
    let s = ''
    while (p < end && p < d.length) {
      const t = d[p]
      if (t === 0) {
        s += '(pad1)'
        p++
        continue
      }
      const l = d[p + 1]
      if (t === 1) s += '(padn)'
      else if (t === 5 && l === 2) s += `(rtalert: 0x${((d[p + 2] << 8) | d[p + 3]).toString(16).padStart(4, '0')}) `
      else s += `(type 0x${t.toString(16).padStart(2, '0')}: len=${l})`
      p += 2 + l
    }
    return `${s} `
  }

  /** what tcpdump prints for a frame that is not IP: cut link headers, ARP, zero-length records */
  private notIp(d: Uint8Array, f: ParsedFrame): string {
    if (f.kind === 'truncated') {
      const what: Record<number, string> = {[LinkType.ETHERNET]: 'ether', [LinkType.LINUX_SLL]: 'sll', [LinkType.LINUX_SLL2]: 'sll2'}
      // tcpdump names the protocol once it could read the version byte
      const linkLen = f.linkType === LinkType.ETHERNET ? 14 : f.linkType === LinkType.LINUX_SLL ? 16 : f.linkType === LinkType.LINUX_SLL2 ? 20 : 0
      if (f.reason?.startsWith('IPv4')) return d.length > linkLen ? ' IP  [|ip]' : '  [|ip]'
      if (f.reason?.startsWith('IPv6 header')) return '  [|ip6]'
      if (what[f.linkType]) return `  [|${what[f.linkType]}]`
    }
    const off = f.linkType === LinkType.ETHERNET ? 14 : f.linkType === LinkType.LINUX_SLL ? 16 : f.linkType === LinkType.LINUX_SLL2 ? 20 : -1
    if (off > 0 && f.kind === 'not-ip' && f.reason === 'ethertype 0x0806') return ` ${this.arp(d, off)}`
    return ` ${f.reason ?? f.kind}`
  }

  /** tcpdump's ARP line (Ethernet/IPv4 ARP, as every takeover's gratuitous ARP) */
  private arp(d: Uint8Array, p: number): string {
    const n = d.length - p
    if (n < 8) return 'ARP, [|arp]'
    const htype = (d[p] << 8) | d[p + 1]
    const ptype = (d[p + 2] << 8) | d[p + 3]
    const hl = d[p + 4]
    const pl = d[p + 5]
    const op = (d[p + 6] << 8) | d[p + 7]
    const len = 8 + 2 * hl + 2 * pl
    if (htype !== 1 || ptype !== 0x0800 || hl !== 6 || pl !== 4 || n < len) return `ARP, [|arp]`
    const sha = formatMac(d, p + 8)
    const spa = formatIp(4, d, p + 14)
    const tha = formatMac(d, p + 18)
    const tpa = formatIp(4, d, p + 24)
    const head = this.verbose ? 'ARP, Ethernet (len 6), IPv4 (len 4), ' : 'ARP, '
    let what: string
    if (op === 1) what = `Request who-has ${tpa}${tha === '00:00:00:00:00:00' ? '' : ` (${tha})`} tell ${spa}`
    else if (op === 2) what = `Reply ${spa} is-at ${sha}`
    else if (op === 3) what = `Reverse Request who-is ${tha} tell ${sha}`
    else if (op === 4) what = `Reverse Reply ${tha} at ${tpa}`
    else what = `Unknown (${op})`
    return `${head}${what}, length ${n}`
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
    if (ip.headerLength > 20) s += `, options (${ipOptions(d, f.ipOffset! + 20, f.ipOffset! + ip.headerLength)})`
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

  private ipv6Details(d: Uint8Array, f: ParsedFrame): string {
    const ip = {...f.ip!, protocol: d[f.ipOffset! + 6]}
    let s = '('
    if (ip.tos) s += `class 0x${ip.tos.toString(16).padStart(2, '0')}, `
    if (ip.flowLabel) s += `flowlabel 0x${ip.flowLabel.toString(16).padStart(5, '0')}, `
    s += `hlim ${ip.ttl}, next-header ${PROTO_NAMES[ip.protocol] ?? 'unknown'} (${ip.protocol}) payload length: ${ip.length}) `
    return s
  }

  private vrrp(d: Uint8Array, f: ParsedFrame, off: number, len: number): string {
    const ip = f.ip!
    const avail = Math.max(0, d.length - off)
    if (avail < 1) return 'VRRP [|vrrp]'
    const version = d[off] >> 4
    const type = d[off] & 0x0f
    let s = `VRRPv${version}, ${type === 1 ? 'Advertisement' : `unknown type (${type})`}`
    if (ip.ttl !== 255) s += `, (ttl ${ip.ttl})`
    if (version < 2 || version > 3 || type !== 1) return s
    if (avail < 3) return s + ' [|vrrp]'
    s += `, vrid ${d[off + 1]}, prio ${d[off + 2]}`
    let authType = 0
    if (version === 2 && avail >= 5) {
      authType = d[off + 4]
      s += `, authtype ${AUTH_NAMES[authType] ?? `#${authType}`}`
    }
    if (avail < 6) return s + ' [|vrrp]'
    if (version === 2) s += `, intvl ${d[off + 5]}s, length ${len}`
    else s += `, intvl ${((d[off + 4] & 0x0f) << 8) | d[off + 5]}cs, length ${len}`
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
