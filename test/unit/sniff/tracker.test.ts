import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import type {Finding} from '../../../src/sniff/findings.js'
import {recordMs} from '../../../src/sniff/time.js'
import {masterDownMs, SniffTracker} from '../../../src/sniff/tracker.js'
import {makeAdvertisement, type AdvertisementInput} from '../../../src/vrrp/codec.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const T0 = 1_700_000_000_000

function advert(src: string, o: Partial<AdvertisementInput> = {}, ttl?: number) {
  const a: AdvertisementInput = {version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.201.0.100'], auth: {type: 'simple', pass: 'secret'}, ...o}
  if (a.version === 3) delete a.auth
  return parseFrame(buildVrrpFrame({packet: makeAdvertisement(a), src, ttl}), LinkType.ETHERNET)
}

function run(events: Array<[number, ReturnType<typeof advert>]>) {
  const log: Array<[string, Finding]> = []
  const t = new SniffTracker({onFinding: (e, f) => log.push([e, f])})
  events.sort((a, b) => a[0] - b[0]).forEach(([ms, f], i) => t.observe(i + 1, T0 + ms, 'eth0', f))
  return {t, log, codes: log.map(([e, f]) => `${e}:${f.code}`)}
}

describe('sniff tracker', () => {
  it('computes Master_Down_Interval as the RFCs do', () => {
    expect(masterDownMs(2, 100, 100)).toBeCloseTo(3000 + (156 * 1000) / 256)
    expect(masterDownMs(3, 5, 100)).toBeCloseTo(150 + (156 * 50) / 256)
  })

  it('finds nothing wrong in the reference capture', async () => {
    const t = new SniffTracker()
    let i = 0
    await readPcapFile(REFERENCE_PCAP, (r) => t.observe(++i, recordMs(r.tsSec, r.tsNsec), 'file', parseFrame(r.data, r.linkType)))
    expect(t.findings().filter((f) => f.severity !== 'info')).toEqual([])
    expect(t.hasErrors()).toBe(false)
    const v = t.vrids()
    expect(v.map((x) => `${x.family}/${x.vrid}`)).toEqual(['4/42', '4/43', '4/44', '6/45', '6/46'])
    expect(v[0]).toMatchObject({master: '10.0.0.97', priority: 197, intervalCs: 1000, authType: 'simple', masterChanges: 6})
    expect(v[0].routers).toHaveLength(7)
  })

  it('reports split brain within 2 x Master_Down_Interval and clears it when one side stops', () => {
    const ev: Array<[number, ReturnType<typeof advert>]> = []
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    for (let s = 0; s < 20; s++) ev.push([s * 1000, a])
    // b stops hearing a: becomes master after its Master_Down_Interval, both advertise from 5 s to 12 s
    for (let s = 5; s <= 12; s++) ev.push([s * 1000 + 300, b])
    const {log, codes} = run(ev)
    const raised = log.find(([e, f]) => e === 'raised' && f.code === 'split-brain')![1]
    expect(Date.parse(raised.first) - (T0 + 5300)).toBeLessThan(2 * masterDownMs(2, 100, 100))
    expect(raised.routers).toEqual(['10.201.0.1', '10.201.0.2'])
    expect(raised.severity).toBe('error')
    expect(codes).toContain('cleared:split-brain')
    expect(codes).not.toContain('raised:flapping')
  })

  it('reports a silent master, then the takeover with the measured gap', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    const ev: Array<[number, ReturnType<typeof advert>]> = [[0, a], [1000, a], [2000, a]]
    const takeoverAt = 2000 + masterDownMs(2, 100, 100)
    for (let i = 0; i < 3; i++) ev.push([takeoverAt + i * 1000, b])
    const {log, codes} = run(ev)
    expect(codes).toEqual(['raised:master-silent', 'raised:takeover', 'cleared:master-silent'])
    const silent = log[0][1]
    expect(silent.message).toContain('a backup should take over')
    const take = log[1][1]
    expect(take.measuredMs).toBeCloseTo(takeoverAt - 2000, 0)
    expect(take.routers).toEqual(['10.201.0.1', '10.201.0.2'])
  })

  it('reports a resigning master and who took over with the gap', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const a0 = advert('10.201.0.1', {priority: 0})
    const b = advert('10.201.0.2', {priority: 100})
    const {log, codes} = run([[0, a], [1000, a], [1500, a0], [2110, b], [3110, b]])
    expect(codes).toEqual(['raised:master-resigned', 'raised:takeover'])
    expect(log[1][1].measuredMs).toBeCloseTo(610, 0)
    expect(log[1][1].message).toContain('resigned')
  })

  it('reports config mismatches, collisions, priority 255, equal priorities, bad TTL', () => {
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {intervalCs: 300, priority: 90})]]).log.map(([, f]) => [f.code, f.severity])).toEqual([['interval-mismatch', 'error']])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {auth: {type: 'simple', pass: 'other'}, priority: 90})]]).codes).toEqual(['raised:auth-mismatch'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {version: 3, priority: 90})]]).codes).toEqual(['raised:version-mismatch'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {addresses: ['10.9.9.9'], priority: 90})]]).codes).toEqual(['raised:vrid-collision'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {addresses: ['10.201.0.100', '10.201.0.101'], priority: 90})]]).codes).toEqual(['raised:vip-mismatch'])
    const eq = run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2')]])
    expect(eq.codes).toEqual(['raised:equal-priority'])
    expect(eq.log[0][1].message).toContain('10.201.0.2 wins')
    expect(run([[0, advert('10.201.0.1', {priority: 255})]]).codes).toEqual(['raised:priority-255'])
    const ttl = run([[0, advert('10.201.0.1', {}, 64)]])
    expect(ttl.codes).toEqual(['raised:bad-ttl'])
    expect(ttl.t.vrids()).toEqual([])
    expect(ttl.t.hasErrors()).toBe(true)
  })

  it('reports flapping when the master changes more than N times in the window', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    const ev: Array<[number, ReturnType<typeof advert>]> = []
    let t = 0
    for (let i = 0; i < 5; i++) {
      ev.push([t, a], [t + 1000, a])
      t += 1000 + masterDownMs(2, 100, 100) + 100
      ev.push([t, b], [t + 1000, b])
      t += 1000 + masterDownMs(2, 100, 100) + 100
    }
    expect(run(ev).codes).toContain('raised:flapping')
  })
})
