/**
 * Per-VRID state of everything heard on the wire, and the findings derived from it.
 * Pure: fed with parsed frames and times, it never reads a clock or prints.
 *
 * Exported API:
 * - `SniffTracker`: `new SniffTracker({onFinding?, flapCount?, flapWindowMs?})`
 *   - `observe(index, timeMs, iface, frame)`: one captured frame (index is 1-based); a frame
 *     without a capture time (timeMs NaN, e.g. a pcapng Simple Packet Block) counts for the
 *     statistics and the configuration checks, never for the timeline
 *   - `tick(nowMs)`: advance time without a packet (live capture), to see silent masters
 *   - `vrids()`: `VridSummary[]` (stable --json shape) ; `findings()`: every `Finding`
 *   - `hasErrors()`: an error-severity finding was raised (exit code 3)
 *
 * The timeline: only a master sends adverts, so every advert says "this router is master now".
 * The routers of a VRID are grouped into clusters by their virtual addresses (routers whose VIP
 * sets share an address are one cluster; a cluster with disjoint VIPs on the same VRID is another
 * cluster: a VRID collision). Per cluster the tracker follows who is master when: a router's
 * stretch as master starts with its first advert after silence and ends with its last advert
 * (or its priority 0 resign). From that:
 * - takeover: a new master after the previous one stopped (silent or resigned), with the gap
 *   measured from the old master's last advert (or its resign) and the protocol's bound for the
 *   router that took over: its Master_Down_Interval (or Skew_Time after a resign), from the one
 *   formula in src/vrrp/timers.ts that the engine uses too; the expected router (highest known
 *   priority) is named when it is known
 * - preempt: a higher-priority router started advertising while the master was alive
 * - split brain: two routers of one cluster each advertised twice since the later one began:
 *   starts at the first overlapping advert, ends with the last advert (or resign) of the one
 *   that stopped; evidence from both routers
 * - master silent (error): the master stopped and nobody took over within the longest
 *   Master_Down_Interval any backup may have (priority 1) plus one advert interval; after a
 *   resign, within Skew_Time of priority 1 plus one interval. It ends (with its text updated)
 *   when somebody advertises again.
 * - flapping: more than `flapCount` master changes in `flapWindowMs`
 * - mismatches between the routers of one cluster (interval, version, auth, VIP set, equal
 *   priorities) naming the routers that disagree; VRID collisions naming the clusters;
 *   priority 255, CARP, and every per-packet codec issue.
 * `onFinding(event, finding)` is called with 'raised' when a finding appears and 'cleared'
 * when it stops (split brain healed, silent master back or replaced).
 */
import {byCodePoint} from '../lib/compare.js'
import type {ParsedFrame} from '../capture/frame.js'
import {authPassword, intervalCs} from '../vrrp/codec.js'
import {masterDownMs, skewMs, type VrrpVersion} from '../vrrp/timers.js'
import type {IpFamily, VrrpPacket} from '../vrrp/types.js'
import {FINDING_CATALOGUE, type Finding, type FindingCode} from './findings.js'
import {formatDuration, isoMicro} from './time.js'

export type FindingEvent = 'raised' | 'cleared'

export interface RouterSummary {
  address: string
  mac: string | null
  priority: number
  version: number
  intervalCs: number
  authType: string
  vips: string[]
  adverts: number
  first: string
  last: string
}

export interface VridSummary {
  interface: string
  family: IpFamily
  vrid: number
  master: string | null
  masterMac: string | null
  priority: number | null
  intervalCs: number | null
  vips: string[]
  authType: string | null
  adverts: number
  /** adverts per second over the last 10 s of capture time */
  advertsPerSec: number
  masterChanges: number
  routers: RouterSummary[]
  first: string
  last: string
  lastMs: number
}

interface Router {
  address: string
  mac: string | null
  priority: number
  version: number
  intervalCs: number
  authType: number
  /** kept in memory to compare routers; never output */
  password: string | undefined
  vipsKey: string
  vips: string[]
  adverts: number
  firstMs: number
  firstIndex: number
  lastMs: number
  lastIndex: number
  /** its latest advert had priority 0 */
  resigned: boolean
  /** first advert of its current stretch as master */
  stretchMs: number
  stretchIndex: number
  /** times and packet numbers of the latest adverts (ring of RING entries) */
  ring: number[]
  ringIdx: number[]
  ringPos: number
  cluster: Cluster
  authData?: Uint8Array
  lastPacket?: VrrpPacket
}

/** the routers of one VRID that share virtual addresses */
interface Cluster {
  key: string
  routers: Router[]
  master?: Router
  resigned?: {router: Router; atMs: number; index: number}
  split?: FindingState
  silent?: FindingState & {from: Router; deadlineMs: number}
  /** a higher-priority router began to advertise while the master did: a preempt once the old master stops */
  preempt?: {from: Router; to: Router; atMs: number; index: number}
  /** times of the latest master changes (flapping window) */
  changes: number[]
}

