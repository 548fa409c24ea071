import {describe, expect, it} from 'vitest'
import {foldAddress, hash32} from '../../../src/engine/ipvs/schedulers/addr.js'
import {buildSourceHashTable, sourceHashBucket} from '../../../src/engine/ipvs/schedulers/hashing.js'
import {buildMaglevTable, hsiphashU32, MH_TABLE_SIZE} from '../../../src/engine/ipvs/schedulers/maglev.js'
import {createScheduler, type SchedDest, type SchedulerName} from '../../../src/engine/ipvs/schedulers/index.js'

const dest = (n: number, weight = 1, active = 0, inactive = 0): SchedDest => ({
  key: `10.0.0.${n}:80`,
  ip: `10.0.0.${n}`,
  port: 80,
  weight,
  lastWeight: weight,
  activeConns: active,
  inactiveConns: inactive,
})
const vip = {ip: '192.0.2.10', port: 80}
const client = (i: number) => ({ip: `198.51.${(i >> 8) & 255}.${i & 255}`, port: 40000 + (i % 20000)})

function picks(name: SchedulerName, dests: SchedDest[], count: number): string[] {
  const s = createScheduler(name)
  s.destsChanged(dests)
  return Array.from({length: count}, (_, i) => s.schedule(dests, client(i), vip)?.ip.split('.')[3] ?? '-')
}

describe('rr', () => {
  it('cycles in list order and skips weight 0 (drain)', () => {
    expect(picks('rr', [dest(1), dest(2), dest(3)], 6).join('')).toBe('123123')
    expect(picks('rr', [dest(1), dest(2, 0), dest(3)], 4).join('')).toBe('1313')
    expect(picks('rr', [dest(1, 0)], 1)).toEqual(['-'])
  })
})

describe('wrr', () => {
  it('gives the IPVS interleaving for weights 4,3,2', () => {
    expect(picks('wrr', [dest(1, 4), dest(2, 3), dest(3, 2)], 18).join('')).toBe('112123123' + '112123123')
  })
  it('steps by the gcd of the weights', () => {
    // weights 4,2: gcd 2, mw = 4 - 1 = 3 -> cw 3: A; cw 1: A B
    expect(picks('wrr', [dest(1, 4), dest(2, 2)], 6).join('')).toBe('112112')
  })
  it('never picks weight 0 and returns nothing when all weights are 0', () => {
    expect(picks('wrr', [dest(1, 0), dest(2, 2)], 3).join('')).toBe('222')
    expect(picks('wrr', [dest(1, 0)], 1)).toEqual(['-'])
  })
})

describe('least-connection family', () => {
  it('lc: active counts 256x an inactive one; ties go to the first in list', () => {
    const s = createScheduler('lc')
    expect(s.schedule([dest(1, 1, 1, 0), dest(2, 1, 0, 255)], client(0), vip)?.ip).toBe('10.0.0.2')
    expect(s.schedule([dest(1, 1, 1, 0), dest(2, 1, 0, 256)], client(0), vip)?.ip).toBe('10.0.0.1')
    expect(s.schedule([dest(1, 0, 0, 0), dest(2, 5, 9, 0)], client(0), vip)?.ip).toBe('10.0.0.2')
  })
  it('wlc: overhead divided by weight', () => {
    const s = createScheduler('wlc')
    // 10 active / w3 (3.33) vs 4 active / w1 (4) -> first
    expect(s.schedule([dest(1, 3, 10), dest(2, 1, 4)], client(0), vip)?.ip).toBe('10.0.0.1')
    expect(s.schedule([dest(1, 3, 13), dest(2, 1, 4)], client(0), vip)?.ip).toBe('10.0.0.2')
  })
  it('sed: (active+1)/weight, so an idle heavy server wins over an idle light one', () => {
    const s = createScheduler('sed')
    expect(s.schedule([dest(1, 1, 0), dest(2, 3, 1)], client(0), vip)?.ip).toBe('10.0.0.2')
  })
  it('nq: an idle server is taken at once, else as sed', () => {
    const s = createScheduler('nq')
    expect(s.schedule([dest(1, 3, 1), dest(2, 1, 0)], client(0), vip)?.ip).toBe('10.0.0.2')
    expect(s.schedule([dest(1, 1, 1), dest(2, 3, 1)], client(0), vip)?.ip).toBe('10.0.0.2')
  })
  it('simulated load: wlc spreads concurrent connections by weight', () => {
    const dests = [dest(1, 1), dest(2, 2), dest(3, 3)]
    const s = createScheduler('wlc')
    for (let i = 0; i < 600; i++) s.schedule(dests, client(i), vip)!.activeConns++
    expect(dests.map((d) => d.activeConns)).toEqual([100, 200, 300])
  })
})

