/**
 * Streaming pcap and pcapng reader, pure TypeScript (no libpcap).
 *
 * Exported API:
 * - `PcapParser`: push parser. `new PcapParser(onPacket)`, then `push(chunk)` as bytes arrive
 *   (file, SSH stdout of `tcpdump -U -w -`, ...) and `end()`. Detects pcap (both byte orders,
 *   micro- and nanosecond magic) and pcapng (SHB/IDB/EPB/SPB/obsolete PB, per-interface link
 *   type and if_tsresol, sections of either byte order). Records that straddle chunks are joined;
 *   memory stays bounded by the largest record.
 * - `PcapRecord`: one packet. `data` is a view into the parser's buffer, valid only during the
 *   callback (copy it to keep it); it is made on first use: `bytes[offset, offset + capLen)` are
 *   the same bytes without making a view (one record object is reused for every packet).
 * - `readPcapFile(path, onPacket, opts?) -> Promise<PcapFileInfo>`: stream a file through the parser
 *   (read in 64 KiB pieces into one reused buffer: records are valid during their callback only).
 *   `opts.signal` stops early; returning `false` from onPacket stops too.
 * - Errors: HalError code `PCAP_FORMAT` (exit 2) for a file that is not pcap/pcapng or is corrupt.
 */
import {closeSync, openSync, readSync} from 'node:fs'
import {HalError} from '../lib/errors.js'

export interface PcapRecord {
  /**
   * seconds since the epoch, as libpcap hands them to tcpdump: signed (a pcap time of 2^31 or
   * more is negative, a pcapng time wraps at 2^64 and is read as signed 64 bits)
   */
  tsSec: number
  /** fraction of the second in nanoseconds */
  tsNsec: number
  /** bytes captured (data.length) */
  capLen: number
  /** bytes on the wire */
  wireLen: number
  linkType: number
  /** pcapng interface id (0 for pcap) */
  interfaceId: number
  /** the exact seconds when tsSec is outside what a JavaScript Date holds (0 ..8.64e12) or not exact */
  tsExact?: bigint
  /** no capture time in the file (pcapng Simple Packet Block): tsSec is the interface's offset */
  untimed?: boolean
  data: Uint8Array
  /** the buffer holding the packet: data is bytes[offset, offset + capLen) */
  bytes?: Uint8Array
  offset?: number
}

const EMPTY = new Uint8Array(0)

/** the one record object a parser hands out; `data` is a view made when first read */
class RecordView implements PcapRecord {
  tsSec = 0
  tsNsec = 0
  capLen = 0
  wireLen = 0
  linkType = 0
  interfaceId = 0
  tsExact: bigint | undefined = undefined
  untimed = false
  bytes: Uint8Array = EMPTY
  offset = 0
  view: Uint8Array | undefined = undefined
  declare data: Uint8Array

  constructor() {
    // an own enumerable accessor, so that {...rec} copies the bytes' view like a plain field
    Object.defineProperty(this, 'data', {
      enumerable: true,
      get: () => (this.view ??= this.bytes.subarray(this.offset, this.offset + this.capLen)),
      set: (d: Uint8Array) => {
        this.bytes = d
        this.offset = 0
        this.capLen = d.length
        this.view = d
      },
    })
  }

  /** points the record at bytes[offset, offset + capLen) */
  at(bytes: Uint8Array, offset: number, capLen: number): void {
    this.bytes = bytes
    this.offset = offset
    this.capLen = capLen
    this.view = undefined
  }
}

export interface PcapFileInfo {
  format: 'pcap' | 'pcapng'
  /** link type of the first interface (pcap: of the file) */
  linkType: number
  snapLen: number
  /** nanosecond timestamps in the file (pcap) or the first interface (pcapng) */
  nanosecond: boolean
  packets: number
}

/** return false to stop reading */
export type OnPacket = (rec: PcapRecord) => void | boolean

