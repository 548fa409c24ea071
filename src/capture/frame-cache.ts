/**
 * Memoised `parseFrame` for captures: VRRP routers repeat byte-identical adverts, so a capture
 * holds few distinct frames. Frames are keyed by a hash of their bytes and compared in full on
 * a hit; a hit returns the same (read-only) ParsedFrame, a miss parses a private copy (so nothing
 * points into the reader's buffers).
 *
 * Exports: `FrameCache` (`new FrameCache(maxEntries?)`, `parse(data, linkType)`, `hits`, `misses`).
 */
import {parseFrame, type ParsedFrame} from './frame.js'

interface Entry {
  bytes: Buffer
  linkType: number
  frame: ParsedFrame
  next?: Entry
}

export class FrameCache {
  private map = new Map<number, Entry>()
  hits = 0
  misses = 0

  constructor(private readonly maxEntries = 4096) {}

  parse(data: Uint8Array, linkType: number): ParsedFrame {
    const n = data.length
    if (n > 512) return parseFrame(data, linkType)
    // FNV-1a over every third byte (the full comparison below settles equality)
    let h = 0x811c9dc5 ^ linkType ^ (n << 8)
    for (let i = 0; i < n; i += 3) h = Math.imul(h ^ data[i], 0x01000193)
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, n)
    for (let e = this.map.get(h); e; e = e.next) {
      if (e.linkType === linkType && e.bytes.length === n && buf.equals(e.bytes)) {
        this.hits++
        return e.frame
      }
    }
    this.misses++
    const bytes = Buffer.from(buf)
    const frame = parseFrame(bytes, linkType)
    if (this.map.size >= this.maxEntries) this.map.clear()
    this.map.set(h, {bytes, linkType, frame, next: this.map.get(h)})
    return frame
  }
}
