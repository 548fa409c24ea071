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
import type {PcapRecord} from '../capture/pcap-reader.js'
import {formatIp} from '../vrrp/address.js'
import {LocalClock} from './local-clock.js'
import {dissect, type DissectOptions} from './tcpdump-dissect.js'
import type {OutputBuffer} from './output-buffer.js'

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

type TimedRecord = Pick<PcapRecord, 'tsSec' | 'tsNsec' | 'data' | 'tsExact'> & {wireLen?: number; capLen?: number}

const TIME_ERROR = '[Error converting time]'
/** the first and last seconds whose year a C int tm_year holds (years -2147481748 .. 2147485547) */
const FIRST_LOCAL_SEC = -67768040609827200n
const LAST_LOCAL_SEC = 67768036191676799n
/** seconds in 400 Gregorian years, and 2000-01-01 as the base times are moved to */
const CYCLE_SEC = 12622780800n
const BASE_SEC = 946684800n
const DATE_MAX_SEC = 8.64e12

/** tcpdump's line for a record whose lengths cannot be (no time, no packet) */
function invalidHeader(rec: {data: Uint8Array; capLen?: number; wireLen?: number}): string | undefined {
  const cap = rec.capLen ?? rec.data.length
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

export class TcpdumpFormatter {
  readonly verbose: boolean
  /** print the v2 simple-auth password as tcpdump does (else masked: it is a secret) */
  readonly showAuth: boolean

  constructor(opts: {verbose?: boolean; showAuth?: boolean} = {}) {
    this.verbose = opts.verbose ?? false
    this.showAuth = opts.showAuth ?? false
    this.dissectOptions.verbose = this.verbose
    this.dissectOptions.showAuth = this.showAuth
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
    // the captured length without making a view of the record's bytes (capLen when the reader gives it)
    const whole = rec.wireLen === undefined || rec.wireLen === (rec.capLen ?? rec.data.length)
    let body = whole ? this.memoBytes.get(f) : undefined
    if (body === undefined) {
      body = Buffer.from(`${this.bodyText(rec, f)}\n`, 'utf8')
      if (whole && this.memoOk(f)) this.memoBytes.set(f, body)
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
    return dissect(d, f.linkType, wireLen, this.dissectOptions)
  }

  private readonly dissectOptions: DissectOptions = {
    verbose: false,
    showAuth: false,
    mask: MASK,
    ifName: interfaceName,
    arp: (d, p) => this.arp(d, p),
    other: (etherType) => (etherType < 0 ? 'unknown address family' : `ethertype 0x${etherType.toString(16).padStart(4, '0')}`),
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
}
