/**
 * The failover report as a self-contained HTML page with an SVG timeline per
 * round: one lane per node (VIP held, adverts sent), one lane for client
 * probes, and the fault/restore markers. Pure string building.
 */
import type {TimelineEvent} from './timeline.js'

export interface ReportRound {
  index: number
  fault: string
  nodes: string[]
  events: TimelineEvent[]
  /** VIP holders when the round started, per VIP */
  initialHolders: Record<string, string[]>
  rows: Array<[string, string]>
  ok: boolean
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] ?? c)

const LANE = 26
const LEFT = 90
const WIDTH = 900

export function renderTimelineSvg(round: ReportRound): string {
  const evs = [...round.events].sort((a, b) => a.t - b.t)
  if (evs.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
  const t0 = evs[0].t
  const t1 = Math.max(evs[evs.length - 1].t, t0 + 1)
  const x = (t: number): number => LEFT + ((t - t0) / (t1 - t0)) * (WIDTH - LEFT - 10)
  const lanes = [...round.nodes, 'probe']
  const y = (lane: string): number => 20 + lanes.indexOf(lane) * LANE
  const parts: string[] = []
  for (const lane of lanes) {
    parts.push(`<text x="4" y="${y(lane) + 15}" font-size="12">${esc(lane)}</text>`)
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - 10}" y1="${y(lane) + 20}" y2="${y(lane) + 20}" stroke="#ddd"/>`)
  }
  // VIP-held bars per node (held = holds at least one VIP)
  const held = new Map<string, Set<string>>()
  for (const [vip, hs] of Object.entries(round.initialHolders)) for (const h of hs) (held.get(h) ?? held.set(h, new Set()).get(h)!).add(vip)
  const since = new Map<string, number>()
  for (const n of round.nodes) if ((held.get(n)?.size ?? 0) > 0) since.set(n, t0)
  const bar = (node: string, from: number, to: number): void => {
    parts.push(`<rect x="${x(from).toFixed(1)}" y="${y(node) + 4}" width="${Math.max(1, x(to) - x(from)).toFixed(1)}" height="12" fill="#4caf50" opacity="0.7"><title>${esc(node)} holds the VIP</title></rect>`)
  }
  for (const e of evs) {
    if (e.kind === 'vip') {
      const set = held.get(e.node) ?? held.set(e.node, new Set()).get(e.node)!
      const before = set.size
      if (e.present) set.add(e.address)
      else set.delete(e.address)
      if (before === 0 && set.size > 0) since.set(e.node, e.t)
      if (before > 0 && set.size === 0) {
        bar(e.node, since.get(e.node) ?? t0, e.t)
        since.delete(e.node)
      }
    } else if (e.kind === 'advert' && e.node && lanes.includes(e.node)) {
      const color = e.priority === 0 ? '#e53935' : '#1e88e5'
      parts.push(`<line x1="${x(e.t).toFixed(1)}" x2="${x(e.t).toFixed(1)}" y1="${y(e.node) + 16}" y2="${y(e.node) + 22}" stroke="${color}"><title>advert prio ${e.priority}</title></line>`)
    } else if (e.kind === 'probe') {
      parts.push(`<rect x="${x(e.t).toFixed(1)}" y="${y('probe') + 6}" width="2" height="10" fill="${e.ok ? '#43a047' : '#e53935'}"/>`)
    } else if (e.kind === 'fault') {
      const color = e.phase === 'inject' ? '#e53935' : '#fb8c00'
      parts.push(`<line x1="${x(e.t).toFixed(1)}" x2="${x(e.t).toFixed(1)}" y1="10" y2="${y('probe') + 24}" stroke="${color}" stroke-dasharray="4 2"/>`)
      parts.push(`<text x="${x(e.t) + 3}" y="12" font-size="11" fill="${color}">${esc(`${e.fault} ${e.phase} (${e.node})`)}</text>`)
    }
  }
  for (const [node, from] of since) bar(node, from, t1)
  const height = y('probe') + 44
  const secs = (t1 - t0) / 1000
  parts.push(`<text x="${LEFT}" y="${height - 4}" font-size="11">0 s</text><text x="${WIDTH - 60}" y="${height - 4}" font-size="11">${secs.toFixed(2)} s</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">${parts.join('')}</svg>`
}

export function renderReportHtml(title: string, summary: Array<[string, string]>, rounds: ReportRound[]): string {
  const table = (rows: Array<[string, string]>): string => `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`
  const body = rounds
    .map((r) => `<section><h2>Round ${r.index}: ${esc(r.fault)} — ${r.ok ? '<span class="ok">PASS</span>' : '<span class="bad">FAIL</span>'}</h2>${renderTimelineSvg(r)}${table(r.rows)}</section>`)
    .join('\n')
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}.ok{color:#2e7d32}.bad{color:#c62828}section{margin-bottom:2em}</style></head><body><h1>${esc(title)}</h1>${table(summary)}\n${body}</body></html>\n`
}
