/**
 * What `halctl monitor` knows, bounded: per source its health and its latest view (the sniff
 * tracker's per-VRID summary), per VRID the routers, who holds the VIPs now, the active findings
 * and a timeline in a ring buffer. Pure: every call takes the time; nothing reads a clock.
 *
 * Fed by the service:
 * - `sourceUp(name, now)` / `sourceDown(name, now, error)`: a capture session started / ended
 *   (the time between is a gap, itself a metric and shown)
 * - `view(name, vrids, findings, now)`: the tracker of that source, about every 200 ms
 * - `finding(name, event, finding, now)`: a finding raised or cleared by that source; returns
 *   the deduplicated alert events (see alerts.ts)
 * Read by the metrics, the page and --json: `state(now)`, `counters()`, `sources()`.
 *
 * A router holds the VIPs ("master") while it advertises: its last advert is less than three of
 * its advert intervals old (plus 250 ms of delivery slack) and was not a resign (priority 0),
 * by the source's clock (the offset
 * between the source's packet clock and ours is the smallest seen). A VRID is judged only from
 * sources that are up; with none up it is `stale` and no owner is not claimed.
 */
import type {Finding} from '../sniff/findings.js'
import type {FindingEvent, VridSummary} from '../sniff/tracker.js'
import type {DumpedInstance} from '../status/keepalived-data.js'
import {AlertDeduper, type AlertEvent} from './alerts.js'
import {Ring} from './ring.js'

export interface InstanceInfo {
  cluster: string
  name: string
  vrid: number
  vips: string[]
}

export interface SourceHealth {
  name: string
  up: boolean
  /** ISO time the current session (up) or gap (down) began */
  since: string | null
  /** gaps so far (a session that ended, or never started) */
  gaps: number
  /** seconds without this source, the current gap included */
  gapSeconds: number
  sessions: number
  lastError: string | null
}

export interface RouterState {
  address: string
  priority: number
  state: 'master' | 'backup'
  intervalCs: number
  vips: string[]
  last: string
  /** sources that hear it */
  sources: string[]
}

/** keepalived's own view of one instance on one node (its data dump) */
export interface KeepalivedInstanceView {
  node: string
  instance: string
  state: string
  priority: number | null
  effectivePriority: number | null
  /** ISO time it was read */
  at: string
}

export type TimelineEntry =
  | {t: number; kind: 'holders'; holders: Array<{address: string; priority: number}>}
  | {t: number; kind: 'finding'; event: FindingEvent | 'event'; code: string; severity: string; message: string}
  | {t: number; kind: 'gap'; source: string; up: boolean}

export interface VridState {
  key: string
  family: 4 | 6
  vrid: number
  cluster: string | null
  instance: string | null
  vips: string[]
  holders: string[]
  splitBrain: boolean
  noOwner: boolean
  /** no source that hears this VRID is up */
  stale: boolean
  routers: RouterState[]
  /** what keepalived on each node says about this VRID's instance (specs only) */
  keepalived: KeepalivedInstanceView[]
  findings: Finding[]
  timeline: TimelineEntry[]
}

export interface MonitorState {
  type: 'state'
  time: string
  sources: SourceHealth[]
  vrids: VridState[]
  /** per node: keepalived's data dump was read at the last try */
  keepalived: Array<{node: string; read: boolean; at: string}>
}

export interface AdvertCount {
  source: string
  family: number
  vrid: number
  router: string
  adverts: number
}

export interface ErrorCount {
  source: string
  code: string
  vrid: number | null
  count: number
}

export interface ModelOptions {
  instances?: InstanceInfo[]
  /** timeline entries kept per VRID (default 512) */
  timelineSize?: number
  /** the page shows this much of the timeline (default one hour) */
  windowMs?: number
  /** VRIDs kept at most (default 512: 255 per address family, and some room) */
  maxVrids?: number
}

/** per-packet problems counted as errors by kind (finding codes whose count is packets) */
export const ERROR_CODES = new Set([
  'bad-ttl', 'bad-checksum', 'truncated', 'unknown-version', 'unknown-type', 'unknown-auth-type', 'auth-in-v3', 'addr-count-mismatch', 'zero-interval',
  'auth-mismatch', 'interval-mismatch', 'vip-mismatch', 'version-mismatch',
])