describe('sh', () => {
  it('hashes the client address with hash_32 over 256 buckets', () => {
    expect(foldAddress('10.0.0.1')).toBe(0x0a000001)
    expect(foldAddress('::ffff:10.0.0.1')).toBe(0x0a000001)
    expect(hash32(1, 8)).toBe(0x61)
    expect(sourceHashBucket('0.0.0.1')).toBe(0x61)
  })
  it('fills buckets with weight-long runs and keeps a client on one server', () => {
    const table = buildSourceHashTable([dest(1, 2), dest(2, 1)])
    expect(table.slice(0, 6).map((k) => k?.split(':')[0].split('.')[3])).toEqual(['1', '1', '2', '1', '1', '2'])
    const dests = [dest(1), dest(2), dest(3)]
    const s = createScheduler('sh')
    s.destsChanged(dests)
    const a = s.schedule(dests, {ip: '198.51.100.7', port: 1}, vip)
    for (let port = 2; port < 50; port++) expect(s.schedule(dests, {ip: '198.51.100.7', port}, vip)).toBe(a)
  })
  it('a drained server keeps its buckets but gets nothing new (no sh-fallback)', () => {
    const dests = [dest(1), dest(2, 0)]
    const got = picks('sh', dests, 512)
    expect(got.filter((x) => x === '1').length + got.filter((x) => x === '-').length).toBe(512)
    expect(got).toContain('-')
  })
})

describe('mh', () => {
  it('hsiphash matches the kernel self-test vector (64-bit, 4-byte input)', () => {
    // lib/test_siphash.c: key 00..0f, input bytes 00 01 02 03 -> test_vectors_hsiphash[4]
    expect(hsiphashU32(0x03020100, [0x0706050403020100n, 0x0f0e0d0c0b0a0908n])).toBe(0x88d38328)
  })
  it('fills the 4093 slots in proportion to weight', () => {
    const table = buildMaglevTable([dest(1, 1), dest(2, 2), dest(3, 1)])
    const count = (n: number) => table.filter((k) => k === `10.0.0.${n}:80`).length
    expect(count(1) + count(2) + count(3)).toBe(MH_TABLE_SIZE)
    expect(Math.abs(count(2) - 2 * count(1))).toBeLessThan(4)
    expect(Math.abs(count(1) - count(3))).toBeLessThan(3)
  })
  it('is consistent: removing one server moves only its clients', () => {
    const all = [dest(1), dest(2), dest(3), dest(4)]
    const before = picks('mh', all, 2000)
    const after = picks('mh', [dest(1), dest(2), dest(4)], 2000)
    let moved = 0
    for (let i = 0; i < before.length; i++) if (before[i] !== '3' && before[i] !== after[i]) moved++
    expect(moved / before.length).toBeLessThan(0.03)
  })
  it('a drained server keeps its slots (last_weight) and those clients get no server', () => {
    const drained = {...dest(2), weight: 0}
    const got = picks('mh', [dest(1), drained], 1000)
    expect(got).toContain('-')
    expect(got).not.toContain('2')
  })
})

describe('dh', () => {
  it('maps one service address to one server', () => {
    expect(new Set(picks('dh', [dest(1), dest(2), dest(3)], 100)).size).toBe(1)
  })
})