interface NgInterface {
  linkType: number
  snapLen: number
  /** timestamp units per second (if_tsresol), exact */
  resol: bigint
  /** the same as a number when the fast path can use it (a power of ten up to 10^9), else 0 */
  fastResol: number
  /** if_tsoffset: seconds added to every time (signed 64 bits, wrapping like libpcap's uint64) */
  offset: bigint
  offsetNum: number
}

/** seconds a JavaScript Date can hold */
const DATE_MAX_SEC = 8.64e12
const U64 = 1n << 64n
const I64_MIN = 1n << 63n

const PCAP_MAGIC_US = 0xa1b2c3d4
const PCAP_MAGIC_NS = 0xa1b23c4d
const NG_SHB = 0x0a0d0d0a
const NG_BOM = 0x1a2b3c4d
const MAX_RECORD = 64 * 1024 * 1024

function formatError(message: string): HalError {
  return new HalError('PCAP_FORMAT', message, {hint: 'give a capture written by tcpdump -w, tshark -w, dumpcap or halctl sniff --write'})
}

export class PcapParser {
  info?: PcapFileInfo
  private buf: Buffer = Buffer.alloc(0)
  private le = true
  private nanos = false
  private ifaces: NgInterface[] = []
  private stopped = false
  private readonly rec = new RecordView()

  constructor(private readonly onPacket: OnPacket) {}

  get done(): boolean {
    return this.stopped
  }

