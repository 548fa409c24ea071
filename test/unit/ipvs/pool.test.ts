import {describe, expect, it} from 'vitest'
import type {RealServer, VirtualServer} from '../../../src/keepalived/model.js'
import {PersistenceTable} from '../../../src/engine/ipvs/persistence.js'
import {VirtualServerPool} from '../../../src/engine/ipvs/pool.js'

const rs = (n: number, extra: Partial<RealServer> = {}): RealServer => ({ip: `10.0.0.${n}`, port: 80, checkers: [], ...extra})
const vs = (extra: Partial<VirtualServer> = {}): VirtualServer => ({
  address: '192.0.2.10',
  port: 80,
  lbAlgo: 'rr',
  realServers: [rs(1), rs(2), rs(3)],
  ...extra,
})
const c = (i: number) => ({ip: `198.51.100.${i}`, port: 5000 + i})
const inTable = (p: VirtualServerPool) => p.tableEntries().map((d) => `${d.ip.split('.')[3]}w${d.weight}`)

describe('VirtualServerPool', () => {
  it('removes a failed server, or keeps it at weight 0 with inhibit_on_failure', () => {
    const p = new VirtualServerPool(vs({realServers: [rs(1), rs(2, {inhibitOnFailure: true}), rs(3)]}))
    expect(inTable(p)).toEqual(['1w1', '2w1', '3w1'])
    p.setHealth('10.0.0.1:80', false)
    p.setHealth('10.0.0.2:80', false)
    expect(inTable(p)).toEqual(['2w0', '3w1'])
    expect([0, 1, 2].map((i) => p.pick(c(i), 0)?.ip)).toEqual(['10.0.0.3', '10.0.0.3', '10.0.0.3'])
  })

  it('starts with every server down under alpha', () => {
    const p = new VirtualServerPool(vs({alpha: true}))
    expect(inTable(p)).toEqual([])
    expect(p.isQuorumUp()).toBe(false)
  })

  it('puts the sorry server in place of all real servers when quorum is lost, with hysteresis', () => {
    // weights 1,1,2: quorum 3 with hysteresis 1 is lost below 2 and regained at 4
    const p = new VirtualServerPool(
      vs({quorum: 3, hysteresis: 1, realServers: [rs(1), rs(2), rs(3, {weight: 2})], sorryServer: {ip: '10.0.0.9', port: 8080}}),
    )
    expect(p.setHealth('10.0.0.1:80', false).filter((e) => e.type === 'quorum')).toEqual([])
    expect(p.setHealth('10.0.0.2:80', false).filter((e) => e.type === 'quorum')).toEqual([])
    expect(p.isQuorumUp()).toBe(true) // live 2 >= quorum - hysteresis
    const ev = p.setHealth('10.0.0.3:80', false)
    expect(ev[0]).toEqual({type: 'quorum', up: false, liveWeight: 0})
    expect(inTable(p)).toEqual(['9w1'])
    expect(p.pick(c(1), 0)?.port).toBe(8080)
    p.setHealth('10.0.0.3:80', true)
    p.setHealth('10.0.0.1:80', true) // live 3 < quorum + hysteresis: still down
    expect(p.isQuorumUp()).toBe(false)
    expect(inTable(p)).toEqual(['9w1'])
    p.setHealth('10.0.0.2:80', true)
    expect(p.isQuorumUp()).toBe(true)
    expect(inTable(p)).toEqual(['1w1', '2w1', '3w2'])
  })

  it('uses misc_dynamic weights for scheduling and quorum', () => {
    const p = new VirtualServerPool(vs({lbAlgo: 'wrr', quorum: 5}))
    p.setHealth('10.0.0.1:80', true, 8)
    expect(inTable(p)).toEqual(['1w8', '2w1', '3w1'])
    expect(p.liveWeight()).toBe(10)
  })

  it('reload keeps counters of servers that stay and drains removed ones', () => {
    const p = new VirtualServerPool(vs())
    const d1 = p.pick(c(1), 0)!
    p.established(d1)
    expect(d1.ip).toBe('10.0.0.1')
    p.reload(vs({realServers: [rs(2), rs(3), rs(4)]}))
    expect(inTable(p)).toEqual(['2w1', '3w1', '4w1'])
    const gone = p.get('10.0.0.1:80')!
    expect(gone.configured).toBe(false)
    expect(gone.activeConns).toBe(1)
    p.closed(gone, c(1), true, 10, 20, 1)
    expect(p.get('10.0.0.1:80')).toBeUndefined()
  })

  it('weight 0 drains: no new connections, existing ones stay counted', () => {
    const p = new VirtualServerPool(vs({lbAlgo: 'wrr'}))
    const first = p.pick(c(1), 0)!
    p.established(first)
    p.reload(vs({lbAlgo: 'wrr', realServers: [rs(1, {weight: 0}), rs(2), rs(3)]}))
    const picks = Array.from({length: 10}, (_, i) => p.pick(c(i), 0)!.ip)
    expect(picks).not.toContain('10.0.0.1')
    expect(p.get('10.0.0.1:80')!.activeConns).toBe(1)
  })

  it('persistence_timeout keeps a client on its server until the template expires', () => {
    const p = new VirtualServerPool(vs({persistenceTimeout: 30}))
    const a = p.pick(c(1), 0)!
    for (let i = 0; i < 5; i++) expect(p.pick(c(1), 1000 * i)!.key).toBe(a.key)
    expect(p.pick(c(2), 5000)!.key).not.toBe(a.key)
    // 30 s after the last touch the client is scheduled afresh (rr moves on)
    expect(p.pick(c(1), 4000 + 30_001)!.key).not.toBe(a.key)
  })

  it('a persistent client whose server failed is rescheduled', () => {
    const p = new VirtualServerPool(vs({persistenceTimeout: 300}))
    const a = p.pick(c(1), 0)!
    p.setHealth(a.key, false)
    expect(p.pick(c(1), 1)!.key).not.toBe(a.key)
  })
})