interface Source {
  name: string
  up: boolean
  sinceMs: number | null
  gaps: number
  gapMs: number
  sessions: number
  lastError: string | null
  vrids: VridSummary[]
  findings: Finding[]
  /** smallest (our clock - newest advert time) seen in this session */
  offsetMs: number
  /** keepalived's view of the node, latest read (null: not readable) */
  keepalived?: {node: string; atMs: number; instances: DumpedInstance[] | null}
}

interface VridTrack {
  key: string
  family: 4 | 6
  vrid: number
  timeline: Ring<TimelineEntry>
  holdersKey: string
  everOwned: boolean
  lastSeenMs: number
}

const HOLD_SLACK_MS = 250

export class MonitorModel {
  private readonly src = new Map<string, Source>()
  private readonly tracks = new Map<string, VridTrack>()
  private readonly dedup = new AlertDeduper()
  /** counts of ended sessions, added to the live ones: counters never go back */
  private readonly baseAdverts = new Map<string, AdvertCount>()
  private readonly baseErrors = new Map<string, ErrorCount>()
  /** family|vrid|router -> time of its latest resign (priority 0 advert) */
  private readonly resigned = new Map<string, number>()
  private readonly instances: InstanceInfo[]
  private readonly timelineSize: number
  private readonly windowMs: number
  private readonly maxVrids: number

  constructor(opts: ModelOptions = {}) {
    this.instances = opts.instances ?? []
    this.timelineSize = opts.timelineSize ?? 512
    this.windowMs = opts.windowMs ?? 3_600_000
    this.maxVrids = opts.maxVrids ?? 512
  }

  addSource(name: string, now: number): void {
    if (!this.src.has(name)) this.src.set(name, {name, up: false, sinceMs: now, gaps: 0, gapMs: 0, sessions: 0, lastError: null, vrids: [], findings: [], offsetMs: Infinity})
  }

  sourceUp(name: string, now: number): void {
    this.addSource(name, now)
    const s = this.src.get(name)!
    if (s.up) return
    if (s.sinceMs !== null) s.gapMs += now - s.sinceMs
    s.up = true
    s.sinceMs = now
    s.sessions++
    s.offsetMs = Infinity
    this.dedup.sourceRestarted(name)
    this.gapEvent(name, true, now)
  }

  /** the session ended (stopped: the monitor itself is stopping, not a gap) */
  sourceDown(name: string, now: number, error: string | null, stopped = false): void {
    this.addSource(name, now)
    const s = this.src.get(name)!
    s.lastError = error
    if (!s.up) return
    s.up = false
    s.sinceMs = now
    if (!stopped) s.gaps++
    // fold this session's counts into the base
    for (const c of this.liveAdverts(s)) addTo(this.baseAdverts, `${c.source}|${c.family}|${c.vrid}|${c.router}`, c, c.adverts)
    for (const c of this.liveErrors(s)) addTo(this.baseErrors, `${c.source}|${c.code}|${c.vrid}`, c, c.count)
    s.vrids = []
    s.findings = []
    this.gapEvent(name, false, now)
  }

  /** the latest view of a source's tracker */
  view(name: string, vrids: VridSummary[], findings: Finding[], now: number): void {
    const s = this.src.get(name)
    if (!s || !s.up) return
    s.vrids = vrids
    s.findings = findings.filter((f) => f.active || ERROR_CODES.has(f.code))
    for (const v of vrids) {
      const off = now - v.lastMs
      if (off < s.offsetMs) s.offsetMs = off
      this.track(v.family, v.vrid, now)
    }
    this.updateHolders(now)
  }

  /** keepalived's own view of a source's node (undefined: keepalived not running or dump not readable) */
  keepalivedView(name: string, node: string, instances: DumpedInstance[] | undefined, now: number): void {
    const s = this.src.get(name)
    if (!s) return
    s.keepalived = {node, atMs: now, instances: instances ?? null}
  }

  /** keepalived's view of every node read, per instance */
  keepalivedInstances(): KeepalivedInstanceView[] {
    const out: KeepalivedInstanceView[] = []
    for (const s of this.src.values()) {
      const k = s.keepalived
      if (!k?.instances) continue
      for (const i of k.instances) out.push({node: k.node, instance: i.name, state: i.state, priority: i.priority ?? null, effectivePriority: i.effectivePriority ?? null, at: new Date(k.atMs).toISOString()})
    }
    return out
  }