const RING = 4
const RATE_WINDOW_MS = 10_000
/** time resolution of silence / healing checks */
const TICK_MS = 10

function version(r: Router): VrrpVersion {
  return r.version === 3 ? 3 : 2
}

/** advert interval in ms (a zero interval, itself a finding, counts as 10 ms) */
function ivlMs(r: Router): number {
  return Math.max(1, r.intervalCs) * 10
}

/** r missed adverts: nothing from it for two and a half intervals (it stopped being master) */
function missGap(r: Router): number {
  return 2.5 * ivlMs(r)
}

/** r heard again after this long starts a new stretch as master (its own Master_Down_Interval) */
function stretchGap(r: Router): number {
  return masterDownMs(version(r), r.priority, ivlMs(r))
}

/**
 * the protocol's bound for backup b taking over from m: Master_Down_Interval (m silent) or
 * Skew_Time (m resigned) of b; a VRRPv3 backup times with the master's interval
 */
function takeoverBound(m: Router, b: Router, resigned: boolean): number {
  const v = version(b)
  const ivl = v === 3 ? ivlMs(m) : ivlMs(b)
  return resigned ? skewMs(v, b.priority, ivl) : masterDownMs(v, b.priority, ivl)
}

/** the latest a backup of any priority (1) may take over from m, plus one interval of slack */
function silentDeadline(m: Router, resigned: boolean): number {
  const v = version(m)
  const ivl = ivlMs(m)
  return (resigned ? skewMs(v, 1, ivl) : masterDownMs(v, 1, ivl)) + ivl
}

/** adverts of r at or after time t, counting up to RING */
function advertsSince(r: Router, t: number): number {
  let n = 0
  for (let i = 0; i < r.ring.length; i++) if (r.ring[i] >= t) n++
  return n
}

/** packet numbers of r's adverts at or after time t */
function indicesSince(r: Router, t: number): number[] {
  const out: number[] = []
  for (let i = 0; i < r.ring.length; i++) if (r.ring[i] >= t) out.push(r.ringIdx[i])
  return out
}

/** before this time tick() cannot change anything about c (see tick()) */
function quietUntil(c: Cluster): number {
  if (c.split?.active || c.preempt) return -Infinity
  if (c.silent?.active) return Infinity
  if (c.master) return c.master.lastMs + silentDeadline(c.master, false)
  if (c.resigned) return c.resigned.atMs + silentDeadline(c.resigned.router, true)
  return Infinity
}

interface Vrid {
  key: string
  iface: string
  family: IpFamily
  vrid: number
  routers: Map<string, Router>
  /** the routers' values in insertion order */
  list: Router[]
  clusters: Cluster[]
  adverts: number
  firstMs: number
  lastMs: number
  rateStart: number
  rateCount: number
  /** adverts per second over the last complete window */
  rate: number
  changeCount: number
}

interface FindingState extends Finding {
  id: string
  firstMs: number
  lastMs: number
}

export interface TrackerOptions {
  onFinding?: (event: FindingEvent, f: Finding) => void
  /** more than this many master changes in flapWindowMs is flapping (default 3) */
  flapCount?: number
  flapWindowMs?: number
  /**
   * keep at most this many findings that are over (cleared, or one-shot like takeover), the
   * oldest forgotten first: a long-running monitor stays bounded (default: keep all, as a
   * capture's summary lists every finding)
   */
  maxDoneFindings?: number
}

const MAX_SLOTS = 4096
const EVIDENCE_HEAD = 5
const EVIDENCE_TAIL = 5
const AUTH_NAMES: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}

export function authTypeName(t: number): string {
  return AUTH_NAMES[t] ?? `unknown(${t})`
}

interface RaiseOptions {
  measuredMs?: number
  severity?: Finding['severity']
  /** the packets that show it (default: the current one) */
  evidence?: number[]
  /** time of the last evidence, when later than t */
  lastMs?: number
}

export class SniffTracker {
  private readonly vr = new Map<string, Vrid>()
  /** the clusters of every VRID, looped over on every tick */
  private readonly clusterList: Cluster[] = []
  private readonly byIface = new Map<string, Map<number, Vrid>>()
  private lastIface?: string
  private lastIfaceMap?: Map<number, Vrid>
  private readonly all = new Map<string, FindingState>()
  /** ids of the findings that are over, oldest first (only with maxDoneFindings) */
  private readonly done: string[] = []
  private readonly flapCount: number
  private readonly flapWindowMs: number
  private lastTick = -Infinity
  /** tick() has nothing to do before this time (see quietUntil()); lowered by adverts */
  private quietUntil = -Infinity
  private clusterSeq = 0
  /**
   * the VRID and router of an advert by its packet object: the frame cache hands out one object
   * per router while its advert stays the same, so a repeated advert skips the map lookups (a
   * changed advert, or a frame decoded without the cache, is a new object: the map is emptied at
   * MAX_SLOTS)
   */
  private readonly slots = new Map<VrrpPacket, {iface: string; v: Vrid; r: Router}>()