  push(chunk: Buffer): void {
    if (this.stopped) return
    // a record left over from the previous chunk: complete it with just the bytes it lacks,
    // instead of copying the whole new chunk behind it
    while (this.buf.length > 0 && this.info && chunk.length > 0) {
      const total = this.recordSize(this.buf)
      if (total !== undefined && (total > MAX_RECORD + 16 || total <= this.buf.length)) break // corrupt: parse() reports it
      const want = total === undefined ? Math.min(chunk.length, 16) : total - this.buf.length
      if (total === undefined || want > chunk.length) {
        this.buf = Buffer.concat([this.buf, chunk.subarray(0, total === undefined ? want : chunk.length)])
        chunk = chunk.subarray(total === undefined ? want : chunk.length)
        continue
      }
      const head = Buffer.concat([this.buf, chunk.subarray(0, want)])
      chunk = chunk.subarray(want)
      const used = this.parse(head)
      if (this.stopped) return
      this.buf = used >= head.length ? Buffer.alloc(0) : Buffer.from(head.subarray(used))
      if (this.buf.length > 0) break
    }
    const b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const used = this.parse(b)
    this.buf = used >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(used))
  }

  /** size of the record (pcap) or block (pcapng) that starts buf, when its header is there */
  private recordSize(b: Buffer): number | undefined {
    if (this.info!.format === 'pcap') return b.length >= 16 ? 16 + this.u32(b, 8) : undefined
    if (b.length < 12) return undefined
    // a section header block sets the byte order it is read with
    if (b.readUInt32LE(0) === NG_SHB) {
      const bom = b.readUInt32LE(8)
      return bom === NG_BOM ? b.readUInt32LE(4) : b.readUInt32BE(4)
    }
    return this.u32(b, 4)
  }

  /**
   * Parses the whole records at the start of b and returns the bytes they take; the rest of b
   * (a record cut by the end of b) is left to the caller, who gives it again with more bytes
   * behind it. For a reader that owns its buffer (no copies); do not mix with push().
   */
  consume(b: Buffer): number {
    if (this.stopped) return b.length
    return this.parse(b)
  }

  /**
   * call after the last chunk: a partial record at the end is reported as an error
   * (`leftover`: bytes the caller still holds, after consume())
   */
  end(leftover = this.buf.length): void {
    if (this.stopped) return
    if (!this.info) throw formatError(leftover === 0 ? 'empty capture file' : 'capture file too short for a header')
    if (leftover > 0) throw formatError(`capture ends inside a record (${leftover} bytes left over)`)
  }

  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o)
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o)
  }

  private parse(b: Buffer): number {
    let o = 0
    if (!this.info) {
      if (b.length < 4) return 0
      const m = b.readUInt32LE(0)
      if (m === NG_SHB) {
        // the pcapng section header is parsed as a block below
        this.info = {format: 'pcapng', linkType: -1, snapLen: 0, nanosecond: false, packets: 0}
      } else {
        if (b.length < 24) return 0
        if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) this.le = true
        else if (b.readUInt32BE(0) === PCAP_MAGIC_US || b.readUInt32BE(0) === PCAP_MAGIC_NS) this.le = false
        else throw formatError(`not a pcap or pcapng file (magic 0x${b.readUInt32BE(0).toString(16)})`)
        this.nanos = this.u32(b, 0) === PCAP_MAGIC_NS
        const linkType = this.u32(b, 20) & 0x0fffffff
        this.info = {format: 'pcap', linkType, snapLen: this.u32(b, 16), nanosecond: this.nanos, packets: 0}
        o = 24
      }
    }
    return this.info.format === 'pcap' ? this.parsePcap(b, o) : this.parseNg(b, o)
  }

  private parsePcap(b: Buffer, o: number): number {
    const info = this.info!
    const rec = this.rec
    rec.linkType = info.linkType
    const le = this.le
    const nanos = this.nanos
    const n = b.length
    // DataView reads are cheaper than Buffer.readUInt32* (no argument checks per call)
    const dv = new DataView(b.buffer, b.byteOffset, n)
    while (o + 16 <= n) {
      const incl = dv.getUint32(o + 8, le)
      if (incl > MAX_RECORD) throw formatError(`record of ${incl} bytes at offset ${o}: corrupt capture`)
      if (o + 16 + incl > n) break
      // libpcap reads the seconds as signed 32 bits
      rec.tsSec = dv.getInt32(o, le)
      const frac = dv.getUint32(o + 4, le)
      rec.tsNsec = nanos ? frac : frac * 1000
      rec.wireLen = dv.getUint32(o + 12, le)
      rec.at(b, o + 16, incl)
      o += 16 + incl
      info.packets++
      if (this.onPacket(rec) === false) {
        this.stopped = true
        return n
      }
    }
    return o
  }

  private parseNg(b: Buffer, o: number): number {
    const info = this.info!
    const n = b.length
    while (o + 12 <= n) {
      const rawType = b.readUInt32LE(o)
      if (rawType === NG_SHB) {
        const bom = b.readUInt32LE(o + 8)
        if (bom === NG_BOM) this.le = true
        else if (b.readUInt32BE(o + 8) === NG_BOM) this.le = false
        else throw formatError('pcapng section header with an unknown byte order')
        this.ifaces = []
      }
      const type = this.u32(b, o)
      const len = this.u32(b, o + 4)
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) throw formatError(`pcapng block of length ${len} at offset ${o}: corrupt capture`)
      if (o + len > n) break
      const body = o + 8
      const bodyEnd = o + len - 4
      switch (type) {
        case 1: {
          // Interface Description Block
          const linkType = this.u16(b, body)
          const snapLen = this.u32(b, body + 4)
          let resol = 1_000_000n
          let offset = 0n
          for (let p = body + 8; p + 4 <= bodyEnd; ) {
            const code = this.u16(b, p)
            const olen = this.u16(b, p + 2)
            if (code === 0) break
            if (code === 9 && olen >= 1) {
              const r = b[p + 4]
              const exp = r & 0x7f
              // libpcap refuses what does not fit its 64-bit arithmetic, and so does tcpdump
              if (r & 0x80 ? exp > 63 : exp > 19) throw formatError(`Interface Description Block if_tsresol option resolution ${r & 0x80 ? 2 : 10}^-${exp} is too high`)
              resol = r & 0x80 ? 1n << BigInt(exp) : 10n ** BigInt(exp)
            }
            if (code === 14 && olen >= 8) offset = this.le ? b.readBigUInt64LE(p + 4) : b.readBigUInt64BE(p + 4)
            p += 4 + ((olen + 3) & ~3)
          }
          const signedOffset = offset >= I64_MIN ? offset - U64 : offset
          const safeOffset = signedOffset > -(1n << 40n) && signedOffset < 1n << 40n
          const r = Number(resol)
          this.ifaces.push({linkType, snapLen, resol, fastResol: r <= 1e9 && 1e9 % r === 0 && safeOffset ? r : 0, offset, offsetNum: Number(signedOffset)})
          if (info.linkType === -1) {
            info.linkType = linkType
            info.snapLen = snapLen
            info.nanosecond = resol > 1_000_000n
          }
          break
        }
        case 6:
        case 2: {
          // Enhanced Packet Block (6), obsolete Packet Block (2)
          const ifId = type === 6 ? this.u32(b, body) : this.u16(b, body)
          const iface = this.ifaces[ifId]
          if (!iface) throw formatError(`pcapng packet for undeclared interface ${ifId}`)
          const hi = this.u32(b, body + 4)
          const lo = this.u32(b, body + 8)
          const capLen = this.u32(b, body + 12)
          const wireLen = this.u32(b, body + 16)
          if (body + 20 + capLen > bodyEnd) throw formatError(`pcapng packet longer than its block at offset ${o}`)
          this.emitNg(iface, ifId, hi, lo, capLen, wireLen, b, body + 20)
          break
        }
        case 3: {
          // Simple Packet Block: interface 0, no timestamp
          const iface = this.ifaces[0]
          if (!iface) throw formatError('pcapng simple packet before any interface')
          const wireLen = this.u32(b, body)
          const capLen = Math.min(wireLen, bodyEnd - body - 4, iface.snapLen || Infinity)
          this.emitNg(iface, 0, 0, 0, capLen, wireLen, b, body + 4, true)
          break
        }
        default:
          // statistics, name resolution, custom blocks, ...: skipped
          break
      }
      o += len
      if (this.stopped) return n
    }
    return o
  }

  /** libpcap's own uint64 arithmetic, for any resolution, offset and range */
  private slowTime(iface: NgInterface, hi: number, lo: number): void {
    const rec = this.rec
    const t = (BigInt(hi) << 32n) | BigInt(lo)
    const R = iface.resol
    const frac = t % R
    const u = (t / R + iface.offset) % U64
    const sec = u >= I64_MIN ? u - U64 : u
    rec.tsSec = Number(sec)
    if (sec < 0n || sec > BigInt(DATE_MAX_SEC)) rec.tsExact = sec
    let nsec: bigint
    if (R <= 1_000_000_000n && 1_000_000_000n % R === 0n) nsec = frac * (1_000_000_000n / R)
    else if (R % 1_000_000_000n === 0n) nsec = frac / (R / 1_000_000_000n)
    else if (R <= 1n << 44n) nsec = (frac * 1_000_000_000n) / R
    // libpcap scales binary fractions to microseconds in 64 bits, overflow included
    else nsec = (((frac * 1_000_000n) % U64) / R) * 1000n
    rec.tsNsec = Number(nsec)
  }

  private emitNg(iface: NgInterface, ifId: number, hi: number, lo: number, capLen: number, wireLen: number, b: Buffer, dataOffset: number, untimed = false): void {
    const rec = this.rec
    rec.untimed = untimed
    rec.tsExact = undefined
    const ups = iface.fastResol
    let done = false
    if (ups !== 0) {
      // exact long division of the 64-bit count by 16-bit limbs (every step stays below 2^53)
      let q = 0
      let rem = 0
      for (const limb of [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff]) {
        const cur = rem * 65536 + limb
        const d = Math.floor(cur / ups)
        rem = cur - d * ups
        q = q * 65536 + d
      }
      const sec = q + iface.offsetNum
      if (q <= DATE_MAX_SEC && sec >= 0 && sec <= DATE_MAX_SEC) {
        rec.tsSec = sec
        rec.tsNsec = rem * (1e9 / ups)
        done = true
      }
    }
    if (!done) this.slowTime(iface, hi, lo)
    rec.wireLen = wireLen
    rec.linkType = iface.linkType
    rec.interfaceId = ifId
    rec.at(b, dataOffset, capLen)
    this.info!.packets++
    if (this.onPacket(rec) === false) this.stopped = true
  }
}