  /** a finding raised or cleared by a source: into the timeline; returns the alerts to send */
  finding(name: string, event: FindingEvent, f: Finding, now: number): AlertEvent[] {
    if (f.code === 'master-resigned' && f.vrid !== null && f.family !== null) {
      // the resigned router holds nothing from its priority 0 advert on (bounded: one per router)
      for (const r of f.routers) this.resigned.set(`${f.family}|${f.vrid}|${r}`, Date.parse(f.last))
    }
    const alerts = this.dedup.onFinding(name, event, f, now)
    for (const a of alerts) this.findingEvent(a, now)
    return alerts
  }

  /** resolve what a restarted source did not see again */
  sweep(name: string, now: number): AlertEvent[] {
    const alerts = this.dedup.sweep(name, now)
    for (const a of alerts) this.findingEvent(a, now)
    return alerts
  }

  firing(): ReturnType<AlertDeduper['firing']> {
    return this.dedup.firing()
  }

  sources(now: number): SourceHealth[] {
    return [...this.src.values()].map((s) => ({
      name: s.name,
      up: s.up,
      since: s.sinceMs === null ? null : new Date(s.sinceMs).toISOString(),
      gaps: s.gaps,
      gapSeconds: (s.gapMs + (!s.up && s.sinceMs !== null ? now - s.sinceMs : 0)) / 1000,
      sessions: s.sessions,
      lastError: s.lastError,
    }))
  }

  /** adverts heard per source, VRID and router since the monitor started */
  adverts(): AdvertCount[] {
    const out = new Map<string, AdvertCount>()
    for (const [k, c] of this.baseAdverts) out.set(k, {...c})
    for (const s of this.src.values()) for (const c of this.liveAdverts(s)) addTo(out, `${c.source}|${c.family}|${c.vrid}|${c.router}`, c, c.adverts)
    return [...out.values()]
  }

  /** per-packet errors (see ERROR_CODES) per source, code and VRID since the monitor started */
  errors(): ErrorCount[] {
    const out = new Map<string, ErrorCount>()
    for (const [k, c] of this.baseErrors) out.set(k, {...c})
    for (const s of this.src.values()) for (const c of this.liveErrors(s)) addTo(out, `${c.source}|${c.code}|${c.vrid}`, c, c.count)
    return [...out.values()]
  }

  state(now: number): MonitorState {
    const vrids: VridState[] = []
    const kv = this.keepalivedInstances()
    for (const t of this.tracks.values()) {
      const j = this.judge(t, now)
      const inst = this.instanceOf(t.vrid)
      vrids.push({
        key: t.key,
        family: t.family,
        vrid: t.vrid,
        cluster: inst?.cluster ?? null,
        instance: inst?.name ?? null,
        vips: j.vips.length ? j.vips : (inst?.vips ?? []),
        holders: j.holders,
        splitBrain: j.split,
        noOwner: !j.stale && t.everOwned && j.holders.length === 0,
        stale: j.stale,
        routers: j.routers,
        keepalived: kv.filter((k) => this.instances.some((i) => i.name === k.instance && i.vrid === t.vrid)),
        findings: j.findings,
        timeline: t.timeline.toArray().filter((e) => now - e.t <= this.windowMs),
      })
    }
    vrids.sort((a, b) => a.family - b.family || a.vrid - b.vrid)
    const keepalived = [...this.src.values()].flatMap((s) => (s.keepalived ? [{node: s.keepalived.node, read: s.keepalived.instances !== null, at: new Date(s.keepalived.atMs).toISOString()}] : []))
    return {type: 'state', time: new Date(now).toISOString(), sources: this.sources(now), vrids, keepalived}
  }

  private instanceOf(vrid: number): InstanceInfo | undefined {
    return this.instances.find((i) => i.vrid === vrid)
  }

  private track(family: 4 | 6, vrid: number, now: number): VridTrack | undefined {
    const key = `${family}|${vrid}`
    let t = this.tracks.get(key)
    if (!t) {
      if (this.tracks.size >= this.maxVrids) {
        // forget the VRID heard least recently
        let old: VridTrack | undefined
        for (const x of this.tracks.values()) if (!old || x.lastSeenMs < old.lastSeenMs) old = x
        if (old) this.tracks.delete(old.key)
      }
      t = {key, family, vrid, timeline: new Ring(this.timelineSize), holdersKey: '', everOwned: false, lastSeenMs: now}
      this.tracks.set(key, t)
    }
    t.lastSeenMs = now
    return t
  }

