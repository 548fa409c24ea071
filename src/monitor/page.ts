/**
 * The live page of `halctl monitor` (GET /): one self-contained HTML document; its script reads
 * /events (server-sent events, one `state` message per change, see model.ts `MonitorState`) and
 * draws, per VRID, who holds the VIPs now, what keepalived on each node says, the routers, the active findings and a timeline of
 * the last hour (master stretches per router, findings and source gaps as markers). Colours
 * and lane layout follow the failover report's timeline (src/failover/report-html.ts).
 *
 * Exports: `monitorPageHtml(title)`.
 */
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] ?? c)

export function monitorPageHtml(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.2rem;color:#222}
h1{font-size:1.3rem;margin:0 0 .4rem}
.sources span{display:inline-block;margin:0 .6rem .3rem 0;padding:.1rem .5rem;border-radius:.6rem;font-size:.85rem}
.up{background:#c8e6c9}.down{background:#ffcdd2}
.vrid{border:1px solid #ccc;border-radius:.4rem;padding:.6rem .9rem;margin:.8rem 0}
.vrid h2{font-size:1.05rem;margin:0 0 .4rem}
.holders{font-size:1.2rem;font-weight:600;padding:.1rem .5rem;border-radius:.3rem}
.h1{background:#c8e6c9}.h0{background:#ffe0b2}.h2{background:#ffcdd2}.stale{background:#eee;color:#777}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}td,th{padding:.1rem .6rem;text-align:left;border-bottom:1px solid #eee}
.finding{font-size:.85rem;margin:.15rem 0}.error{color:#c62828}.warning{color:#ef6c00}.info{color:#1565c0}
#status{font-size:.8rem;color:#777}
</style></head><body>
<h1>${esc(title)}</h1>
<div id="status">connecting…</div>
<div class="sources" id="sources"></div>
<div id="vrids"></div>
<script>
const COLOURS = {held: '#43a047', split: '#e53935', none: '#fb8c00', gap: '#9e9e9e', error: '#e53935', warning: '#fb8c00', info: '#1e88e5'}
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c])
const LEFT = 120, WIDTH = 960, RIGHT = WIDTH - 10, LANE = 22
function timeline(v, now) {
  const t0 = now - 3600 * 1000
  const x = (t) => LEFT + Math.max(0, (t - t0) / (now - t0)) * (RIGHT - LEFT)
  const lanes = [...new Set([...v.routers.map((r) => r.address), ...v.timeline.flatMap((e) => e.kind === 'holders' ? e.holders.map((h) => h.address) : [])])].sort()
  const y = (a) => 18 + lanes.indexOf(a) * LANE
  const parts = []
  const hs = v.timeline.filter((e) => e.kind === 'holders')
  for (let i = 0; i < hs.length; i++) {
    const e = hs[i], end = i + 1 < hs.length ? hs[i + 1].t : now
    const colour = e.holders.length > 1 ? COLOURS.split : COLOURS.held
    for (const h of e.holders) parts.push('<rect x="' + x(e.t).toFixed(1) + '" y="' + (y(h.address) - 7) + '" width="' + Math.max(1, x(end) - x(e.t)).toFixed(1) + '" height="14" fill="' + colour + '"><title>' + esc(h.address + ' master, priority ' + h.priority + ', since ' + new Date(e.t).toLocaleTimeString()) + '</title></rect>')
    if (e.holders.length === 0) parts.push('<rect x="' + x(e.t).toFixed(1) + '" y="8" width="' + Math.max(1, x(end) - x(e.t)).toFixed(1) + '" height="' + (lanes.length * LANE) + '" fill="' + COLOURS.none + '" opacity="0.25"><title>no owner</title></rect>')
  }
  const fy = 18 + lanes.length * LANE
  for (const e of v.timeline) {
    if (e.kind === 'finding') parts.push('<circle cx="' + x(e.t).toFixed(1) + '" cy="' + fy + '" r="4" fill="' + (e.event === 'cleared' ? '#fff' : COLOURS[e.severity] || '#555') + '" stroke="' + (COLOURS[e.severity] || '#555') + '"><title>' + esc(new Date(e.t).toLocaleTimeString() + ' ' + e.code + ' ' + e.event + ': ' + e.message) + '</title></circle>')
    if (e.kind === 'gap' && !e.up) parts.push('<line x1="' + x(e.t).toFixed(1) + '" x2="' + x(e.t).toFixed(1) + '" y1="8" y2="' + fy + '" stroke="' + COLOURS.gap + '" stroke-dasharray="3 2"><title>' + esc(e.source + ' lost at ' + new Date(e.t).toLocaleTimeString()) + '</title></line>')
  }
  const labels = lanes.map((a) => '<text x="4" y="' + (y(a) + 4) + '" font-size="12">' + esc(a) + '</text>').join('') + '<text x="4" y="' + (fy + 4) + '" font-size="12">findings</text>'
  const axis = [0, 15, 30, 45, 60].map((m) => '<text x="' + x(t0 + m * 60000).toFixed(1) + '" y="' + (fy + 20) + '" font-size="10" text-anchor="middle">' + (m === 60 ? 'now' : '-' + (60 - m) + ' min') + '</text>').join('')
  return '<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="' + WIDTH + '" height="' + (fy + 26) + '">' + labels + parts.join('') + axis + '</svg>'
}
function render(s) {
  const now = Date.parse(s.time)
  document.getElementById('status').textContent = 'updated ' + new Date(now).toLocaleTimeString()
  document.getElementById('sources').innerHTML = s.sources.map((x) => '<span class="' + (x.up ? 'up' : 'down') + '" data-source="' + esc(x.name) + '">' + esc(x.name) + (x.up ? ' up' : ' down' + (x.lastError ? ': ' + esc(x.lastError) : '')) + (x.gaps ? ' (' + x.gaps + ' gaps, ' + x.gapSeconds.toFixed(1) + ' s)' : '') + '</span>').join('')
  document.getElementById('vrids').innerHTML = s.vrids.map((v) => {
    const cls = v.stale ? 'stale' : v.holders.length === 1 ? 'h1' : v.holders.length === 0 ? 'h0' : 'h2'
    const who = v.stale ? 'unknown (no source up)' : v.holders.length === 0 ? 'nobody' : v.holders.join(' and ') + (v.holders.length > 1 ? ': split brain' : '')
    const rows = v.routers.map((r) => '<tr><td>' + esc(r.address) + '</td><td>' + r.state + '</td><td>' + r.priority + '</td><td>' + (r.intervalCs / 100) + ' s</td><td>' + esc(new Date(Date.parse(r.last)).toLocaleTimeString()) + '</td><td>' + esc(r.sources.join(', ')) + '</td></tr>').join('')
    const findings = v.findings.map((f) => '<div class="finding ' + f.severity + '" data-code="' + esc(f.code) + '">' + esc(f.code) + ': ' + esc(f.message) + '</div>').join('')
    return '<section class="vrid" data-vrid="' + v.vrid + '" data-family="' + v.family + '"><h2>VRID ' + v.vrid + (v.family === 6 ? ' (IPv6)' : '') + (v.instance ? ' · ' + esc(v.instance) : '') + (v.vips.length ? ' · VIPs ' + esc(v.vips.join(', ')) : '') + '</h2>'
      + '<div>held by <span class="holders ' + cls + '">' + esc(who) + '</span></div>'
      + (v.keepalived.length ? '<div class="keepalived">keepalived says: ' + v.keepalived.map((k) => '<span data-node="' + esc(k.node) + '">' + esc(k.node) + ' ' + esc(k.state) + (k.effectivePriority !== null ? ' (priority ' + k.effectivePriority + (k.priority !== null && k.priority !== k.effectivePriority ? ' of ' + k.priority : '') + ')' : '') + '</span>').join(' · ') + '</div>' : '')
      + '<table><tr><th>router</th><th>state</th><th>priority</th><th>interval</th><th>last advert</th><th>heard by</th></tr>' + rows + '</table>'
      + findings + timeline(v, now) + '</section>'
  }).join('') || '<p>no VRRP heard yet</p>'
}
const es = new EventSource('events')
es.addEventListener('state', (m) => render(JSON.parse(m.data)))
es.onerror = () => { document.getElementById('status').textContent = 'disconnected, retrying…' }
</script></body></html>
`
}
