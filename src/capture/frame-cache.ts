/**
 * Memoised `parseFrame` for captures: VRRP routers repeat byte-identical adverts, so a capture
 * holds few distinct frames. Frames are keyed by a hash of their bytes and compared in full on
 * a hit; a hit returns the same (read-only) ParsedFrame, a miss parses a private copy (so nothing
 * points into the reader's buffers).
 *
 * Exports: `FrameCache` (`new FrameCache(maxEntries?)`, `parse(data, linkType)`,
 * `parseAt(bytes, offset, length, linkType)` for a frame inside a larger buffer (no view made on
 * a hit), `hits`, `misses`).
 */
import {parseFrame, type ParsedFrame} from './frame.js'

interface Entry {
  bytes: Uint8Array
  /** the whole 32-bit words of bytes, read little-endian like the captured words they are compared with */
  words: Int32Array
  linkType: number
  frame: ParsedFrame
  next?: Entry
}

/** frames longer than this are parsed every time (VRRP adverts are far shorter) */
const MAX_CACHED = 512
/** longest chain of frames with one hash: bounds the comparisons per frame */
const MAX_CHAIN = 8

export class FrameCache {
  private map = new Map<number, Entry>()
  /** a DataView of the last buffer looked into (the reader hands out many frames of one chunk) */
  private lastBytes?: Uint8Array
  private lastView: DataView = new DataView(new ArrayBuffer(0))
  hits = 0
  misses = 0

  constructor(private readonly maxEntries = 4096) {}

  parse(data: Uint8Array, linkType: number): ParsedFrame {
    return this.parseAt(data, 0, data.length, linkType)
  }

  /** the frame at bytes[offset, offset + n) */
  parseAt(bytes: Uint8Array, offset: number, n: number, linkType: number): ParsedFrame {
    if (n > MAX_CACHED) return parseFrame(bytes.subarray(offset, offset + n), linkType)
    const end = offset + n
    let dv = this.lastView
    if (bytes !== this.lastBytes) {
      dv = this.lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      this.lastBytes = bytes
    }
    // FNV-1a over every other 32-bit word, the last whole word and the bytes after it (the
    // full comparison settles equality); a hit is checked word by word (32-bit reads are exact
    // and about four times cheaper than byte reads)
    const words = n & ~3
    let h = 0x811c9dc5 ^ linkType ^ (n << 8)
    for (let i = offset; i < offset + words; i += 8) h = Math.imul(h ^ dv.getInt32(i, true), 0x01000193)
    if (words >= 4) h = Math.imul(h ^ dv.getInt32(offset + words - 4, true), 0x01000193)
    for (let i = offset + words; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
    // a small integer key (31-bit, never a heap number): cheaper to hash and look up
    h = (h ^ (h >>> 16)) & 0x3fffffff
    let chain = 0
    for (let e = this.map.get(h); e; e = e.next) {
      chain++
      if (e.linkType !== linkType || e.bytes.length !== n) continue
      const w = e.words
      let k = 0
      const nw = words >> 2
      while (k < nw && w[k] === dv.getInt32(offset + 4 * k, true)) k++
      if (k < nw) continue
      let i = words
      const b = e.bytes
      while (i < n && b[i] === bytes[offset + i]) i++
      if (i === n) {
        this.hits++
        return e.frame
      }
    }
    this.misses++
    const copy = Buffer.from(bytes.subarray(offset, end))
    const frame = parseFrame(copy, linkType)
    if (this.map.size >= this.maxEntries) this.map.clear()
    // frames that share a hash are chained, up to MAX_CHAIN of them (then the chain starts over)
    const next = chain < MAX_CHAIN ? this.map.get(h) : undefined
    const cv = new DataView(copy.buffer, copy.byteOffset, n)
    const w = new Int32Array(words >> 2)
    for (let k = 0; k < w.length; k++) w[k] = cv.getInt32(4 * k, true)
    this.map.set(h, {bytes: copy, words: w, linkType, frame, next})
    return frame
  }
}
