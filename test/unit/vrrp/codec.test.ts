import {describe, expect, it} from 'vitest'
import {parseIp} from '../../../src/vrrp/address.js'
import {foldChecksum, onesSum, pseudoHeaderSum} from '../../../src/vrrp/checksum.js'
import {authPassword, decodeVrrp, encodeVrrp, intervalCs, makeAdvertisement} from '../../../src/vrrp/codec.js'
import type {VrrpIpContext} from '../../../src/vrrp/types.js'

function ctx(src: string, dst: string, ttl = 255): VrrpIpContext {
  const s = parseIp(src)
  return {family: s.family, srcBytes: s.bytes, dstBytes: parseIp(dst).bytes, ttl}
}

const v4 = ctx('10.0.0.1', '224.0.0.18')
const v6 = ctx('fe80::1', 'ff02::12')

describe('VRRP codec', () => {
  it('encodes and decodes v2 with simple auth, every field', () => {
    const p = makeAdvertisement({version: 2, vrid: 42, priority: 150, intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'], auth: {type: 'simple', pass: 'secret12345'}})
    const bytes = encodeVrrp(p)
    expect(bytes.length).toBe(8 + 8 + 8)
    expect(Array.from(bytes.subarray(0, 6))).toEqual([0x21, 42, 150, 2, 1, 1])
    const r = decodeVrrp(bytes, 0, bytes.length, v4)
    expect(r.kind).toBe('vrrp')
    expect(r.checksum).toBe('ok')
    expect(r.issues).toEqual([])
    expect(r.packet).toMatchObject({version: 2, type: 1, vrid: 42, priority: 150, addrCount: 2, authType: 1, advertIntSec: 1, addresses: ['10.0.0.100', '10.0.0.101']})
    expect(authPassword(r.packet!)).toBe('secret12')
    expect(intervalCs(r.packet!)).toBe(100)
    expect(Buffer.from(encodeVrrp(r.packet!))).toEqual(Buffer.from(bytes))
  })

  it('v3 over IPv4 and IPv6 checksums include the pseudo-header', () => {
    for (const [c, addrs] of [
      [v4, ['10.0.0.100']],
      [v6, ['fe80::100', 'fd00::100']],
    ] as const) {
      const p = makeAdvertisement({version: 3, vrid: 7, priority: 100, intervalCs: 5, addresses: [...addrs]})
      const bytes = encodeVrrp(p, c)
      const sum = foldChecksum(onesSum(bytes) + pseudoHeaderSum(c.family, c.srcBytes, c.dstBytes, bytes.length, 112))
      expect(sum).toBe(0)
      const r = decodeVrrp(bytes, 0, bytes.length, c)
      expect(r.kind).toBe('vrrp')
      expect(r.checksum).toBe('ok')
      expect(r.packet!.maxAdvertIntCs).toBe(5)
      expect(r.packet!.addresses).toEqual(addrs)
      expect(Buffer.from(encodeVrrp(r.packet!, c))).toEqual(Buffer.from(bytes))
    }
    expect(() => encodeVrrp(makeAdvertisement({version: 3, vrid: 1, priority: 1, intervalCs: 100, addresses: ['10.0.0.1']}))).toThrow(/pseudo-header/)
  })

  it('accepts the v3 checksum computed as v2 with a note, rejects a wrong one', () => {
    const p = makeAdvertisement({version: 3, vrid: 7, priority: 100, intervalCs: 100, addresses: ['10.0.0.100']})
    const asV2 = encodeVrrp({...p, checksum: foldChecksum(onesSum(encodeVrrp({...p, checksum: 0}, v4)))}, v4)
    const r = decodeVrrp(asV2, 0, asV2.length, v4)
    expect(r.kind).toBe('vrrp')
    expect(r.checksum).toBe('as-v2')
    expect(r.issues.map((i) => [i.code, i.severity])).toEqual([['checksum-as-v2', 'info']])
    const bad = encodeVrrp({...p, checksum: 0x1234}, v4)
    const rb = decodeVrrp(bad, 0, bad.length, v4)
    expect(rb.checksum).toBe('bad')
    expect(rb.issues.map((i) => i.code)).toEqual(['bad-checksum'])
    expect(Buffer.from(encodeVrrp(rb.packet!, v4))).toEqual(Buffer.from(bad))
  })

  it('flags TTL, type, version, truncation, address count, auth in v3, CARP', () => {
    const p2 = encodeVrrp(makeAdvertisement({version: 2, vrid: 1, priority: 100, intervalCs: 100, addresses: ['10.0.0.1']}))
    expect(decodeVrrp(p2, 0, p2.length, ctx('10.0.0.1', '224.0.0.18', 64)).issues.map((i) => i.code)).toEqual(['bad-ttl'])
    const t = decodeVrrp(p2, 0, 10, v4, p2.length)
    expect(t.kind).toBe('truncated')
    expect(t.packet!.vrid).toBe(1)
    expect(decodeVrrp(p2, 0, 5, v4, p2.length).kind).toBe('truncated')
    expect(decodeVrrp(new Uint8Array(0), 0, 0, v4).kind).toBe('truncated')
    const v4bytes = Uint8Array.from(p2)
    v4bytes[0] = 0x41
    expect(decodeVrrp(v4bytes).kind).toBe('unknown-version')
    const ty = Uint8Array.from(p2)
    ty[0] = 0x22
    expect(decodeVrrp(ty).issues.map((i) => i.code)).toContain('unknown-type')
    const cnt = Uint8Array.from(p2)
    cnt[3] = 3
    const rc = decodeVrrp(cnt)
    expect(rc.kind).toBe('malformed')
    expect(rc.issues.map((i) => i.code)).toContain('addr-count-mismatch')
    // v3 followed by 8 bytes of v2-style auth data
    const p3 = makeAdvertisement({version: 3, vrid: 2, priority: 100, intervalCs: 100, addresses: ['10.0.0.1']})
    const withAuth = encodeVrrp({...p3, trailer: new TextEncoder().encode('pass1234')}, v4)
    const ra = decodeVrrp(withAuth, 0, withAuth.length, v4)
    expect(ra.kind).toBe('vrrp')
    expect(ra.checksum).toBe('ok')
    expect(ra.issues.map((i) => i.code)).toEqual(['auth-in-v3'])
    expect(Buffer.from(encodeVrrp(ra.packet!, v4))).toEqual(Buffer.from(withAuth))
    // CARP: version 2, type 1, 36 bytes, authlen 7
    const carp = new Uint8Array(36)
    carp.set([0x21, 5, 0, 7, 0, 1])
    expect(decodeVrrp(carp).kind).toBe('carp')
  })

  it('decodes v2 auth types and refuses fields that do not fit', () => {
    const ah = encodeVrrp(makeAdvertisement({version: 2, vrid: 3, priority: 1, intervalCs: 300, addresses: [], auth: {type: 'ah'}}))
    expect(decodeVrrp(ah).packet!.authType).toBe(2)
    const odd = Uint8Array.from(ah)
    odd[4] = 9
    odd[6] = 0
    odd[7] = 0
    const c = foldChecksum(onesSum(odd))
    odd[6] = c >> 8
    odd[7] = c & 0xff
    expect(decodeVrrp(odd).issues.map((i) => i.code)).toEqual(['unknown-auth-type'])
    expect(() => makeAdvertisement({version: 2, vrid: 1, priority: 1, intervalCs: 50, addresses: []})).toThrow(/whole seconds/)
    expect(() => encodeVrrp({...makeAdvertisement({version: 2, vrid: 1, priority: 1, intervalCs: 100, addresses: []}), vrid: 256})).toThrow(/vrid/)
    expect(() => encodeVrrp(makeAdvertisement({version: 2, vrid: 1, priority: 1, intervalCs: 100, addresses: ['10.0.0.1', 'fd00::1']}))).toThrow(/IPv6/)
  })
})
