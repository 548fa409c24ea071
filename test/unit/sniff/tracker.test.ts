import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import type {Finding} from '../../../src/sniff/findings.js'
import {recordMs} from '../../../src/sniff/time.js'
import {SniffTracker} from '../../../src/sniff/tracker.js'
import {masterDownMs, skewMs} from '../../../src/vrrp/timers.js'
import {makeAdvertisement, type AdvertisementInput} from '../../../src/vrrp/codec.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const T0 = 1_700_000_000_000

function advert(src: string, o: Partial<AdvertisementInput> = {}, ttl?: number) {
  const a: AdvertisementInput = {version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.201.0.100'], auth: {type: 'simple', pass: 'secret'}, ...o}
  if (a.version === 3) delete a.auth
  return parseFrame(buildVrrpFrame({packet: makeAdvertisement(a), src, ttl}), LinkType.ETHERNET)
}

type Ev = [number, ReturnType<typeof advert>]
const iso = (ms: number) => new Date(T0 + ms).toISOString().replace('Z', '000Z')

function run(events: Ev[]) {
  const log: Array<[string, Finding]> = []
  const t = new SniffTracker({onFinding: (e, f) => log.push([e, f])})
  events.sort((a, b) => a[0] - b[0]).forEach(([ms, f], i) => t.observe(i + 1, T0 + ms, 'eth0', f))
  return {t, log, codes: log.map(([e, f]) => `${e}:${f.code}`)}
}

describe('sniff tracker', () => {
  it('times with the one Master_Down_Interval formula the engine uses (keepalived rounding)', () => {
    expect(masterDownMs(2, 100, 1000)).toBeCloseTo(3000 + (156 * 1000) / 256)
    // v3: skew in whole centiseconds, as keepalived computes it: 3600, not 3609.4
    expect(masterDownMs(3, 100, 1000)).toBe(3600)
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

  it('split brain: from the first overlapping advert to the last advert of the router that stopped, evidence from both', () => {
    const ev: Ev[] = []
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    for (let s = 0; s < 30; s++) ev.push([s * 1000, a])
    // b stops hearing a: master after its Master_Down_Interval, both advertise from 5.3 s to 12.3 s
    for (let s = 5; s <= 12; s++) ev.push([s * 1000 + 300, b])
    const {t, log, codes} = run(ev)
    const raised = log.find(([e, f]) => e === 'raised' && f.code === 'split-brain')![1]
    expect(raised.first).toBe(iso(5300))
    expect(raised.routers).toEqual(['10.201.0.1', '10.201.0.2'])
    expect(raised.severity).toBe('error')
    const done = t.findings().find((f) => f.code === 'split-brain')!
    expect(done).toMatchObject({active: false, first: iso(5300), last: iso(12300)})
    const srcOf = new Map(ev.map(([, f], i) => [i + 1, f.ip!.src]))
    expect(new Set(done.evidence.map((i) => srcOf.get(i)))).toEqual(new Set(['10.201.0.1', '10.201.0.2']))
    expect(codes).toContain('cleared:split-brain')
    expect(codes).not.toContain('raised:flapping')
    expect(codes).not.toContain('raised:preempt')
  })

  it('a killed master: takeover by the backup within its own Master_Down_Interval is no error (v2 and v3)', () => {
    for (const version of [2, 3] as const) {
      const a = advert('10.201.0.1', {priority: 150, version})
      const b = advert('10.201.0.2', {priority: 100, version})
      const other = advert('10.201.0.9', {priority: 100, vrid: 52, version, addresses: ['10.201.0.200']})
      const mdi = masterDownMs(version, 100, 1000)
      const ev: Ev[] = [[0, a], [1000, a], [2000, a]]
      // another VRID keeps the clock going every 100 ms
      for (let ms = 0; ms < 12_000; ms += 100) ev.push([ms + 50, other])
      for (let i = 0; i < 5; i++) ev.push([2000 + mdi + i * 1000, b])
      const {t, log, codes} = run(ev)
      expect(codes, `v${version}`).toEqual(['raised:takeover'])
      const take = log[0][1]
      expect(take.severity).toBe('info')
      expect(take.measuredMs).toBeCloseTo(mdi, 3)
      expect(take.routers).toEqual(['10.201.0.1', '10.201.0.2'])
      expect(take.message).toContain(`Master_Down_Interval of 10.201.0.2 at priority 100: ${(mdi / 1000).toFixed(2)} s`)
      expect(t.hasErrors()).toBe(false)
      expect(t.vrids()[0].master).toBe('10.201.0.2')
    }
  })

  it('a silent master is an error only when nobody takes over in time; its text changes once somebody does', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    const other = advert('10.201.0.9', {vrid: 52, addresses: ['10.201.0.200']})
    const ev: Ev[] = [[0, b], [1000, b]]
    // a preempts b (b sends one more advert), then a dies after 3.5 s
    ev.push([1500, a], [1900, b], [2500, a], [3500, a])
    for (let ms = 0; ms < 20_000; ms += 100) ev.push([ms + 50, other])
    ev.push([15_000, b], [16_000, b])
    const {t, log, codes} = run(ev)
    expect(codes).toEqual(['raised:preempt', 'raised:master-silent', 'cleared:master-silent', 'raised:takeover'])
    const pre = log[0][1]
    expect(pre).toMatchObject({first: iso(1500), routers: ['10.201.0.1', '10.201.0.2']})
    expect(pre.message).toContain('10.201.0.1 (priority 150) preempted 10.201.0.2 (priority 100)')
    const silent = log[1][1]
    // the longest Master_Down_Interval of any backup (priority 1) plus one interval
    const deadline = masterDownMs(2, 1, 1000) + 1000
    expect(silent).toMatchObject({severity: 'error', first: iso(3500)})
    expect(Date.parse(silent.last) - (T0 + 3500)).toBeGreaterThan(deadline)
    expect(Date.parse(silent.last) - (T0 + 3500)).toBeLessThan(deadline + 200)
    expect(silent.message).toContain('expected 10.201.0.2 (priority 100) to take over')
    const final = t.findings().find((f) => f.code === 'master-silent')!
    expect(final).toMatchObject({active: false, first: iso(3500), last: iso(15_000), routers: ['10.201.0.1', '10.201.0.2']})
    expect(final.message).not.toContain('expected')
    expect(final.message).toContain('until 10.201.0.2 took over')
    const take = t.findings().find((f) => f.code === 'takeover')!
    expect(take.severity).toBe('warning')
    expect(take.message).toContain('later than the protocol')
    expect(t.hasErrors()).toBe(true)
  })

  it('reports a resigning master and who took over within its Skew_Time', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const a0 = advert('10.201.0.1', {priority: 0})
    const b = advert('10.201.0.2', {priority: 100})
    const {t, log, codes} = run([[0, a], [1000, a], [1500, a0], [2110, b], [3110, b], [4110, b]])
    expect(codes).toEqual(['raised:master-resigned', 'raised:takeover'])
    expect(log[1][1].measuredMs).toBeCloseTo(610, 0)
    expect(log[1][1].message).toContain('after its resign')
    expect(log[1][1].message).toContain(`Skew_Time of 10.201.0.2 at priority 100: ${Math.round(skewMs(2, 100, 1000))} ms`)
    expect(t.hasErrors()).toBe(false)
  })

  it('nobody takes over after a resign: master-silent', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const a0 = advert('10.201.0.1', {priority: 0})
    const other = advert('10.201.0.9', {vrid: 52, addresses: ['10.201.0.200']})
    const ev: Ev[] = [[0, a], [1000, a], [1500, a0]]
    for (let ms = 0; ms < 6000; ms += 100) ev.push([ms + 50, other])
    const {codes, log} = run(ev)
    expect(codes).toEqual(['raised:master-resigned', 'raised:master-silent'])
    expect(log[1][1].message).toContain('resigned')
    expect(log[1][1].first).toBe(iso(1500))
  })

  it('mismatches name the routers of one cluster that disagree; a collision names the clusters', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100, intervalCs: 200})
    const c = advert('10.201.0.3', {priority: 100, addresses: ['10.9.9.9']})
    const {t} = run([[0, a], [100, b], [200, c], [1000, a], [1200, c], [2000, a], [2100, b], [2200, c]])
    const f = t.findings()
    expect(f.map((x) => x.code).sort()).toEqual(['interval-mismatch', 'split-brain', 'vrid-collision'])
    const ivl = f.find((x) => x.code === 'interval-mismatch')!
    expect(ivl.routers).toEqual(['10.201.0.1', '10.201.0.2'])
    expect(ivl.message).toContain('10.201.0.1 every 1 s; 10.201.0.2 every 2 s')
    expect(new Set(ivl.evidence).size).toBe(ivl.evidence.length)
    const coll = f.find((x) => x.code === 'vrid-collision')!
    expect(coll.routers).toEqual(['10.201.0.1', '10.201.0.2', '10.201.0.3'])
    expect(coll.message).toContain('10.201.0.1, 10.201.0.2 (VIPs 10.201.0.100) and 10.201.0.3 (VIPs 10.9.9.9)')
    // the other cluster's master is no rival: the split brain is between a and b only
    expect(f.find((x) => x.code === 'split-brain')!.routers).toEqual(['10.201.0.1', '10.201.0.2'])
  })

  it('reports config mismatches, collisions, priority 255, equal priorities, bad TTL', () => {
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {intervalCs: 300, priority: 90})]]).log.map(([, f]) => [f.code, f.severity])).toEqual([['interval-mismatch', 'error']])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {auth: {type: 'simple', pass: 'other'}, priority: 90})]]).codes).toEqual(['raised:auth-mismatch'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {version: 3, priority: 90})]]).codes).toEqual(['raised:version-mismatch'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {addresses: ['10.9.9.9'], priority: 90})]]).codes).toEqual(['raised:vrid-collision'])
    expect(run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2', {addresses: ['10.201.0.100', '10.201.0.101'], priority: 90})]]).codes).toEqual(['raised:vip-mismatch'])
    const eq = run([[0, advert('10.201.0.1')], [100, advert('10.201.0.2')]])
    expect(eq.codes).toEqual(['raised:equal-priority'])
    expect(eq.log[0][1].message).toContain('master in this capture: 10.201.0.1')
    expect(run([[0, advert('10.201.0.1', {priority: 255})]]).codes).toEqual(['raised:priority-255'])
    const ttl = run([[0, advert('10.201.0.1', {}, 64)]])
    expect(ttl.codes).toEqual(['raised:bad-ttl'])
    expect(ttl.t.vrids()).toEqual([])
    expect(ttl.t.hasErrors()).toBe(true)
  })

  it('frames without a capture time (NaN) count for statistics but make no timeline findings', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    const t = new SniffTracker()
    let i = 0
    for (let k = 0; k < 5; k++) t.observe(++i, Number.NaN, 'eth0', a)
    for (let k = 0; k < 5; k++) t.observe(++i, Number.NaN, 'eth0', b)
    expect(t.findings()).toEqual([])
    expect(t.vrids()[0].adverts).toBe(10)
    expect(t.vrids()[0].first).toBe('unknown')
  })

  it('reports flapping when the master changes more than N times in the window', () => {
    const a = advert('10.201.0.1', {priority: 150})
    const b = advert('10.201.0.2', {priority: 100})
    const ev: Array<[number, ReturnType<typeof advert>]> = []
    let t = 0
    for (let i = 0; i < 5; i++) {
      ev.push([t, a], [t + 1000, a])
      t += 1000 + masterDownMs(2, 100, 1000) + 100
      ev.push([t, b], [t + 1000, b])
      t += 1000 + masterDownMs(2, 100, 1000) + 100
    }
    expect(run(ev).codes).toContain('raised:flapping')
  })
})
