import {buildVrrpFrame} from '../../../src/capture/frame.js'
import {internetChecksum} from '../../../src/vrrp/checksum.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

/** Frames that exercise every branch of the tcpdump formatter (and of the codec's issue checks). */
export function edgeFrames(): Buffer[] {
  const v2 = (o: Partial<Parameters<typeof makeAdvertisement>[0]> = {}) =>
    makeAdvertisement({version: 2, vrid: 10, priority: 100, intervalCs: 100, addresses: ['10.1.0.10'], ...o})
  const v3 = (o: Partial<Parameters<typeof makeAdvertisement>[0]> = {}) =>
    makeAdvertisement({version: 3, vrid: 11, priority: 100, intervalCs: 100, addresses: ['10.1.0.11'], ...o})
  const src = '10.1.0.1'
  const out: Buffer[] = []
  const ipHdrFix = (f: Buffer) => {
    f.writeUInt16BE(0, 24)
    f.writeUInt16BE(internetChecksum(f, 14, 34), 24)
    return f
  }
  out.push(buildVrrpFrame({packet: v2({auth: {type: 'simple', pass: 'abc'}}), src}))
  out.push(buildVrrpFrame({packet: v2({addresses: []}), src}))
  out.push(buildVrrpFrame({packet: v2({addresses: ['10.1.0.1', '10.1.0.2', '10.1.0.3']}), src, ttl: 64}))
  out.push(buildVrrpFrame({packet: {...v2(), checksum: 0xbeef}, src}))
  out.push(buildVrrpFrame({packet: {...v3(), checksum: 0x1234}, src}))
  out.push(buildVrrpFrame({packet: {...v3({addresses: ['fe80::11']}), checksum: 0x4321}, src: 'fe80::1'}))
  out.push(buildVrrpFrame({packet: {...v2(), type: 2}, src}))
  out.push(buildVrrpFrame({packet: {...v2(), version: 4}, src}))
  out.push(buildVrrpFrame({packet: {...v2(), authType: 9}, src}))
  const ctl = buildVrrpFrame({packet: v2({auth: {type: 'simple', pass: 'a\u0001b'}}), src})
  ctl[14 + 20 + 8 + 4 + 3] = 0xc1
  out.push(ctl)
  const badIp = buildVrrpFrame({packet: v2(), src})
  badIp.writeUInt16BE(0x1111, 24)
  out.push(badIp)
  const tos = buildVrrpFrame({packet: v2(), src, tos: 0xc3, ipId: 777})
  tos[20] = 0x40
  out.push(ipHdrFix(tos))
  const flow = buildVrrpFrame({packet: v3({addresses: ['fd00::11']}), src: 'fe80::1', tos: 0xb8})
  flow[15] |= 0x0a
  flow[16] = 0xbc
  flow[17] = 0xde
  out.push(flow)
  out.push(buildVrrpFrame({packet: v3({intervalCs: 5, addresses: ['fe80::11', 'fd00::11', '::ffff:10.1.2.3', '::']}), src: 'fe80::1'}))
  out.push(buildVrrpFrame({packet: v3({priority: 0}), src, dst: '10.1.0.2', dstMac: '02:00:00:00:00:02'}))
  out.push(buildVrrpFrame({packet: {...v3({addrCount: 1} as never), addrCount: 3}, src}))
  out.push(buildVrrpFrame({packet: {...v2({auth: {type: 'simple', pass: 'x'}}), trailer: Buffer.alloc(0)}, src, ttl: 0}))
  // CARP: version 2, type 1, 36 bytes
  const carp = buildVrrpFrame({packet: {...v2({addresses: ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5']}), addrCount: 7}, src})
  out.push(carp)
  return out
}

/** truncated copies (snap length) of some frames: [frame, captured bytes] */
export function truncatedFrames(): Array<[Buffer, number]> {
  const f = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 12, priority: 90, intervalCs: 100, addresses: ['10.1.0.12', '10.1.0.13'], auth: {type: 'simple', pass: 'pw'}}), src: '10.1.0.1'})
  const g = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 13, priority: 90, intervalCs: 100, addresses: ['10.1.0.14'], auth: {type: 'simple', pass: 'abcdefgh'}}), src: '10.1.0.1'})
  return [
    [f, 14 + 20 + 2],
    [f, 14 + 20 + 6],
    [f, 14 + 20 + 12],
    [f, f.length - 2],
    [g, g.length - 2],
    [g, g.length - 8],
  ]
}