/**
 * bytes read from a file at a time, into one buffer reused for the whole file: small enough to
 * stay in the CPU cache between the read and the parse (a 1 MiB buffer reads several times slower)
 */
const READ_SIZE = 1 << 16
/** reads between two turns of the event loop (so that an abort signal, e.g. Ctrl-C, is seen) */
const READS_PER_TURN = 16

/** `-r -`: the standard input */
export const STDIN_PATH = '-'

/** a read error as the user can act on it (the file name, and what to do) */
function openError(path: string, e: NodeJS.ErrnoException): HalError {
  const name = path === STDIN_PATH ? 'the standard input' : path
  const hint =
    e.code === 'ENOENT'
      ? 'check the file name'
      : e.code === 'EISDIR'
        ? 'give a capture file (pcap or pcapng), not a directory'
        : e.code === 'EACCES' || e.code === 'EPERM'
          ? 'check the file permissions'
          : 'give a readable capture file (pcap or pcapng)'
  return new HalError('PCAP_OPEN', `cannot read ${name}: ${e.code === 'EISDIR' ? 'it is a directory' : e.message}`, {hint, where: path, cause: e})
}

/** a format error of this file: its name in the message and in `where` */
function inFile(path: string, e: HalError): HalError {
  const name = path === STDIN_PATH ? 'standard input' : path
  return new HalError(e.code, `${name}: ${e.message}`, {hint: e.hint, where: path, exitCode: e.exitCode})
}