  constructor(private readonly opts: TrackerOptions = {}) {
    this.flapCount = opts.flapCount ?? 3
    this.flapWindowMs = opts.flapWindowMs ?? 60_000
  }

  hasErrors(): boolean {
    for (const f of this.all.values()) if (f.severity === 'error') return true
    return false
  }

  findings(): Finding[] {
    return [...this.all.values()].map(publicFinding)
  }

  observe(index: number, t: number, iface: string, f: ParsedFrame): void {
    if (t === t) this.tick(t)
    const ip = f.ip
    if (f.kind === 'carp') {
      this.note('carp', `carp|${iface}|${ip!.src}`, t, index, iface, ip!.family, null, [ip!.src], `CARP advertisement from ${ip!.src} on protocol 112`)
      return
    }
    const r = f.vrrp
    if (!r || !ip) return
    const p = r.packet
    const vrid = p && p.vrid ? p.vrid : null
    let dropped = r.kind !== 'vrrp'
    for (const is of r.issues) {
      if (is.severity === 'error') dropped = true
      this.note(is.code, `${is.code}|${iface}|${ip.src}|${vrid}`, t, index, iface, ip.family, vrid, [ip.src], `${ip.src}${vrid === null ? '' : ` (VRID ${vrid})`}: ${is.message}`)
    }
    if (dropped || !p) return
    this.advert(index, t, iface, ip.family, ip.src, f.srcMac ?? null, p)
  }

  /** time passes: silent masters, resigned masters nobody replaced, healed split brains */
  tick(now: number): void {
    if (now - this.lastTick < TICK_MS && now >= this.lastTick) return
    this.lastTick = now
    if (now < this.quietUntil) return
    let quiet = Infinity
    for (const c of this.clusterList) {
      const m = c.master
      if (c.silent?.active) {
        // reported; the next advert of the cluster ends it
      } else if (m && now - m.lastMs > silentDeadline(m, false)) {
        this.raiseSilent(c, m, false, now)
      } else if (!m && c.resigned && now - c.resigned.atMs > silentDeadline(c.resigned.router, true)) {
        this.raiseSilent(c, c.resigned.router, true, now)
      }
      if (c.split?.active) this.settleSplit(c, now)
      if (c.preempt) this.settlePreempt(c, now)
      quiet = Math.min(quiet, quietUntil(c))
    }
    this.quietUntil = quiet
  }

  private raiseSilent(c: Cluster, m: Router, resigned: boolean, now: number): void {
    const v = this.vridOfCluster(c)
    const from = resigned ? c.resigned!.atMs : m.lastMs
    const deadline = silentDeadline(m, resigned)
    const heir = this.heir(c, m)
    const what = resigned ? `${m.address} resigned as master of VRID ${v.vrid}` : `master ${m.address} of VRID ${v.vrid} stopped advertising`
    const bound = resigned ? 'Skew_Time' : 'Master_Down_Interval'
    this.raise('master-silent', `silent|${c.key}`, from, resigned ? c.resigned!.index : m.lastIndex, v, [m.address], `${what} and nobody took over within ${formatDuration(deadline)} (the longest ${bound} of any backup, plus one advert interval); ${heir}`, {lastMs: now})
    c.silent = Object.assign(this.all.get(`silent|${c.key}`)!, {from: m, deadlineMs: deadline})
  }

  /** the router expected to take over from gone: the highest priority heard in the cluster */
  private expected(c: Cluster, gone: Router): Router | undefined {
    let best: Router | undefined
    for (const r of c.routers) {
      if (r === gone || r.priority === 0 || r.resigned) continue
      if (!best || r.priority > best.priority || (r.priority === best.priority && cmpIp(r.address, best.address) > 0)) best = r
    }
    return best
  }

  private heir(c: Cluster, gone: Router): string {
    const e = this.expected(c, gone)
    return e
      ? `expected ${e.address} (priority ${e.priority}) to take over`
      : 'no other router of this cluster was heard: check that a backup runs and hears the master (it takes over after its Master_Down_Interval)'
  }

  private advert(index: number, t: number, iface: string, family: IpFamily, src: string, mac: string | null, p: VrrpPacket): void {
    const slot = this.slots.get(p)
    let v: Vrid
    let r: Router
    if (slot !== undefined && slot.iface === iface) {
      v = slot.v
      r = this.advertTo(v, slot.r, index, t, src, mac, p)
    } else {
      v = this.vridOf(iface, family, p.vrid, t)
      r = this.advertTo(v, v.routers.get(src), index, t, src, mac, p)
      if (this.slots.size >= MAX_SLOTS) this.slots.clear()
      this.slots.set(p, {iface, v, r})
    }
    const q = quietUntil(r.cluster)
    if (q < this.quietUntil) this.quietUntil = q
  }

