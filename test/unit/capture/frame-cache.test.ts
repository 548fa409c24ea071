import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {FrameCache} from '../../../src/capture/frame-cache.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

const frame = (priority: number, src = '10.1.0.1') =>
  buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 7, priority, intervalCs: 100, addresses: ['10.1.0.7']}), src})

describe('frame cache', () => {
  it('returns the cached parse only for byte-identical frames, also read in place from a larger buffer', () => {
    const a = frame(100)
    const tail = Buffer.from(a)
    tail[tail.length - 1] ^= 1 // differs in the bytes after the last whole 32-bit word
    const word = Buffer.from(a)
    word[16] ^= 0x80 // differs inside a word
    const c = new FrameCache()
    const first = c.parse(a, LinkType.ETHERNET)
    expect(first).toEqual(parseFrame(a, LinkType.ETHERNET))
    // the same bytes at an odd offset of a larger buffer: a hit, without a copy of its own
    const big = Buffer.concat([Buffer.from([1, 2, 3]), a, Buffer.from([9])])
    expect(c.parseAt(big, 3, a.length, LinkType.ETHERNET)).toBe(first)
    expect(c.hits).toBe(1)
    for (const other of [tail, word, frame(101), frame(100, '10.1.0.2')]) {
      const f = c.parseAt(Buffer.concat([Buffer.alloc(5), other]), 5, other.length, LinkType.ETHERNET)
      expect(f).not.toBe(first)
      expect(f).toEqual(parseFrame(other, LinkType.ETHERNET))
    }
    // the same bytes under another link type are another frame
    expect(c.parse(a, LinkType.RAW)).not.toBe(first)
    expect(c.misses).toBe(6)
    // the cached copy is private: overwriting the reader's buffer changes nothing
    big.fill(0)
    expect(c.parse(a, LinkType.ETHERNET)).toBe(first)
  })
})

describe('frame cache chains', () => {
  it('keeps at most a few frames per hash: frames differing only in bytes the hash skips stay correct', () => {
    // the hash reads every other 32-bit word: these frames differ only in word 1 (bytes 4..7)
    const c = new FrameCache()
    const base = frame(100)
    const variants = Array.from({length: 40}, (_, i) => {
      const f = Buffer.from(base)
      f.writeUInt16BE(i, 4)
      return f
    })
    for (let round = 0; round < 2; round++) {
      for (const v of variants) expect(c.parse(v, LinkType.ETHERNET).dstMac).toBe(parseFrame(v, LinkType.ETHERNET).dstMac)
    }
    // the last few are still cached
    const hits = c.hits
    c.parse(variants[39], LinkType.ETHERNET)
    expect(c.hits).toBe(hits + 1)
  })
})
