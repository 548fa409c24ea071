import {describe, expect, it} from 'vitest'
import {expectTakeover} from '../../../src/failover/expectations.js'
import {renderReportHtml, renderTimelineSvg} from '../../../src/failover/report-html.js'
import {measureRound, type TimelineEvent} from '../../../src/failover/timeline.js'
import {judgeRound, stats} from '../../../src/failover/verdict.js'
import {returnAfterRestore} from '../../../src/failover/run.js'
import {ctx, handBack, systemdStop} from './fixtures.js'


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
    const m = measureRound(handBack('link', 3600, 9000, 9200), ctx)
    expect(m.returnedMs).toBe(200)
    expect(judgeRound(m, expectTakeover('link', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'link', preempt: true}).ok).toBe(true)
  })

  it('reports a blocked master as split brain with its duration', () => {
    const m = measureRound(handBack('block', 3500, 8000, 8100), ctx)
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

describe('fault time from the wire', () => {
  it('a clean stop under systemd: the command returns after the takeover; the priority 0 advert is the fault', () => {
    const m = measureRound(systemdStop(), ctx)
    expect(m.faultAt).toBe(10040)
    expect(m.faultBasis).toBe('priority 0 advert')
    expect(m.resigned).toBe(true)
    expect(m.firstAdvertMs).toBe(610)
    expect(m.vipMovedMs).toBe(612)
    const v = judgeRound(m, expectTakeover('stop', {version: 2, advertInt: 1, backupPriority: 100}), {fault: 'stop', preempt: true})
    expect(v.checks.find((c) => c.name === 'takeover')?.ok).toBe(true)
    expect(v.checks.find((c) => c.name === 'takeover time')?.ok).toBe(true)
    expect(v.checks.find((c) => c.name === 'resigned')).toBeUndefined()
  })

  it('a SysV stop returns once the signal is sent: the resign right after the return is still the fault; much later it is not', () => {
    // `service keepalived stop` returned at 10005, the daemon resigned at 10040
    const m = measureRound(systemdStop(10005), ctx)
    expect(m).toMatchObject({faultAt: 10040, faultBasis: 'priority 0 advert', firstAdvertMs: 610})
    // a kill has no resign to wait for: a priority 0 long after is no evidence of the fault's time
    const late = systemdStop(10005, 1500).map((e) => (e.kind === 'fault' ? {...e, fault: 'kill' as const} : e))
    expect(measureRound(late, ctx)).toMatchObject({faultAt: 10000, faultBasis: 'command start'})
  })

  it('an advert of the master seen while the command ran moves the fault time after it; none: the command start', () => {
    const base: TimelineEvent[] = [
      {t: 9000, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 150},
      {t: 10000, kind: 'fault', node: 'lb1', fault: 'kill', phase: 'inject', until: 10300},
    ]
    expect(measureRound([...base, {t: 10100, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 150}], ctx)).toMatchObject({faultAt: 10100, faultBasis: 'last advert of the master'})
    // another VRID's advert or one after the command returned says nothing
    expect(measureRound([...base, {t: 10100, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 52, priority: 150}, {t: 10400, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 150}], ctx)).toMatchObject({
      faultAt: 10000,
      faultBasis: 'command start',
    })
  })
})

describe('verdicts follow the spec and the protocol', () => {
  it('block: the higher priority keeps the VIP after the restore, preempt or not; other faults follow preempt', () => {
    expect(returnAfterRestore('block', true, 150, 100)).toMatchObject({expected: true})
    expect(returnAfterRestore('block', false, 150, 100)).toMatchObject({expected: true})
    expect(returnAfterRestore('block', false, 100, 150)).toMatchObject({expected: false})
    expect(returnAfterRestore('kill', true, 150, 100)).toMatchObject({expected: true})
    expect(returnAfterRestore('kill', false, 150, 100)).toMatchObject({expected: false})
    expect(returnAfterRestore('stop', true, 100, 150)).toMatchObject({expected: false})
  })

  it('a blocked master on a preempt cluster that gets its VIP back passes with a check named preempt', () => {
    const m = measureRound(handBack('block', 3500, 8000, 8100), ctx)
    const exp = expectTakeover('block', {version: 2, advertInt: 1, backupPriority: 100})
    for (const preempt of [true, false]) {
      const back = returnAfterRestore('block', preempt, 150, 100)
      const v = judgeRound(m, exp, {fault: 'block', preempt, returnExpected: back.expected, returnBasis: back.basis})
      expect(v.ok, JSON.stringify(v.checks)).toBe(true)
      expect(v.checks.find((c) => c.name === (preempt ? 'preempt' : 'nopreempt'))?.ok).toBe(true)
    }
  })

  it('a failing weighted track script under nopreempt: no takeover expected, and a takeover would fail the round', () => {
    const exp = expectTakeover('script', {version: 2, advertInt: 1, backupPriority: 100, scriptDetectMs: 1000, scriptWeight: -80, masterPriority: 150, preempt: false})
    expect(exp.takeover).toBe(false)
    expect(exp.basis).toMatch(/nopreempt: a backup accepts the master's lowered priority 70/)
    const stay = measureRound([{t: 0, kind: 'fault', node: 'lb1', fault: 'script', phase: 'inject'}, {t: 9000, kind: 'fault', node: 'lb1', fault: 'script', phase: 'restore'}], ctx)
    expect(judgeRound(stay, exp, {fault: 'script', preempt: false}).ok).toBe(true)
    const moved = measureRound([{t: 0, kind: 'fault', node: 'lb1', fault: 'script', phase: 'inject'}, {t: 4000, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true}, {t: 4001, kind: 'vip', node: 'lb1', address: '10.0.0.100', present: false}], ctx)
    const v = judgeRound(moved, exp, {fault: 'script', preempt: false})
    expect(v.ok).toBe(false)
    expect(v.checks[0]).toMatchObject({name: 'no takeover', ok: false})
    // with preempt, or a script without weight (FAULT: the master resigns), the backup takes over
    expect(expectTakeover('script', {version: 2, advertInt: 1, backupPriority: 100, scriptWeight: -80, masterPriority: 150, preempt: true}).takeover).toBe(true)
    expect(expectTakeover('script', {version: 2, advertInt: 1, backupPriority: 100, scriptWeight: 0, masterPriority: 150, preempt: false}).takeover).toBe(true)
    // a weight too small to cross the backup's priority moves nothing, preempt or not
    expect(expectTakeover('script', {version: 2, advertInt: 1, backupPriority: 100, scriptWeight: -20, masterPriority: 150, preempt: true}).takeover).toBe(false)
  })
})
