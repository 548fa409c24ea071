/**
 * Plain-text rendering of the sniff summary (per-VRID statistics and all findings) and of a
 * single finding line, for `--summary` and for findings printed beside tcpdump-format output.
 *
 * Exports: `renderSummary(summary) -> string`, `findingLine(event, finding) -> string`.
 */
import {byCodePoint} from '../lib/compare.js'
import type {Finding} from './findings.js'
import type {SniffSummary} from './service.js'
import {formatDuration} from './time.js'

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
}

export function intervalText(version: number | null, cs: number | null): string {
  if (cs === null) return '-'
  return version === 2 ? `${cs / 100}s` : `${cs}cs`
}

export function findingLine(event: 'raised' | 'cleared', f: Finding): string {
  const head = event === 'cleared' ? `cleared ${f.code}` : `${f.severity.toUpperCase()} ${f.code}`
  return `${head}: ${f.message} [${f.interface}, ${f.first}${f.first !== f.last ? ` .. ${f.last}` : ''}${f.evidence.length ? `, packets ${f.evidence.map((e) => `#${e}`).join(' ')}` : ''}]`
}

export function renderSummary(s: SniffSummary): string {
  const out: string[] = []
  const kinds = Object.entries(s.kinds)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
  out.push(`${s.source}: ${s.packets} packets${kinds ? ` (${kinds})` : ''}${s.first ? `, ${s.first} .. ${s.last}` : ''}`)
  if (s.vrids.length) {
    out.push('')
    const rows = [['IFACE', 'IP', 'VRID', 'VER', 'MASTER', 'MAC', 'PRIO', 'INTVL', 'AUTH', 'ADVERTS', 'CHANGES', 'ROUTERS', 'VIPS']]
    for (const v of s.vrids) {
      const ver = v.routers.find((r) => r.address === v.master)?.version ?? v.routers[0]?.version ?? null
      rows.push([
        v.interface,
        `v${v.family}`,
        String(v.vrid),
        ver === null ? '-' : String(ver),
        v.master ?? '-',
        v.masterMac ?? '-',
        v.priority === null ? '-' : String(v.priority),
        intervalText(ver, v.intervalCs),
        v.authType ?? '-',
        String(v.adverts),
        String(v.masterChanges),
        String(v.routers.length),
        v.vips.join(','),
      ])
    }
    out.push(...table(rows))
  }
  out.push('')
  if (s.findings.length === 0) out.push('findings: none')
  else {
    out.push(`findings: ${s.findings.length}`)
    const order = {error: 0, warning: 1, info: 2}
    for (const f of [...s.findings].sort((a, b) => order[a.severity] - order[b.severity] || byCodePoint(a.first, b.first))) {
      out.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.code}${f.vrid === null ? '' : ` (VRID ${f.vrid})`}: ${f.message}`)
      const when = f.first === f.last ? f.first : `${f.first} .. ${f.last}${f.active ? ' (ongoing)' : ''}`
      out.push(`          ${when}; ${f.count} packet(s)${f.evidence.length ? `: ${f.evidence.map((e) => `#${e}`).join(' ')}` : ''}${f.measuredMs === null ? '' : `; measured ${formatDuration(f.measuredMs)}`}`)
      out.push(`          fix: ${f.fix}`)
    }
  }
  out.push('')
  out.push(s.errors ? 'status: error findings seen (exit 3)' : 'status: healthy (exit 0)')
  return out.join('\n')
}