  private vridOf(iface: string, family: IpFamily, vrid: number, t: number): Vrid {
    let byVrid = this.lastIface === iface ? this.lastIfaceMap : this.byIface.get(iface)
    if (!byVrid) this.byIface.set(iface, (byVrid = new Map()))
    this.lastIface = iface
    this.lastIfaceMap = byVrid
    let v = byVrid.get(family * 256 + vrid)
    if (!v) {
      const key = `${iface}|${family}|${vrid}`
      v = {key, iface, family, vrid, routers: new Map(), list: [], clusters: [], adverts: 0, firstMs: t, lastMs: t, rateStart: t, rateCount: 0, rate: 0, changeCount: 0}
      byVrid.set(family * 256 + vrid, v)
      this.vr.set(key, v)
    }
    return v
  }

  private readonly clusterVrid = new Map<Cluster, Vrid>()

  private vridOfCluster(c: Cluster): Vrid {
    return this.clusterVrid.get(c)!
  }

  /** the cluster r belongs to by its VIPs (a new one when no cluster shares an address with it) */
  private place(v: Vrid, r: Router, t: number, index: number): void {
    const mine = new Set(r.vips)
    const shares = (c: Cluster) => c.routers.some((o) => o !== r && (o.vips.length === 0 && r.vips.length === 0 ? true : o.vips.some((x) => mine.has(x))))
    let c = v.clusters.find(shares)
    if (!c) {
      // alone in its cluster with unchanged addresses: stays
      if (r.cluster && r.cluster.routers.length === 1 && r.cluster.routers[0] === r) return
      c = {key: `${v.key}|${this.clusterSeq++}`, routers: [], changes: []}
      v.clusters.push(c)
      this.clusterList.push(c)
      this.clusterVrid.set(c, v)
    }
    if (r.cluster === c) return
    const old = r.cluster as Cluster | undefined
    if (old) {
      old.routers.splice(old.routers.indexOf(r), 1)
      if (old.master === r) old.master = undefined
      if (old.routers.length === 0) {
        v.clusters.splice(v.clusters.indexOf(old), 1)
        this.clusterList.splice(this.clusterList.indexOf(old), 1)
      }
    }
    c.routers.push(r)
    r.cluster = c
    if (v.clusters.length > 1) this.collision(v, t, index)
  }

  private collision(v: Vrid, t: number, index: number): void {
    const texts = v.clusters.map((c) => {
      const rs = [...c.routers].sort((a, b) => cmpIp(a.address, b.address))
      const vips = [...new Set(rs.flatMap((r) => r.vips))]
      return `${rs.map((r) => r.address).join(', ')} (VIPs ${vips.join(',') || 'none'})`
    })
    const routers = v.clusters.flatMap((c) => c.routers.map((r) => r.address)).sort(cmpIp)
    const evidence = v.clusters.map((c) => Math.min(...c.routers.map((r) => r.firstIndex)))
    this.raise('vrid-collision', `coll|${v.key}`, t, index, v, routers, `VRID ${v.vrid} is used by ${v.clusters.length} clusters on this segment: ${texts.join(' and ')}`, {evidence: [...evidence, index]})
  }

  /** an advert of router r (undefined: first heard now, as src) for VRID v */
  private advertTo(v: Vrid, r: Router | undefined, index: number, t: number, src: string, mac: string | null, p: VrrpPacket): Router {
    const timed = t === t
    v.adverts++
    if (timed) {
      if (!(v.lastMs >= v.firstMs)) v.firstMs = v.rateStart = t
      v.lastMs = t
      if (t - v.rateStart >= RATE_WINDOW_MS) {
        v.rate = v.rateCount / ((t - v.rateStart) / 1000)
        v.rateStart = t
        v.rateCount = 0
      }
      v.rateCount++
    }
    let changed = false
    let vipsChanged = false
    let newStretch = false
    if (!r) {
      const ivl = intervalCs(p)
      r = {
        address: src, mac, priority: p.priority, version: p.version, intervalCs: ivl, authType: p.authType, password: authPassword(p), vipsKey: p.addresses.join(','), vips: [...p.addresses],
        adverts: 0, firstMs: t, firstIndex: index, lastMs: Number.NaN, lastIndex: index, resigned: false, stretchMs: t, stretchIndex: index,
        ring: [], ringIdx: [], ringPos: 0, cluster: undefined as unknown as Cluster, authData: copyOf(p.authData), lastPacket: p,
      }
      v.routers.set(src, r)
      v.list.push(r)
      changed = vipsChanged = newStretch = true
    } else if (r.lastPacket !== p) {
      // a packet object that differs from the last one of this router (the frame cache gives a
      // router's unchanged adverts the same object): compare the fields that matter
      r.lastPacket = p
      const ivl = intervalCs(p)
      const vipsKey = p.addresses.join(',')
      vipsChanged = r.vipsKey !== vipsKey
      changed = r.priority !== p.priority || r.version !== p.version || r.intervalCs !== ivl || r.authType !== p.authType || vipsChanged
      if (changed) {
        r.version = p.version
        r.intervalCs = ivl
        r.authType = p.authType
        r.vipsKey = vipsKey
        r.vips = [...p.addresses]
      }
      if (p.authType === 1 && !sameBytes(p.authData, r.authData)) {
        r.authData = copyOf(p.authData)
        r.password = authPassword(p)
        changed = true
      }
    }
    r.mac = mac ?? r.mac
    r.adverts++
    if (timed) {
      if (!newStretch && (r.resigned || !(t - r.lastMs <= stretchGap(r)))) newStretch = true
      if (newStretch) {
        r.stretchMs = t
        r.stretchIndex = index
      }
      if (!(r.firstMs === r.firstMs)) r.firstMs = t
      r.lastMs = t
      if (r.ring.length < RING) {
        r.ring.push(t)
        r.ringIdx.push(index)
      } else {
        r.ring[r.ringPos] = t
        r.ringIdx[r.ringPos] = index
        r.ringPos = (r.ringPos + 1) % RING
      }
    }
    r.lastIndex = index
    // a priority 0 advert is a resign, not a new priority to compare
    if (p.priority !== 0) r.priority = p.priority
    if (vipsChanged) this.place(v, r, t, index)
    if (changed) this.compare(v, r.cluster, r, t, index)
    if (timed) this.timeline(v, r, p.priority, newStretch, t, index)
    return r
  }