describe('PersistenceTable', () => {
  it('masks the client by persistence_granularity', () => {
    const t = new PersistenceTable(1000, '255.255.255.0')
    expect(t.clientKey('198.51.100.77')).toBe('198.51.100.0')
    expect(t.clientKey('::ffff:198.51.100.77')).toBe('198.51.100.0')
    t.touch('198.51.100.1', 'x', 0)
    expect(t.lookup('198.51.100.200', 999)).toBe('x')
    expect(t.lookup('198.51.100.200', 1000)).toBeUndefined()
  })
})

describe('IPVS connection accounting', () => {
  it('closed connections linger as inactive, so lc spreads short connections', () => {
    const p = new VirtualServerPool(vs({lbAlgo: 'lc'}))
    const got: string[] = []
    for (let i = 0; i < 6; i++) {
      const d = p.pick(c(i), i)!
      p.established(d)
      got.push(d.ip.split('.')[3])
      p.closed(d, c(i), true, 1, 1, i, 120_000)
    }
    expect(got.join('')).toBe('123123')
    expect(p.tableEntries().map((d) => d.inactiveConns)).toEqual([2, 2, 2])
    p.expire(120_000 + 10)
    expect(p.tableEntries().map((d) => d.inactiveConns)).toEqual([0, 0, 0])
  })
})

describe('connect retries', () => {
  it('repick skips servers already tried; the sorry server is the last resort', () => {
    const p = new VirtualServerPool(vs({sorryServer: {ip: '10.0.0.9', port: 80}}))
    const first = p.pick(c(1), 0)!
    p.connectFailed(first)
    const tried = new Set([first.key])
    const second = p.repick(c(1), tried, 0)!
    expect(second.key).not.toBe(first.key)
    p.connectFailed(second)
    tried.add(second.key)
    const third = p.repick(c(1), tried, 0)!
    tried.add(third.key)
    p.connectFailed(third)
    expect(p.repick(c(1), tried, 0)).toBeUndefined()
    expect(p.sorryFallback(tried)?.ip).toBe('10.0.0.9')
    expect(p.tableEntries().every((d) => d.inactiveConns === 0)).toBe(true)
  })
})
