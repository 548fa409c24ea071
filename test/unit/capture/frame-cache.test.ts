import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {FrameCache} from '../../../src/capture/frame-cache.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {internetChecksum} from '../../../src/vrrp/checksum.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

const frame = (priority: number, src = '10.1.0.1', ipId = 0) =>
  buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 7, priority, intervalCs: 100, addresses: ['10.1.0.7']}), src, ipId})

const frame6 = (priority: number, src = 'fe80::1') =>
  buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 9, priority, intervalCs: 100, addresses: ['2001:db8::9']}), src})

/** the frame with an 802.1Q tag (VLAN 42) after the MAC addresses */
const tagged = (f: Buffer) => Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 42]), f.subarray(12)])

describe('frame cache', () => {
  it('hands out a router’s frame again for adverts that differ only in the IPv4 ID and checksum, as keepalived sends them', () => {
    const c = new FrameCache()
    const first = c.parse(frame(100, '10.1.0.1', 1), LinkType.ETHERNET)
    expect(first).toEqual(parseFrame(frame(100, '10.1.0.1', 1), LinkType.ETHERNET))
    for (let id = 2; id < 200; id++) {
      const a = frame(100, '10.1.0.1', id)
      // read in place at an odd offset of a larger buffer, as from the reader's buffer
      const big = Buffer.concat([Buffer.from([1, 2, 3]), a, Buffer.from([9])])
      const f = c.parseAt(big, 3, a.length, LinkType.ETHERNET)
      expect(f).toBe(first)
      expect(f).toEqual(parseFrame(a, LinkType.ETHERNET))
      expect(f.ip!.id).toBe(id)
      expect(f.ip!.headerChecksumOk).toBe(true)
      big.fill(0)
    }
    expect(c.hits).toBe(198)
    expect(c.misses).toBe(1)
    expect(c.size).toBe(1)
  })

  it('verifies the IPv4 header checksum of every advert', () => {
    const c = new FrameCache()
    c.parse(frame(100, '10.1.0.1', 1), LinkType.ETHERNET)
    const bad = frame(100, '10.1.0.1', 2)
    bad[14 + 10] ^= 0x10
    const f = c.parse(bad, LinkType.ETHERNET)
    expect(f.ip!.headerChecksumOk).toBe(false)
    expect(f).toEqual(parseFrame(bad, LinkType.ETHERNET))
    expect(c.parse(frame(100, '10.1.0.1', 3), LinkType.ETHERNET).ip!.headerChecksumOk).toBe(true)
  })

  it('parses every other difference afresh and keeps one entry per router, whatever the number of distinct frames', () => {
    const a = frame(100)
    const tail = Buffer.from(a)
    tail[tail.length - 1] ^= 1 // differs in the bytes after the last whole 32-bit word
    const word = Buffer.from(a)
    word[14 + 8] = 64 // the TTL, in the word that also holds part of the masked checksum
    const c = new FrameCache()
    const first = c.parse(a, LinkType.ETHERNET)
    for (const other of [tail, word, frame(101), frame(100, '10.1.0.2'), frame6(100), tagged(a)]) {
      const f = c.parseAt(Buffer.concat([Buffer.alloc(5), other]), 5, other.length, LinkType.ETHERNET)
      expect(f).not.toBe(first)
      expect(f).toEqual(parseFrame(other, LinkType.ETHERNET))
    }
    // the same bytes under another link type are another frame
    const raw = a.subarray(14)
    expect(c.parse(raw, LinkType.RAW)).toEqual(parseFrame(raw, LinkType.RAW))
    // a router whose advert changes on every frame still takes one entry
    const before = c.size
    for (let p = 1; p < 255; p++) {
      const f = frame(p, '10.1.0.9', p)
      expect(c.parse(f, LinkType.ETHERNET)).toEqual(parseFrame(f, LinkType.ETHERNET))
    }
    expect(c.size).toBe(before + 1)
  })

  it('parses frames that are not plain VRRP every time: other protocols, IPv4 options, fragments', () => {
    const c = new FrameCache()
    const udp = Buffer.from(frame(100))
    udp[14 + 9] = 17
    udp.writeUInt16BE(0, 14 + 10)
    udp.writeUInt16BE(internetChecksum(udp, 14, 34), 14 + 10)
    const frag = Buffer.from(frame(100))
    frag[14 + 6] = 0x20
    const notIp = Buffer.from(frame(100))
    notIp.writeUInt16BE(0x0806, 12)
    for (const f of [udp, frag, notIp, udp, frag, notIp]) expect(c.parse(f, LinkType.ETHERNET)).toEqual(parseFrame(f, LinkType.ETHERNET))
    expect(c.size).toBe(0)
    expect(c.hits).toBe(0)
  })

  it('starts over beyond its number of routers, and stays right', () => {
    const c = new FrameCache(16)
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i <= 40; i++) {
        const f = frame(100, `10.1.1.${i}`, round)
        expect(c.parse(f, LinkType.ETHERNET)).toEqual(parseFrame(f, LinkType.ETHERNET))
      }
    }
    expect(c.size).toBeLessThanOrEqual(16)
  })
})
