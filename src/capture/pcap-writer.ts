/**
 * pcap writer (classic libpcap format, microsecond timestamps) that tcpdump and Wireshark open.
 *
 * Exported API:
 * - `pcapFileHeader(linkType, snapLen?) -> Buffer`
 * - `pcapRecord(tsSec, tsNsec, data, wireLen?) -> Buffer`
 * - `PcapWriter`: `await PcapWriter.open(path, linkType)`, `write(rec)`, `await close()`.
 *   Writes are buffered; the header is written at open so an empty capture is still valid.
 */
import {createWriteStream, type WriteStream} from 'node:fs'
import {once} from 'node:events'
import {HalError} from '../lib/errors.js'

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

export class PcapWriter {
  private constructor(
    private readonly out: WriteStream,
    readonly path: string,
    readonly linkType: number,
  ) {}

  count = 0

  static async open(path: string, linkType: number): Promise<PcapWriter> {
    const out = createWriteStream(path)
    try {
      await once(out, 'open')
    } catch (e) {
      throw new HalError('PCAP_WRITE', `cannot write ${path}: ${(e as Error).message}`, {hint: 'check the directory exists and is writable', where: path})
    }
    out.write(pcapFileHeader(linkType))
    return new PcapWriter(out, path, linkType)
  }

  write(rec: {tsSec: number; tsNsec: number; data: Uint8Array; wireLen?: number}): void {
    this.out.write(pcapRecord(rec.tsSec, rec.tsNsec, rec.data, rec.wireLen))
    this.count++
  }

  async close(): Promise<void> {
    this.out.end()
    await once(this.out, 'close')
  }
}
