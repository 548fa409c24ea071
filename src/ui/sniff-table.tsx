/**
 * Live view of `halctl sniff` on a TTY: one row per (interface, VRID) with the current master
 * address and MAC, priority, interval, VIPs, auth, adverts/s, last seen and the other routers
 * heard; below, the findings pane (active ones first).
 */
import {Box, Text} from 'ink'
import type {Finding} from '../sniff/findings.js'
import {intervalText} from '../sniff/format-summary.js'
import type {VridSummary} from '../sniff/tracker.js'

export interface SniffTableProps {
  source: string
  packets: number
  vrids: VridSummary[]
  findings: Finding[]
  /** capture-clock "now" in ms, for "last seen" */
  nowMs: number
}

const COLS = ['IFACE', 'VRID', 'MASTER', 'MAC', 'PRIO', 'INTVL', 'VIPS', 'AUTH', 'ADV/S', 'LAST', 'OTHERS'] as const

function ago(ms: number): string {
  if (ms < 0) return 'now'
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`
}

export function SniffTable({source, packets, vrids, findings, nowMs}: SniffTableProps) {
  const rows = vrids.map((v) => {
    const ver = v.routers.find((r) => r.address === v.master)?.version ?? null
    return [
      v.interface,
      `${v.vrid}${v.family === 6 ? ' (v6)' : ''}`,
      v.master ?? '-',
      v.masterMac ?? '-',
      v.priority === null ? '-' : String(v.priority),
      intervalText(ver, v.intervalCs),
      v.vips.join(',') || '-',
      v.authType ?? '-',
      String(v.advertsPerSec),
      ago(nowMs - v.lastMs),
      v.routers
        .filter((r) => r.address !== v.master)
        .map((r) => `${r.address}/${r.priority}`)
        .join(' ') || '-',
    ]
  })
  const widths = COLS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ')
  const shown = [...findings].sort((a, b) => Number(b.active) - Number(a.active) || b.last.localeCompare(a.last)).slice(0, 12)
  return (
    <Box flexDirection="column">
      <Text bold>
        halctl sniff {source} — {packets} packets, {vrids.length} VRID(s) (Ctrl-C for the summary)
      </Text>
      <Text color="cyan">{line(COLS)}</Text>
      {rows.map((r, i) => (
        <Text key={i}>{line(r)}</Text>
      ))}
      {rows.length === 0 && <Text dimColor>no VRRP heard yet</Text>}
      <Box marginTop={1} flexDirection="column">
        <Text bold>findings ({findings.length})</Text>
        {shown.length === 0 && <Text dimColor>none</Text>}
        {shown.map((f, i) => (
          <Text key={i} color={f.severity === 'error' ? 'red' : f.severity === 'warning' ? 'yellow' : undefined} dimColor={!f.active && f.severity !== 'info'}>
            {f.active ? '●' : '○'} {f.severity.padEnd(7)} {f.code}: {f.message}
          </Text>
        ))}
      </Box>
    </Box>
  )
}