  /** from the sources that are up: routers, holders, active findings of one VRID */
  private judge(t: VridTrack, now: number) {
    const routers = new Map<string, RouterState & {lastMs: number}>()
    let seen = false
    for (const s of this.src.values()) {
      if (!s.up) continue
      for (const v of s.vrids) {
        if (v.family !== t.family || v.vrid !== t.vrid) continue
        seen = true
        const clock = now - (Number.isFinite(s.offsetMs) ? s.offsetMs : 0)
        for (const r of v.routers) {
          const lastMs = Date.parse(r.last)
          const resignedAt = this.resigned.get(`${t.family}|${t.vrid}|${r.address}`)
          const holds = clock - lastMs <= 3 * Math.max(1, r.intervalCs) * 10 + HOLD_SLACK_MS && !(resignedAt !== undefined && resignedAt >= lastMs - 1)
          const prev = routers.get(r.address)
          if (!prev || lastMs > prev.lastMs) {
            routers.set(r.address, {address: r.address, priority: r.priority, state: holds || prev?.state === 'master' ? 'master' : 'backup', intervalCs: r.intervalCs, vips: r.vips, last: r.last, lastMs, sources: [...(prev?.sources ?? []), s.name]})
          } else {
            if (holds) prev.state = 'master'
            prev.sources.push(s.name)
          }
        }
      }
    }
    const list = [...routers.values()].sort((a, b) => (a.address < b.address ? -1 : 1)).map(({lastMs: _l, ...r}) => r)
    const holders = list.filter((r) => r.state === 'master').map((r) => r.address)
    const findings: Finding[] = []
    const seenKeys = new Set<string>()
    for (const s of this.src.values()) {
      if (!s.up) continue
      for (const f of s.findings) {
        if (!f.active || f.vrid !== t.vrid || (f.family !== null && f.family !== t.family)) continue
        const k = `${f.code}|${f.routers.join(',')}`
        if (seenKeys.has(k)) continue
        seenKeys.add(k)
        findings.push(f)
      }
    }
    const split = findings.some((f) => f.code === 'split-brain')
    const vips = [...new Set(list.filter((r) => r.state === 'master').flatMap((r) => r.vips))]
    return {routers: list, holders, findings, split, stale: !seen, vips: vips.length ? vips : [...new Set(list.flatMap((r) => r.vips))]}
  }

  private updateHolders(now: number): void {
    for (const t of this.tracks.values()) {
      const j = this.judge(t, now)
      if (j.stale) continue
      const key = j.routers.filter((r) => r.state === 'master').map((r) => `${r.address}:${r.priority}`).join(',')
      if (key === t.holdersKey) continue
      t.holdersKey = key
      if (j.holders.length) t.everOwned = true
      t.timeline.push({t: now, kind: 'holders', holders: j.routers.filter((r) => r.state === 'master').map((r) => ({address: r.address, priority: r.priority}))})
    }
  }

  private findingEvent(a: AlertEvent, now: number): void {
    const f = a.finding
    const text = {t: now, kind: 'finding' as const, event: a.status === 'firing' ? ('raised' as const) : a.status === 'resolved' ? ('cleared' as const) : ('event' as const), code: f.code, severity: f.severity, message: f.message}
    if (f.vrid === null) {
      for (const t of this.tracks.values()) t.timeline.push(text)
      return
    }
    for (const fam of f.family === null ? ([4, 6] as const) : [f.family]) {
      const t = this.tracks.get(`${fam}|${f.vrid}`) ?? (f.family === null ? undefined : this.track(fam, f.vrid, now))
      t?.timeline.push(text)
    }
  }

  private gapEvent(source: string, up: boolean, now: number): void {
    for (const t of this.tracks.values()) t.timeline.push({t: now, kind: 'gap', source, up})
  }

  private liveAdverts(s: Source): AdvertCount[] {
    return s.vrids.flatMap((v) => v.routers.map((r) => ({source: s.name, family: v.family, vrid: v.vrid, router: r.address, adverts: r.adverts})))
  }

  private liveErrors(s: Source): ErrorCount[] {
    const out = new Map<string, ErrorCount>()
    for (const f of s.findings) {
      if (!ERROR_CODES.has(f.code)) continue
      addTo(out, `${s.name}|${f.code}|${f.vrid}`, {source: s.name, code: f.code, vrid: f.vrid, count: 0}, f.count)
    }
    return [...out.values()]
  }
}

function addTo<T extends {adverts: number} | {count: number}>(m: Map<string, T>, key: string, proto: T, n: number): void {
  const field = 'adverts' in proto ? 'adverts' : 'count'
  const cur = m.get(key)
  if (cur) (cur as Record<string, number>)[field] += n
  else m.set(key, {...proto, [field]: n})
}
