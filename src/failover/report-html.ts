/**
 * The failover report as a self-contained HTML page with an SVG timeline per
 * round: one lane per node (VIP held, adverts sent), one lane for client
 * probes, and the fault/restore markers. Pure string building.
 */
import {measureRound, ordered, type Interval, type TimelineEvent} from './timeline.js'

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

const LANE = 34
const LEFT = 110
const WIDTH = 1000
const RIGHT = WIDTH - 20
const TOP = 30
const COLOURS = {held: '#43a047', advert: '#1e88e5', resign: '#e53935', probeOk: '#9ccc65', probeFail: '#e53935', inject: '#e53935', restore: '#fb8c00', dual: '#e53935', none: '#fb8c00'}

/** A tick step of 1, 2 or 5 times a power of ten giving about `n` ticks over `span` ms. */
function tickStep(span: number, n = 12): number {
  const raw = span / n
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw) ?? 10 * p
}

const secondsLabel = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`

/**
 * One round as a picture read at a glance: a lane per node with the VIP held
 * (green bars, a marker where a node takes it, also when it returns to a
 * preempting master), adverts as ticks (priority 0 in red), a probe lane with
 * failed probes in red and the outage shaded, split brain (VIP on two nodes)
 * and gaps (VIP on no node) shaded across the lanes, the fault and restore
 * marked, a time axis with ticks from the fault, and a legend.
 */
export function renderTimelineSvg(round: ReportRound): string {
  const evs = ordered(round.events)
  if (evs.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
  const first = evs[0].t
  const last = evs[evs.length - 1].t
  // room after the last event, so what happened at the end (the VIP's return) is not a sliver
  const t0 = first
  const t1 = last + Math.max((last - first) * 0.06, 500)
  const x = (t: number): number => LEFT + ((t - t0) / (t1 - t0)) * (RIGHT - LEFT)
  const f = (n: number): string => n.toFixed(1)
  const lanes = [...round.nodes, 'probe']
  const y = (lane: string): number => TOP + lanes.indexOf(lane) * LANE
  const nodesBottom = y('probe') - 4
  const probeBottom = y('probe') + LANE - 6
  const parts: string[] = []
  const vipAddresses = [...new Set([...Object.keys(round.initialHolders), ...evs.flatMap((e) => (e.kind === 'vip' ? [e.address] : []))])]
  const vrid = evs.find((e) => e.kind === 'advert')?.vrid ?? 0
  const originalMaster = Object.values(round.initialHolders)[0]?.[0] ?? round.nodes[0]
  const m = measureRound(evs, {vrid, vips: vipAddresses, originalMaster, initialHolders: round.initialHolders})
  const faultAt = m.faultAt ?? t0
  const shade = (iv: Interval, colour: string, label: string, top: number, bottom: number): void => {
    const w = Math.max(3, x(iv.to) - x(iv.from))
    parts.push(`<rect x="${f(x(iv.from))}" y="${top}" width="${f(w)}" height="${bottom - top}" fill="${colour}" opacity="0.18"><title>${esc(`${label}: ${Math.round(iv.to - iv.from)} ms`)}</title></rect>`)
  }
  // background: split brain and no-owner periods across the node lanes
  for (const iv of m.dualHold) shade(iv, COLOURS.dual, 'VIP on two nodes', TOP - 2, nodesBottom)
  for (const iv of m.noOwner) shade(iv, COLOURS.none, 'VIP on no node', TOP - 2, nodesBottom)
  // the probe outage: from the first failed probe of a run to the next good one
  let failFrom: number | undefined
  for (const e of evs) {
    if (e.kind !== 'probe') continue
    if (!e.ok) failFrom ??= e.t
    else if (failFrom !== undefined) (shade({from: failFrom, to: e.t}, COLOURS.probeFail, 'clients cut off', y('probe'), probeBottom), (failFrom = undefined))
  }
  if (failFrom !== undefined) shade({from: failFrom, to: last}, COLOURS.probeFail, 'clients cut off', y('probe'), probeBottom)
  for (const lane of lanes) {
    parts.push(`<text x="6" y="${y(lane) + 16}" font-size="13" font-weight="bold">${esc(lane === 'probe' ? 'clients' : lane)}</text>`)
    parts.push(`<line x1="${LEFT}" x2="${RIGHT}" y1="${y(lane) + LANE - 4}" y2="${y(lane) + LANE - 4}" stroke="#e0e0e0"/>`)
  }
  // VIP-held bars per node (held = holds at least one VIP), a marker where a node takes the VIP
  const held = new Map<string, Set<string>>()
  for (const [vip, hs] of Object.entries(round.initialHolders)) for (const h of hs) (held.get(h) ?? held.set(h, new Set()).get(h)!).add(vip)
  const since = new Map<string, number>()
  for (const n of round.nodes) if ((held.get(n)?.size ?? 0) > 0) since.set(n, t0)
  const bar = (node: string, from: number, to: number): void => {
    parts.push(`<rect x="${f(x(from))}" y="${y(node) + 4}" width="${f(Math.max(4, x(to) - x(from)))}" height="14" rx="2" fill="${COLOURS.held}"><title>${esc(`${node} holds the VIP ${secondsLabel(from - faultAt)} .. ${secondsLabel(to - faultAt)}`)}</title></rect>`)
  }
  const takes: Array<{node: string; t: number}> = []
  for (const e of evs) {
    if (e.kind === 'vip') {
      const set = held.get(e.node) ?? held.set(e.node, new Set()).get(e.node)!
      const before = set.size
      if (e.present) set.add(e.address)
      else set.delete(e.address)
      if (before === 0 && set.size > 0) (since.set(e.node, e.t), takes.push({node: e.node, t: e.t}))
      if (before > 0 && set.size === 0) {
        bar(e.node, since.get(e.node) ?? t0, e.t)
        since.delete(e.node)
      }
    } else if (e.kind === 'advert' && e.node && lanes.includes(e.node)) {
      const colour = e.priority === 0 ? COLOURS.resign : COLOURS.advert
      const h = e.priority === 0 ? 10 : 7
      parts.push(`<line x1="${f(x(e.t))}" x2="${f(x(e.t))}" y1="${y(e.node) + 20}" y2="${y(e.node) + 20 + h}" stroke="${colour}" stroke-width="${e.priority === 0 ? 2.5 : 1.2}"><title>${esc(`advert priority ${e.priority} at ${secondsLabel(e.t - faultAt)}`)}</title></line>`)
    } else if (e.kind === 'probe') {
      const top = e.ok ? y('probe') + 10 : y('probe') + 4
      parts.push(`<rect x="${f(x(e.t))}" y="${top}" width="2" height="${e.ok ? 8 : 18}" fill="${e.ok ? COLOURS.probeOk : COLOURS.probeFail}"><title>${esc(`probe ${e.ok ? 'ok' : `failed${e.error ? `: ${e.error}` : ''}`} at ${secondsLabel(e.t - faultAt)}`)}</title></rect>`)
    } else if (e.kind === 'fault') {
      const colour = e.phase === 'inject' ? COLOURS.inject : COLOURS.restore
      parts.push(`<line x1="${f(x(e.t))}" x2="${f(x(e.t))}" y1="${TOP - 14}" y2="${probeBottom}" stroke="${colour}" stroke-width="2" stroke-dasharray="5 3"/>`)
      parts.push(`<text x="${f(x(e.t) + 4)}" y="${TOP - 16}" font-size="12" font-weight="bold" fill="${colour}">${esc(`${e.phase === 'inject' ? 'fault' : 'restore'}: ${e.fault} (${e.node})`)}</text>`)
    }
  }
  for (const [node, from] of since) bar(node, from, t1)
  for (const tk of takes) {
    const cx = x(tk.t)
    const label = tk.node === originalMaster && m.restoreAt !== undefined && tk.t >= m.restoreAt ? `VIP back on ${tk.node}` : `${tk.node} takes the VIP`
    parts.push(`<path d="M${f(cx)} ${y(tk.node) + 2} l-6 -8 h12 z" fill="#1b5e20"><title>${esc(`${label} at ${secondsLabel(tk.t - faultAt)}`)}</title></path>`)
    const anchor = cx > RIGHT - 160 ? 'end' : 'start'
    parts.push(`<text x="${f(anchor === 'end' ? cx - 8 : cx + 8)}" y="${y(tk.node) + 1}" font-size="11" fill="#1b5e20" text-anchor="${anchor}">${esc(`${label} ${secondsLabel(tk.t - faultAt)}`)}</text>`)
  }
  // time axis: ticks from the fault (0 s), labelled in seconds
  const axisY = probeBottom + 10
  parts.push(`<line x1="${LEFT}" x2="${RIGHT}" y1="${axisY}" y2="${axisY}" stroke="#616161"/>`)
  const step = tickStep(t1 - t0)
  for (let k = Math.ceil((t0 - faultAt) / step); faultAt + k * step <= t1; k++) {
    const tx = x(faultAt + k * step)
    parts.push(`<line x1="${f(tx)}" x2="${f(tx)}" y1="${axisY}" y2="${axisY + 5}" stroke="#616161"/>`)
    parts.push(`<line x1="${f(tx)}" x2="${f(tx)}" y1="${TOP - 2}" y2="${probeBottom}" stroke="#eeeeee"/>`)
    parts.push(`<text x="${f(tx)}" y="${axisY + 17}" font-size="11" text-anchor="middle">${esc(k === 0 ? '0' : `${k > 0 ? '+' : ''}${secondsLabel(k * step)}`)}</text>`)
  }
  parts.push(`<text x="${RIGHT}" y="${axisY + 31}" font-size="11" text-anchor="end" fill="#616161">time from the fault</text>`)
  // legend
  const legend: Array<[string, string]> = [
    [`<rect width="18" height="10" rx="2" fill="${COLOURS.held}"/>`, 'holds the VIP'],
    [`<line x1="9" x2="9" y1="0" y2="10" stroke="${COLOURS.advert}" stroke-width="1.5"/>`, 'advert'],
    [`<line x1="9" x2="9" y1="0" y2="10" stroke="${COLOURS.resign}" stroke-width="2.5"/>`, 'advert priority 0 (resign)'],
    [`<rect x="8" width="2" height="10" fill="${COLOURS.probeOk}"/>`, 'probe ok'],
    [`<rect x="8" width="2" height="10" fill="${COLOURS.probeFail}"/>`, 'probe failed'],
    [`<rect width="18" height="10" fill="${COLOURS.dual}" opacity="0.25"/>`, 'VIP on two nodes'],
    [`<rect width="18" height="10" fill="${COLOURS.none}" opacity="0.25"/>`, 'VIP on no node'],
    [`<line x1="9" x2="9" y1="0" y2="10" stroke="${COLOURS.inject}" stroke-width="2" stroke-dasharray="3 2"/>`, 'fault'],
    [`<line x1="9" x2="9" y1="0" y2="10" stroke="${COLOURS.restore}" stroke-width="2" stroke-dasharray="3 2"/>`, 'restore'],
  ]
  const legendY = axisY + 40
  let lx = LEFT
  let ly = legendY
  for (const [icon, text] of legend) {
    const w = 30 + text.length * 6.5
    if (lx + w > RIGHT) (lx = LEFT), (ly += 18)
    parts.push(`<g transform="translate(${f(lx)} ${ly})">${icon}<text x="24" y="9" font-size="11">${esc(text)}</text></g>`)
    lx += w
  }
  const height = ly + 22
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" class="timeline">${parts.join('')}</svg>`
}

export function renderReportHtml(title: string, summary: Array<[string, string]>, rounds: ReportRound[]): string {
  // a failed check reads red, a passed one green
  const cls = (v: string): string => (/^(FAILED|FAIL)\b/.test(v) ? ' class="bad"' : /^(ok|PASS)\b/.test(v) ? ' class="ok"' : '')
  const table = (rows: Array<[string, string]>): string => `<table>${rows.map(([k, v]) => `<tr${cls(v)}><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`
  const body = rounds
    .map((r) => `<section><h2>Round ${r.index}: ${esc(r.fault)} — ${r.ok ? '<span class="ok">PASS</span>' : '<span class="bad">FAIL</span>'}</h2>${renderTimelineSvg(r)}${table(r.rows)}</section>`)
    .join('\n')
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}.ok{color:#2e7d32}.bad{color:#c62828}tr.bad td{font-weight:bold}tr.bad{background:#ffebee}svg.timeline{display:block;margin:1em 0;border:1px solid #e0e0e0;background:#fff}section{margin-bottom:2em}</style></head><body><h1>${esc(title)}</h1>${table(summary)}\n${body}</body></html>\n`
}