  /** who is master when: takeover, preempt, resign, silence ended, split brain */
  private timeline(v: Vrid, r: Router, priority: number, newStretch: boolean, t: number, index: number): void {
    const c = r.cluster
    if (priority === 0) {
      r.resigned = true
      this.raise('master-resigned', `resigned|${c.key}|${r.address}|${t}`, t, index, v, [r.address], `${r.address} resigned as master of VRID ${v.vrid} (priority 0)`)
      if (c.master === r) {
        c.master = undefined
        c.resigned = {router: r, atMs: t, index}
      }
      if (c.split?.active) this.settleSplit(c, t)
      return
    }
    r.resigned = false
    const silent = c.silent
    if (silent?.active) this.endSilence(v, c, silent, r, t, index)
    const m = c.master
    if (m !== r) {
      if (!m) {
        const gone = c.resigned
        if (gone && gone.router !== r) this.takeover(v, c, gone.router, r, true, gone.atMs, gone.index, t, index)
        c.master = r
      } else if (newStretch) {
        if (m.resigned || t - m.lastMs > missGap(m)) {
          this.takeover(v, c, m, r, false, m.lastMs, m.lastIndex, t, index)
          c.master = r
        } else if (r.priority > m.priority) {
          // a preempt when m stops now (within an advert or so); split brain if it goes on
          c.preempt = {from: m, to: r, atMs: t, index}
          c.master = r
        }
        // else: a second master while the master still advertises (split brain, below)
      } else if (t - m.lastMs > missGap(m)) {
        // r was advertising already (beside m): m stopped, r stays
        c.master = r
      }
      c.resigned = undefined
    }
    this.splitCheck(v, c, r, t, index)
    if (c.preempt) this.settlePreempt(c, t)
  }

  /** the preempted master stopped: report the preempt (from the new master's first advert) */
  private settlePreempt(c: Cluster, now: number): void {
    const p = c.preempt!
    const {from: m, to: r} = p
    if (c.split?.active && c.split.routers.includes(m.address) && c.split.routers.includes(r.address)) {
      c.preempt = undefined
      return
    }
    if (!(m.resigned || now - m.lastMs > missGap(m))) return
    c.preempt = undefined
    const v = this.vridOfCluster(c)
    this.raise('preempt', `preempt|${c.key}|${p.atMs}`, p.atMs, p.index, v, [m.address, r.address].sort(cmpIp), `${r.address} (priority ${r.priority}) preempted ${m.address} (priority ${m.priority}) as master of VRID ${v.vrid}; ${m.lastMs > p.atMs ? `${m.address} sent its last advert ${formatDuration(m.lastMs - p.atMs)} later` : `${m.address} sent no advert after it`}`, {evidence: [...new Set([p.index, m.lastIndex])].sort((a, b) => a - b), lastMs: m.lastMs})
    this.masterChange(v, c, p.atMs, p.index)
  }

  private takeover(v: Vrid, c: Cluster, from: Router, to: Router, resigned: boolean, fromMs: number, fromIndex: number, t: number, index: number): void {
    const gap = t - fromMs
    const bound = takeoverBound(from, to, resigned)
    const slack = ivlMs(from)
    const exp = this.expected(c, from)
    const boundText = `${resigned ? 'Skew_Time' : 'Master_Down_Interval'} of ${to.address} at priority ${to.priority}: ${formatDuration(bound)}`
    let severity: Finding['severity'] = 'info'
    let verdict = `within the protocol's bound (${boundText})`
    if (gap > bound + slack) {
      severity = 'warning'
      verdict = `later than the protocol's bound (${boundText}) by ${formatDuration(gap - bound)}`
    } else if (gap < bound - slack) {
      severity = 'warning'
      verdict = `earlier than the protocol's bound (${boundText}): ${to.address} did not hear ${from.address}'s last adverts`
    }
    const expText = exp && exp !== to ? `; expected ${exp.address} (priority ${exp.priority}), heard earlier in this capture` : ''
    this.raise(
      'takeover',
      `takeover|${c.key}|${t}`,
      t,
      index,
      v,
      [from.address, to.address],
      `${to.address} (priority ${to.priority}) took over VRID ${v.vrid} from ${from.address} ${formatDuration(gap)} after its ${resigned ? 'resign' : 'last advert'}, ${verdict}${expText}`,
      {measuredMs: gap, severity, evidence: [fromIndex, index]},
    )
    this.masterChange(v, c, t, index)
  }

