import {Box, Text} from 'ink'
import {ms} from '../failover/report.js'
import type {FailoverResult, RoundResult} from '../failover/run.js'

const COLS = 60

/** One text lane per node: '█' holds the VIP, '·' does not; '!' marks the fault, 'r' the restore. */
export function laneText(round: RoundResult, node: string): string {
  const evs = [...round.events].sort((a, b) => a.t - b.t)
  if (evs.length === 0) return ''
  const t0 = evs[0].t
  const span = Math.max(1, evs[evs.length - 1].t - t0)
  const held = new Set<string>(Object.entries(round.initialHolders).filter(([, hs]) => hs.includes(node)).map(([v]) => v))
  const cells: string[] = []
  let i = 0
  for (let c = 0; c < COLS; c++) {
    const until = t0 + ((c + 1) * span) / COLS
    let mark = ''
    for (; i < evs.length && evs[i].t <= until; i++) {
      const e = evs[i]
      if (e.kind === 'vip' && e.node === node) e.present ? held.add(e.address) : held.delete(e.address)
      if (e.kind === 'fault' && e.node === node) mark = e.phase === 'inject' ? '!' : 'r'
    }
    cells.push(mark || (held.size > 0 ? '█' : '·'))
  }
  return cells.join('')
}

function Round({round, nodes}: {round: RoundResult; nodes: string[]}) {
  const m = round.measurement
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text>
        <Text bold>round {round.index}</Text> {round.fault} on {round.originalMaster} → {round.newMaster ?? 'nobody'}:{' '}
        {round.verdict.ok ? <Text color="green">PASS</Text> : <Text color="red">FAIL</Text>}
      </Text>
      {nodes.map((n) => (
        <Text key={n}>
          {'  '}
          {n.padEnd(10)} {laneText(round, n)}
        </Text>
      ))}
      <Text>
        {'  '}
        {m.faultBasis ? `fault time from the ${m.faultBasis} · ` : ''}first advert {ms(m.firstAdvertMs)} · VIP moved {ms(m.vipMovedMs)} · expected ≤ {ms(round.expectation.maxMs)} · on two nodes {ms(m.dualHoldMs)} · on none {ms(m.noOwnerMs)}
        {m.probes.sent ? ` · client downtime ${ms(m.probes.downtimeMs)} (${m.probes.failed}/${m.probes.sent} probes failed)` : ''}
      </Text>
      {round.verdict.checks
        .filter((c) => !c.ok)
        .map((c) => (
          <Text key={c.name} color="red">
            {'  '}✗ {c.name}: {c.detail}
          </Text>
        ))}
    </Box>
  )
}

export function FailoverView({result}: {result: FailoverResult}) {
  return (
    <Box flexDirection="column">
      <Text>
        {result.cluster}/{result.instance} VRID {result.vrid} VIPs {result.vips.join(', ')} · VRRPv{result.version} every {result.advertIntMs} ms ·{' '}
        {result.preempt ? 'preempt' : 'nopreempt'}
      </Text>
      <Text dimColor>lanes: █ holds the VIP, · does not, ! fault injected, r fault restored</Text>
      {result.rounds.map((r) => (
        <Round key={r.index} round={r} nodes={result.nodes} />
      ))}
      {result.summary.map((s) => (
        <Text key={s.fault}>
          {s.fault.padEnd(7)} {s.passed}/{s.rounds} passed · VIP moved min/median/max {ms(s.vipMovedMs?.min)}/{ms(s.vipMovedMs?.median)}/{ms(s.vipMovedMs?.max)}
          {s.downtimeMs ? ` · downtime median ${ms(s.downtimeMs.median)}` : ''}
        </Text>
      ))}
      {result.findings.length > 0 && <Text>sniff findings: {[...new Set(result.findings.map((f) => `${f.severity} ${f.code}`))].join(', ')}</Text>}
      <Text bold color={result.ok ? 'green' : 'red'}>
        verdict: {result.ok ? 'PASS' : 'FAIL'}
      </Text>
    </Box>
  )
}
