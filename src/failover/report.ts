/** failover-test's HTML report built from its result: the summary rows, then one section (rows and timeline) per round. */
import {renderReportHtml, type ReportRound} from './report-html.js'
import type {FailoverResult} from './run.js'

/** A measured duration as people read it: "123 ms", "-" when not measured. */
export const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`)

export function failoverReportHtml(result: FailoverResult): string {
  const summary: Array<[string, string]> = [
    ['cluster / instance', `${result.cluster} / ${result.instance} (VRID ${result.vrid})`],
    ['VIPs', result.vips.join(', ')],
    ['VRRP', `v${result.version}, advert every ${result.advertIntMs} ms, ${result.preempt ? 'preempt' : 'nopreempt'}`],
    ...result.summary.map((s): [string, string] => [s.fault, `${s.passed}/${s.rounds} passed; VIP moved min/median/max ${ms(s.vipMovedMs?.min)}/${ms(s.vipMovedMs?.median)}/${ms(s.vipMovedMs?.max)}${s.downtimeMs ? `; client downtime median ${ms(s.downtimeMs.median)}` : ''}`]),
    ['findings', [...new Set(result.findings.map((f) => `${f.severity} ${f.code}`))].join(', ') || 'none'],
    ['verdict', result.ok ? 'PASS' : 'FAIL'],
  ]
  const rounds: ReportRound[] = result.rounds.map((r) => ({
    index: r.index,
    fault: `${r.fault} on ${r.originalMaster}`,
    nodes: result.nodes,
    events: r.events,
    initialHolders: r.initialHolders,
    ok: r.verdict.ok,
    rows: [
      ['expected', r.expectation.takeover ? `${ms(r.expectation.minMs)}..${ms(r.expectation.maxMs)} (${r.expectation.basis})` : `no takeover (${r.expectation.basis})`],
      ['fault time from', r.measurement.faultBasis ?? '-'],
      ['first advert from new master', ms(r.measurement.firstAdvertMs)],
      ['VIP on new master', ms(r.measurement.vipMovedMs)],
      ['VIP on two nodes', ms(r.measurement.dualHoldMs)],
      ['VIP on no node', ms(r.measurement.noOwnerMs)],
      ['client downtime', r.measurement.probes.sent ? `${ms(r.measurement.probes.downtimeMs)} (${r.measurement.probes.failed}/${r.measurement.probes.sent} probes failed)` : 'no probe'],
      ...r.verdict.checks.map((c): [string, string] => [c.name, `${c.ok ? 'ok' : 'FAILED'}: ${c.detail}`]),
    ] as Array<[string, string]>,
  }))
  return renderReportHtml(`halctl failover-test: ${result.cluster}/${result.instance}`, summary, rounds)
}