  /** somebody of c advertised again after a master-silent finding was raised */
  private endSilence(v: Vrid, c: Cluster, silent: NonNullable<Cluster['silent']>, r: Router, t: number, index: number): void {
    const gap = t - silent.firstMs
    silent.measuredMs = Math.round(gap * 1000) / 1000
    const m = silent.from
    // a live tick saw silence, but by the capture clock the adverts came in time (they were
    // only delivered late): not a finding
    if (gap <= silent.deadlineMs) {
      this.all.delete(silent.id)
      silent.active = false
      c.silent = undefined
      return
    }
    silent.message = `${r === m ? `master ${m.address} of VRID ${v.vrid} was silent for ${formatDuration(gap)}, then advertised again` : `after ${m.address} stopped, VRID ${v.vrid} had no master for ${formatDuration(gap)} until ${r.address} took over`}: longer than the ${formatDuration(silent.deadlineMs)} any backup may wait`
    if (!silent.routers.includes(r.address)) silent.routers.push(r.address)
    silent.routers.sort(cmpIp)
    addEvidence(silent.evidence, index)
    silent.count++
    this.clear(silent, t)
    c.silent = undefined
  }

  /** split brain: r and another router of c each advertised twice since the later one began */
  private splitCheck(v: Vrid, c: Cluster, r: Router, t: number, index: number): void {
    if (c.routers.length < 2) return
    let rivals: Router[] | undefined
    let start = Infinity
    let startIndex = index
    for (const o of c.routers) {
      if (o === r || o.resigned || !(t - o.lastMs <= missGap(o))) continue
      const since = Math.max(r.stretchMs, o.stretchMs)
      if (advertsSince(o, since) >= 2 && advertsSince(r, since) >= 2) {
        ;(rivals ??= []).push(o)
        if (since < start) {
          start = since
          startIndex = r.stretchMs >= o.stretchMs ? r.stretchIndex : o.stretchIndex
        }
      }
    }
    if (!rivals) return
    const sb = c.split
    if (sb?.active) {
      this.touch(sb, t, index)
      let added = false
      for (const o of [r, ...rivals]) if (!sb.routers.includes(o.address)) (added = true), sb.routers.push(o.address)
      if (added) {
        sb.routers.sort(cmpIp)
        sb.message = splitText(v, sb.routers)
      }
      return
    }
    const names = [r, ...rivals].map((x) => x.address).sort(cmpIp)
    const evidence = [...new Set([startIndex, ...[r, ...rivals].flatMap((x) => indicesSince(x, start))])].sort((a, b) => a - b)
    this.raise('split-brain', `split|${c.key}`, start, startIndex, v, names, splitText(v, names), {evidence, lastMs: t})
    c.split = this.all.get(`split|${c.key}`)
  }

  /** a split brain ends when fewer than two of its routers still advertise: at the last advert (or resign) of the one that stopped */
  private settleSplit(c: Cluster, now: number): void {
    const sb = c.split!
    const ends: number[] = []
    for (const r of c.routers) {
      if (!sb.routers.includes(r.address)) continue
      ends.push(r.resigned || now - r.lastMs > missGap(r) ? r.lastMs : Infinity)
    }
    ends.sort((a, b) => b - a)
    if (ends.length >= 2 && ends[1] !== Infinity) {
      this.clear(sb, ends[1], true)
      c.split = undefined
    }
  }

  private masterChange(v: Vrid, c: Cluster, t: number, index: number): void {
    v.changeCount++
    c.changes.push(t)
    while (c.changes.length && t - c.changes[0] > this.flapWindowMs) c.changes.shift()
    if (c.changes.length > this.flapCount) {
      this.raise('flapping', `flap|${c.key}`, t, index, v, c.routers.map((r) => r.address).sort(cmpIp), `master of VRID ${v.vrid} changed ${c.changes.length} times in ${formatDuration(this.flapWindowMs)}`)
    }
  }