export async function readPcapFile(path: string, onPacket: OnPacket, opts: {signal?: AbortSignal} = {}): Promise<PcapFileInfo> {
  const parser = new PcapParser(onPacket)
  let leftover: number | undefined
  try {
    if (path === STDIN_PATH) {
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        parser.push(chunk)
        if (parser.done || opts.signal?.aborted) break
      }
    } else leftover = await readFile(path, parser, opts.signal)
    if (!parser.done && !opts.signal?.aborted) parser.end(leftover)
  } catch (e) {
    if (e instanceof HalError && e.code === 'PCAP_FORMAT') throw inFile(path, e)
    // an error of the system (open, read), not one of the packet callback
    if (e instanceof HalError || typeof (e as NodeJS.ErrnoException).syscall !== 'string') throw e
    throw openError(path, e as NodeJS.ErrnoException)
  }
  return parser.info!
}

/** reads a file through the parser; returns the bytes of a record left cut at the end */
async function readFile(path: string, parser: PcapParser, signal: AbortSignal | undefined): Promise<number> {
  const fd = openSync(path, 'r')
  // bytes of a record cut by the end of the last read, kept at the start of buf
  let have = 0
  try {
    // records are views into this buffer during their callback only: a cut record is moved to
    // the start and completed by the next read; the buffer grows for a record larger than it
    let buf = Buffer.allocUnsafe(READ_SIZE)
    for (let reads = 1; ; reads++) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, have)
        buf = bigger
      }
      // synchronous reads of a local file: cheaper than the thread pool's, and the loop yields
      const n = readSync(fd, buf, have, buf.length - have, null)
      if (n === 0) break
      have += n
      const used = parser.consume(have === buf.length ? buf : buf.subarray(0, have))
      if (parser.done || signal?.aborted) break
      if (used > 0) {
        buf.copyWithin(0, used, have)
        have -= used
      }
      if (reads % READS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve))
      if (signal?.aborted) break
    }
  } finally {
    closeSync(fd)
  }
  return have
}
