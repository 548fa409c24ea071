/**
 * pcap writer (classic libpcap format, microsecond timestamps) that tcpdump and Wireshark open.
 *
 * Exported API:
 * - `pcapFileHeader(linkType, snapLen?) -> Buffer`
 * - `pcapRecord(tsSec, tsNsec, data, wireLen?) -> Buffer`
 * - `PcapWriter`: `await PcapWriter.open(path, linkType)`, `write(rec)`, `await close()`.
 *   Writes are buffered; the file appears at close (atomically), holding at least the header.
 */
import {HalError} from '../lib/errors.js'
import {AtomicFile, nameWriteFlag} from '../lib/safe-write.js'

export const DEFAULT_SNAPLEN = 262144

export function pcapFileHeader(linkType: number, snapLen = DEFAULT_SNAPLEN): Buffer {
  const h = Buffer.alloc(24)
  h.writeUInt32LE(0xa1b2c3d4, 0)
  h.writeUInt16LE(2, 4)
  h.writeUInt16LE(4, 6)
  h.writeUInt32LE(snapLen, 16)
  h.writeUInt32LE(linkType, 20)
  return h
}

export function pcapRecord(tsSec: number, tsNsec: number, data: Uint8Array, wireLen = data.length): Buffer {
  const r = Buffer.alloc(16 + data.length)
  r.writeUInt32LE(tsSec >>> 0, 0)
  r.writeUInt32LE(Math.floor(tsNsec / 1000), 4)
  r.writeUInt32LE(data.length, 8)
  r.writeUInt32LE(wireLen, 12)
  r.set(data, 16)
  return r
}

/**
 * Frames are buffered and written to an exclusive temp file next to `path`
 * (lib/safe-write.ts); close() makes it the capture file atomically, so a
 * symlink planted at `path` is never followed and a reader never sees half a file.
 */
export class PcapWriter {
  private chunks: Buffer[] = []
  private buffered = 0
  private constructor(
    private readonly out: AtomicFile,
    readonly path: string,
    readonly linkType: number,
  ) {}

  count = 0

  static async open(path: string, linkType: number): Promise<PcapWriter> {
    let out: AtomicFile
    try {
      out = AtomicFile.open(path, {mode: 0o644})
    } catch (e) {
      if (e instanceof HalError) throw nameWriteFlag(e, '--write')
      throw new HalError('PCAP_WRITE', `cannot write ${path}: ${(e as Error).message}`, {hint: 'check the directory exists and is writable', where: path})
    }
    const w = new PcapWriter(out, path, linkType)
    w.push(pcapFileHeader(linkType))
    return w
  }

  private push(b: Buffer): void {
    this.chunks.push(b)
    this.buffered += b.length
    if (this.buffered >= 1 << 16) this.flush()
  }

  private flush(): void {
    if (this.buffered === 0) return
    this.out.write(Buffer.concat(this.chunks))
    this.chunks = []
    this.buffered = 0
  }

  write(rec: {tsSec: number; tsNsec: number; data: Uint8Array; wireLen?: number}): void {
    this.push(pcapRecord(rec.tsSec, rec.tsNsec, rec.data, rec.wireLen))
    this.count++
  }

  async close(): Promise<void> {
    try {
      this.flush()
    } catch (e) {
      this.out.abort()
      if (e instanceof HalError) throw nameWriteFlag(e, '--write')
      throw new HalError('PCAP_WRITE', `cannot write ${this.path}: ${(e as Error).message}`, {where: this.path})
    }
    try {
      this.out.commit()
    } catch (e) {
      throw nameWriteFlag(e, '--write')
    }
  }
}