  /** configuration checks among the routers of cluster c, after r appeared or changed */
  private compare(v: Vrid, c: Cluster, r: Router, t: number, index: number): void {
    if (r.priority === 255) this.raise('priority-255', `p255|${v.key}|${r.address}`, t, index, v, [r.address], `${r.address} advertises priority 255 (address owner) for VRID ${v.vrid}`)
    if (c.routers.length < 2) return
    const sorted = [...c.routers].sort((a, b) => cmpIp(a.address, b.address))
    const differ = (code: FindingCode, key: (x: Router) => string | undefined, label: (x: Router) => string, text: (groups: string) => string, severity?: Finding['severity']) => {
      const groups = new Map<string, Router[]>()
      for (const x of sorted) {
        const k = key(x)
        if (k === undefined) continue
        let g = groups.get(k)
        if (!g) groups.set(k, (g = []))
        g.push(x)
      }
      if (groups.size < 2 || ![...groups.values()].some((g) => g.includes(r))) return false
      const names = [...groups.values()].flat().map((x) => x.address).sort(cmpIp)
      const desc = [...groups.values()].map((g) => `${g.map((x) => x.address).join(', ')} ${label(g[0])}`).join('; ')
      this.raise(code, `${code}|${c.key}`, t, index, v, names, text(desc), {severity, evidence: [...new Set([...[...groups.values()].map((g) => g[0].lastIndex), index])]})
      return true
    }
    const unit = (x: Router) => (x.version === 2 ? `${x.intervalCs / 100} s` : `${x.intervalCs} cs`)
    if (differ('version-mismatch', (x) => String(x.version), (x) => `VRRPv${x.version}`, (d) => `VRID ${v.vrid}: ${d}`)) return
    differ('interval-mismatch', (x) => String(x.intervalCs), (x) => `every ${unit(x)}`, (d) => `VRID ${v.vrid}: ${d}${r.version === 2 ? ' (a VRRPv2 backup drops adverts of another interval and takes over while the master lives)' : ''}`, r.version === 2 ? 'error' : 'warning')
    if (!differ('auth-mismatch', (x) => String(x.authType), (x) => `auth type ${authTypeName(x.authType)}`, (d) => `VRID ${v.vrid}: ${d}`)) {
      let n = 0
      const pw = new Map<string, number>()
      differ('auth-mismatch', (x) => (x.authType === 1 ? `p${pw.get(x.password ?? '') ?? (pw.set(x.password ?? '', ++n), n)}` : undefined), (x) => `password #${pw.get(x.password ?? '')}`, (d) => `VRID ${v.vrid}: different passwords (${d})`)
    }
    differ('vip-mismatch', (x) => x.vipsKey, (x) => `carries ${x.vips.join(',') || 'no addresses'}`, (d) => `VRID ${v.vrid}: ${d}`)
    if (r.priority > 0 && r.priority < 255) {
      const same = sorted.filter((x) => x.priority === r.priority)
      if (same.length > 1) {
        const names = same.map((x) => x.address)
        const tie = names[names.length - 1]
        const seen = c.master && same.includes(c.master) ? c.master.address : r.address
        this.raise('equal-priority', `eq|${c.key}|${r.priority}`, t, index, v, names, `VRID ${v.vrid}: ${names.join(' and ')} all advertise priority ${r.priority} (on a tie the higher primary address, ${tie}, should win); master in this capture: ${seen}`, {evidence: [...new Set([...same.map((x) => x.lastIndex), index])]})
      }
    }
  }

  private note(code: FindingCode, id: string, t: number, index: number, iface: string, family: IpFamily, vrid: number | null, routers: string[], message: string): void {
    this.upsert(code, id, t, index, iface, family, vrid, routers, message, {})
  }

  private raise(code: FindingCode, id: string, t: number, index: number, v: Vrid, routers: string[], message: string, o: RaiseOptions = {}): void {
    this.upsert(code, id, t, index, v.iface, v.family, v.vrid, routers, message, o)
  }

  private upsert(code: FindingCode, id: string, t: number, index: number, iface: string, family: IpFamily | null, vrid: number | null, routers: string[], message: string, o: RaiseOptions): void {
    let f = this.all.get(id)
    const cat = FINDING_CATALOGUE[code]
    if (f && f.active) {
      this.touch(f, o.lastMs ?? t, index)
      let added = false
      for (const r of routers) if (!f.routers.includes(r)) (added = true), f.routers.push(r)
      if (added) f.routers.sort(cmpIp)
      f.message = message
      return
    }
    const evidence: number[] = []
    for (const e of o.evidence ?? [index]) addEvidence(evidence, e)
    f = {
      id,
      code,
      severity: o.severity ?? cat.severity,
      interface: iface,
      family,
      vrid,
      routers: [...routers],
      message,
      fix: cat.fix,
      first: '',
      last: '',
      firstMs: t,
      lastMs: o.lastMs !== undefined && o.lastMs > t ? o.lastMs : t,
      active: true,
      count: evidence.length,
      evidence,
      measuredMs: o.measuredMs === undefined ? null : Math.round(o.measuredMs * 1000) / 1000,
    }
    // one-shot findings (takeover, preempt, resigned) are complete when raised
    if (code === 'takeover' || code === 'master-resigned' || code === 'preempt') f.active = false
    this.all.set(id, f)
    if (!f.active) this.over(id)
    this.opts.onFinding?.('raised', publicFinding(f))
  }

