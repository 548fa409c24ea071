import {renderToString} from 'ink'
import {describe, expect, it} from 'vitest'
import {expectTakeover} from '../../../src/failover/expectations.js'
import {failoverReportHtml} from '../../../src/failover/report.js'
import type {FailoverResult, RoundResult} from '../../../src/failover/run.js'
import {measureRound} from '../../../src/failover/timeline.js'
import {judgeRound} from '../../../src/failover/verdict.js'
import {FailoverView} from '../../../src/ui/failover-view.js'
import {ctx, systemdStop} from './fixtures.js'


function stopRound(): RoundResult {
  const events = systemdStop(11100, 20)
  const measurement = measureRound(events, ctx)
  const expectation = expectTakeover('stop', {version: 2, advertInt: 1, backupPriority: 100})
  return {index: 1, fault: 'stop', description: 'clean stop', originalMaster: 'lb1', newMaster: 'lb2', expectation, measurement, verdict: judgeRound(measurement, expectation, {fault: 'stop', preempt: false}), events, initialHolders: ctx.initialHolders}
}

const result = (rounds: RoundResult[]): FailoverResult => ({cluster: 'web', instance: 'VI_web', vrid: 51, vips: ['10.0.0.100'], nodes: ['lb1', 'lb2'], preempt: false, advertIntMs: 1000, version: 2, rounds, summary: [], findings: [], ok: rounds.every((r) => r.verdict.ok)})

describe('failover-test view', () => {
  it('a clean stop under systemd: the fault time comes from the priority 0 advert, and the round passes', () => {
    const out = renderToString(<FailoverView result={result([stopRound()])} />, {columns: 200})
    expect(out).toContain('round 1 stop on lb1 → lb2: PASS')
    expect(out).toContain('fault time from the priority 0 advert · first advert 610 ms · VIP moved 612 ms')
    expect(out).toContain('verdict: PASS')
  })
})

describe('failover-test report', () => {
  it('built from the result: the summary rows, then each round with its measured rows and timeline', () => {
    const html = failoverReportHtml(result([stopRound()]))
    expect(html).toContain('halctl failover-test: web/VI_web')
    expect(html).toMatch(/cluster \/ instance[\s\S]*web \/ VI_web \(VRID 51\)/)
    expect(html).toMatch(/VRRP[\s\S]*v2, advert every 1000 ms, nopreempt/)
    expect(html).toMatch(/VIP on new master[\s\S]*612 ms/)
    expect(html).toMatch(/verdict[\s\S]*PASS/)
    expect(html).toMatch(/<svg[\s\S]*fault: stop \(lb1\)/)
  })
})
