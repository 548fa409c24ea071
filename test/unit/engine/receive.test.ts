import {describe, expect, it} from 'vitest'
import {buildVrrpFrame} from '../../../src/capture/frame.js'
import {advertFrames} from '../../../src/engine/frames.js'
import {classifyFrame, vridKey, type ReceiveContext} from '../../../src/engine/receive.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'
import {inst} from './fixtures.js'

const me = inst({authPass: 'secret'})
const ctx: ReceiveContext = {byVrid: new Map([[vridKey(4, 51), me]]), ownIps: new Set(['192.0.2.2'])}
const peer = {mac: '02:00:00:00:00:09', srcIp: '192.0.2.9'}
const from = (over: Parameters<typeof inst>[0], priority = 120, link = peer) => advertFrames(inst({authPass: 'secret', ...over}), link, priority, new Map())[0]

describe('receive checks (keepalived vrrp_check_packet)', () => {
  it('a valid advert becomes an event with the sender and its interval', () => {
    expect(classifyFrame(from({}), ctx)).toEqual({kind: 'advert', instance: 'VI_1', priority: 120, adverIntMs: 1000, srcIp: '192.0.2.9'})
  })
  it('our own adverts are recognised by source address', () => {
    expect(classifyFrame(from({}, 100, {mac: peer.mac, srcIp: '192.0.2.2'}), ctx)).toEqual({kind: 'own'})
  })
  it('wrong password, missing auth, other interval, other addresses, other version: dropped with the reason', () => {
    expect(classifyFrame(from({authPass: 'nope'}), ctx)).toMatchObject({kind: 'drop', reason: 'auth-failure', instance: 'VI_1'})
    expect(classifyFrame(from({authPass: undefined}), ctx)).toMatchObject({kind: 'drop', reason: 'auth-type-mismatch'})
    expect(classifyFrame(from({advertIntMs: 2000}), ctx)).toMatchObject({kind: 'drop', reason: 'interval-mismatch'})
    expect(classifyFrame(from({vips: [{address: '192.0.2.10'}]}), ctx)).toMatchObject({kind: 'drop', reason: 'address-mismatch'})
    expect(classifyFrame(from({version: 3, authPass: undefined}), ctx)).toMatchObject({kind: 'drop', reason: 'version-mismatch'})
  })
  it('TTL other than 255, unknown VRID and garbage are dropped', () => {
    const p = makeAdvertisement({version: 2, vrid: 51, priority: 255, intervalCs: 100, addresses: ['192.0.2.10', '192.0.2.11'], auth: {type: 'simple', pass: 'secret'}})
    expect(classifyFrame(buildVrrpFrame({packet: p, src: '192.0.2.9', ttl: 64}), ctx)).toMatchObject({kind: 'drop', reason: 'bad-ttl'})
    expect(classifyFrame(from({vrid: 52}), ctx)).toEqual({kind: 'drop', reason: 'unknown-vrid'})
    const f = from({})
    expect(classifyFrame(f.subarray(0, 40), ctx).kind).toBe('drop')
    const corrupt = Buffer.from(f)
    corrupt[corrupt.length - 1] ^= 0xff
    expect(classifyFrame(corrupt, ctx)).toMatchObject({kind: 'drop', reason: 'bad-checksum'})
  })

  it('by destination, as keepalived: a multicast instance ignores an advert to our own unicast address; a unicast one takes only adverts to its bound address, at any TTL', () => {
    const p = (ttl = 255) => ({packet: makeAdvertisement({version: 2, vrid: 51, priority: 200, intervalCs: 100, addresses: ['192.0.2.10', '192.0.2.11'], auth: {type: 'simple', pass: 'secret'}}), src: '192.0.2.9', srcMac: peer.mac, dstMac: '02:00:00:00:00:02', ttl})
    // the advert that made `halctl run` give up MASTER: higher priority, sent to our own address
    expect(classifyFrame(buildVrrpFrame({...p(), dst: '192.0.2.2'}), ctx)).toEqual({kind: 'drop', reason: 'unicast-on-multicast', instance: 'VI_1'})
    // another multicast group is still multicast (keepalived checks IN_MULTICAST only)
    expect(classifyFrame(buildVrrpFrame({...p(), dst: '224.0.0.19', dstMac: undefined}), ctx)).toMatchObject({kind: 'advert', priority: 200})
    const uni = inst({authPass: 'secret', unicastPeers: ['192.0.2.9'], srcIp: '192.0.2.2'})
    const uctx: ReceiveContext = {byVrid: new Map([[vridKey(4, 51), uni]]), ownIps: new Set(['192.0.2.2'])}
    expect(classifyFrame(buildVrrpFrame({...p(), dst: '192.0.2.2'}), uctx)).toMatchObject({kind: 'advert', priority: 200, srcIp: '192.0.2.9'})
    // unicast crosses routers: keepalived skips the TTL check
    expect(classifyFrame(buildVrrpFrame({...p(62), dst: '192.0.2.2'}), uctx)).toMatchObject({kind: 'advert'})
    expect(classifyFrame(buildVrrpFrame({...p(), dstMac: undefined}), uctx)).toEqual({kind: 'drop', reason: 'multicast-on-unicast', instance: 'VI_1'})
    expect(classifyFrame(buildVrrpFrame({...p(), dst: '192.0.2.7'}), uctx)).toEqual({kind: 'drop', reason: 'not-for-us', instance: 'VI_1'})
    // multicast keeps the TTL rule
    expect(classifyFrame(buildVrrpFrame({...p(64), dstMac: undefined}), ctx)).toMatchObject({kind: 'drop', reason: 'bad-ttl'})
  })
})