  private touch(f: FindingState, t: number, index: number): void {
    if (t > f.lastMs) f.lastMs = t
    if (!f.evidence.includes(index)) {
      f.count++
      addEvidence(f.evidence, index)
    }
  }

  /** the finding is over (at time `end`; `exact`: end is the time it ended, even if evidence came later) */
  private clear(f: FindingState, end: number, exact = false): void {
    f.active = false
    f.lastMs = exact ? Math.max(f.firstMs, end) : Math.max(f.lastMs, end)
    this.opts.onFinding?.('cleared', publicFinding(f))
    // a later occurrence under the same key is a new finding
    this.all.delete(f.id)
    f.id = `${f.id}@${f.firstMs}`
    this.all.set(f.id, f)
    this.over(f.id)
  }

  /** a finding is over: forget the oldest such beyond maxDoneFindings */
  private over(id: string): void {
    const max = this.opts.maxDoneFindings
    if (max === undefined) return
    this.done.push(id)
    while (this.done.length > max) this.all.delete(this.done.shift()!)
  }

  vrids(): VridSummary[] {
    return [...this.vr.values()]
      .sort((a, b) => byCodePoint(a.iface, b.iface) || a.family - b.family || a.vrid - b.vrid)
      .map((v) => {
        // the master of the cluster heard most recently
        let m: Router | undefined
        for (const c of v.clusters) if (c.master && (!m || c.master.lastMs > m.lastMs)) m = c.master
        const open = (v.lastMs - v.rateStart) / 1000
        const rate = v.rate === 0 && open > 0 ? v.rateCount / open : v.rate
        return {
          interface: v.iface,
          family: v.family,
          vrid: v.vrid,
          master: m?.address ?? null,
          masterMac: m?.mac ?? null,
          priority: m?.priority ?? null,
          intervalCs: m?.intervalCs ?? null,
          vips: m?.vips ?? [],
          authType: m ? authTypeName(m.authType) : null,
          adverts: v.adverts,
          advertsPerSec: Math.round(rate * 100) / 100,
          masterChanges: v.changeCount,
          routers: [...v.routers.values()]
            .sort((a, b) => cmpIp(a.address, b.address))
            .map((r) => ({
              address: r.address,
              mac: r.mac,
              priority: r.priority,
              version: r.version,
              intervalCs: r.intervalCs,
              authType: authTypeName(r.authType),
              vips: r.vips,
              adverts: r.adverts,
              first: isoMicro(r.firstMs),
              last: isoMicro(r.lastMs === r.lastMs ? r.lastMs : r.firstMs),
            })),
          first: isoMicro(v.firstMs),
          last: isoMicro(v.lastMs),
          lastMs: v.lastMs,
        }
      })
  }
}

function splitText(v: Vrid, names: string[]): string {
  return `${names.join(' and ')} all advertise as master of VRID ${v.vrid} at the same time`
}

/** a private copy: a frame's bytes may live in a reader buffer that is reused */
function copyOf(b: Uint8Array | undefined): Uint8Array | undefined {
  return b && Uint8Array.from(b)
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true
  if (!a || !b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function addEvidence(ev: number[], index: number): void {
  if (ev.includes(index)) return
  const n = ev.length
  if (n < EVIDENCE_HEAD + EVIDENCE_TAIL) ev.push(index)
  else {
    // drop the oldest of the tail (ev[EVIDENCE_HEAD]) and append, in place
    for (let i = EVIDENCE_HEAD; i < n - 1; i++) ev[i] = ev[i + 1]
    ev[n - 1] = index
  }
}

/** the stable --json shape (state kept beside a finding never leaks into it) */
function publicFinding(f: FindingState): Finding {
  return {
    code: f.code,
    severity: f.severity,
    interface: f.interface,
    family: f.family,
    vrid: f.vrid,
    routers: [...f.routers],
    message: f.message,
    fix: f.fix,
    first: isoMicro(f.firstMs),
    last: isoMicro(f.lastMs),
    active: f.active,
    count: f.count,
    evidence: [...f.evidence],
    measuredMs: f.measuredMs,
  }
}

/** compare IP address texts numerically (IPv4 by octets, IPv6 by groups) */
export function cmpIp(a: string, b: string): number {
  const pa = ipKey(a)
  const pb = ipKey(b)
  return pa < pb ? -1 : pa > pb ? 1 : 0
}

/** ipKey of the addresses seen (a capture holds few routers; emptied when it grows past 4096) */
const ipKeys = new Map<string, string>()

function ipKey(s: string): string {
  let k = ipKeys.get(s)
  if (k === undefined) {
    if (ipKeys.size >= 4096) ipKeys.clear()
    ipKeys.set(s, (k = sortKey(s)))
  }
  return k
}

function sortKey(s: string): string {
  if (!s.includes(':')) return s.split('.').map((x) => x.padStart(3, '0')).join('.')
  const [head, tail = ''] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = s.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  return groups.map((g) => g.padStart(4, '0')).join(':')
}
