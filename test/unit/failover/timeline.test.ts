import {describe, expect, it} from 'vitest'
import {expectTakeover} from '../../../src/failover/expectations.js'
import {renderReportHtml, renderTimelineSvg} from '../../../src/failover/report-html.js'
import {measureRound, type TimelineEvent} from '../../../src/failover/timeline.js'
import {judgeRound, stats} from '../../../src/failover/verdict.js'

const ctx = {vrid: 51, vips: ['10.0.0.100'], originalMaster: 'lb1', initialHolders: {'10.0.0.100': ['lb1']}}

/** lb1 master at priority 150 advertising every second, killed at t=10000; lb2 (100) takes over. */
function killRound(): TimelineEvent[] {
  const evs: TimelineEvent[] = []
  for (let t = 7000; t <= 10000; t += 1000) evs.push({t, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 150})
  evs.push({t: 10050, kind: 'fault', node: 'lb1', fault: 'kill', phase: 'inject'})
  evs.push({t: 13610, kind: 'advert', node: 'lb2', src: '10.0.0.12', vrid: 51, priority: 100})
  evs.push({t: 13612, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true})
  // killed with SIGKILL, lb1 never removes its address: the test rig restores it
  evs.push({t: 13650, kind: 'vip', node: 'lb1', address: '10.0.0.100', present: false})
  for (let t = 9800; t <= 14000; t += 50) evs.push({t, kind: 'probe', ok: t < 10050 || t > 13620})
  return evs
}

describe('failover measurement', () => {
  it('expects kill takeover inside Master_Down_Interval and stop within Skew_Time', () => {
    const kill = expectTakeover('kill', {version: 2, advertInt: 1, backupPriority: 100})
    expect(kill.nominalMs).toBeCloseTo(3000 + (156 * 1000) / 256, 3)
    expect(kill.maxMs).toBeCloseTo(kill.nominalMs + 300, 3)
    expect(kill.minMs).toBeGreaterThanOrEqual(2000 - 100)
    const stop = expectTakeover('stop', {version: 2, advertInt: 1, backupPriority: 100})
    expect(stop.maxMs).toBeCloseTo((156 * 1000) / 256 + 300, 3)
    const v3 = expectTakeover('kill', {version: 3, advertInt: 0.05, backupPriority: 100})
    expect(v3.nominalMs).toBe(150 + Math.floor((156 * 5) / 256) * 10)
  })

  it('measures takeover, the no-owner gap and client downtime from the events', () => {
    const m = measureRound(killRound(), ctx)
    expect(m.newMaster).toBe('lb2')
    expect(m.firstAdvertMs).toBe(3560)
    // the protocol's own gap: lb1's last advert (t=10000) -> lb2's first
    expect(m.gapMs).toBe(3610)
    expect(m.resigned).toBe(false)
    expect(m.vipMovedMs).toBe(3562)
    expect(m.dualHoldMs).toBe(38)
    expect(m.noOwnerMs).toBe(0)
    expect(m.probes.failed).toBeGreaterThan(60)
    expect(m.probes.downtimeMs).toBe(13650 - 10000)
    expect(m.finalHolders).toEqual({'10.0.0.100': ['lb2']})
    const v = judgeRound(m, expectTakeover('kill', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'kill', preempt: true})
    expect(v.checks.find((c) => c.name === 'takeover time')?.ok).toBe(true)
  })

  it('flags a takeover slower than the protocol allows and names known causes', () => {
    const evs = killRound().map((e) => ((e.kind === 'vip' || e.kind === 'advert') && e.node === 'lb2' ? {...e, t: 15000} : e))
    const m = measureRound(evs, ctx)
    const v = judgeRound(m, expectTakeover('kill', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'kill', preempt: true, knownCauses: ['x']})
    expect(v.ok).toBe(false)
    expect(v.checks.find((c) => c.name === 'takeover time')?.detail).toMatch(/SLOWER/)
    expect(v.checks.at(-1)).toEqual({name: 'cause', ok: false, detail: 'x'})
  })

  it('judges preempt and nopreempt after restore', () => {
    const evs = [...killRound(), {t: 20000, kind: 'fault', node: 'lb1', fault: 'kill', phase: 'restore'} as TimelineEvent]
    const back = [...evs, {t: 24000, kind: 'vip', node: 'lb1', address: '10.0.0.100', present: true} as TimelineEvent, {t: 24010, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: false} as TimelineEvent]
    const exp = expectTakeover('kill', {version: 2, advertInt: 1, backupPriority: 100})
    const mBack = measureRound(back, ctx)
    // back once lb1 holds it and lb2 has let go
    expect(mBack.returnedMs).toBe(4010)
    expect(judgeRound(mBack, exp, {fault: 'kill', preempt: true}).ok).toBe(true)
    expect(judgeRound(mBack, exp, {fault: 'kill', preempt: false}).ok).toBe(false)
    const mStay = measureRound(evs, ctx)
    expect(judgeRound(mStay, exp, {fault: 'kill', preempt: false}).ok).toBe(true)
    expect(judgeRound(mStay, exp, {fault: 'kill', preempt: true}).ok).toBe(false)
  })

  it('counts the VIP as returned when the original master kept it all along (a downed link) and the other node lets go', () => {
    const evs: TimelineEvent[] = [
      {t: 0, kind: 'fault', node: 'lb1', fault: 'link', phase: 'inject'},
      {t: 3600, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true},
      {t: 9000, kind: 'fault', node: 'lb1', fault: 'link', phase: 'restore'},
      {t: 9200, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: false},
    ]
    const m = measureRound(evs, ctx)
    expect(m.returnedMs).toBe(200)
    expect(judgeRound(m, expectTakeover('link', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'link', preempt: true}).ok).toBe(true)
  })

  it('reports a blocked master as split brain with its duration', () => {
    const evs: TimelineEvent[] = [
      {t: 0, kind: 'fault', node: 'lb1', fault: 'block', phase: 'inject'},
      {t: 3500, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true},
      {t: 8000, kind: 'fault', node: 'lb1', fault: 'block', phase: 'restore'},
      {t: 8100, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: false},
    ]
    const m = measureRound(evs, ctx)
    expect(m.dualHold).toEqual([{from: 3500, to: 8100}])
    const v = judgeRound(m, expectTakeover('block', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'block', preempt: true})
    expect(v.checks[0]).toMatchObject({name: 'split brain detected', ok: true})
  })

  it('summarises rounds and renders a timeline picture', () => {
    expect(stats([3, undefined, 1, 2])).toEqual({min: 1, median: 2, max: 3, n: 3})
    expect(stats([])).toBeUndefined()
    const svg = renderTimelineSvg({index: 1, fault: 'kill', nodes: ['lb1', 'lb2'], events: killRound(), initialHolders: ctx.initialHolders, rows: [], ok: true})
    expect(svg).toMatch(/^<svg/)
    expect(svg).toContain('fault: kill (lb1)')
    expect((svg.match(/<title>lb\d holds the VIP/g) ?? []).length).toBe(2)
    const html = renderReportHtml('t <x>', [['a', 'b']], [{index: 1, fault: 'kill', nodes: ['lb1'], events: [], initialHolders: {}, rows: [['k', 'v']], ok: false}])
    expect(html).toContain('t &lt;x&gt;')
    expect(html).toContain('FAIL')
  })
})
