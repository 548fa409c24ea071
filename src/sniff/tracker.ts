/**
 * Per-VRID state of everything heard on the wire, and the findings derived from it.
 * Pure: fed with parsed frames and times, it never reads a clock or prints.
 *
 * Exported API:
 * - `SniffTracker`: `new SniffTracker({onFinding?, flapCount?, flapWindowMs?})`
 *   - `observe(index, timeMs, iface, frame)`: one captured frame (index is 1-based)
 *   - `tick(nowMs)`: advance time without a packet (live capture), to see silent masters
 *   - `vrids()`: `VridSummary[]` (stable --json shape) ; `findings()`: every `Finding`
 *   - `hasErrors()`: an error-severity finding was raised (exit code 3)
 * - `masterDownMs(version, intervalCs, priority)`: Master_Down_Interval in ms (RFC 3768/5798)
 *
 * Findings (see findings.ts for the text and fixes): split brain (two routers advertising for a
 * VRID at once, alternating), master silent (nothing for longer than its Master_Down_Interval,
 * with the router expected to take over), master resigned (priority 0) and the takeover with
 * its measured gap, flapping (more than `flapCount` master changes in `flapWindowMs`), config
 * mismatches between routers of one VRID (interval, version, auth, VIP set; disjoint VIP sets
 * are a VRID collision), priority 255, equal priorities, CARP, and every per-packet codec issue.
 * `onFinding(event, finding)` is called with 'raised' when a finding appears and 'cleared'
 * when it stops (split brain healed, silent master back or replaced).
 */
import type {ParsedFrame} from '../capture/frame.js'
import {authPassword, intervalCs} from '../vrrp/codec.js'
import type {IpFamily, VrrpPacket} from '../vrrp/types.js'
import {FINDING_CATALOGUE, type Finding, type FindingCode} from './findings.js'
import {formatDuration, isoMicro} from './time.js'

export function masterDownMs(version: number, intervalCsValue: number, priority: number): number {
  const intervalMs = intervalCsValue * 10
  const skewMs = version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * intervalMs) / 256
  return 3 * intervalMs + skewMs
}

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
  lastMs: number
  resigned: boolean
  mdiMs: number
  /** first advert of the current unbroken stretch of adverts */
  activeSince: number
  /** times of the latest adverts (ring of RING entries) */
  ring: number[]
  ringPos: number
  authData?: Uint8Array
  lastPacket?: VrrpPacket
}

const RING = 4
const RATE_WINDOW_MS = 10_000
/** time resolution of silence / healing checks */
const TICK_MS = 10

/** adverts of r at or after time t, counting up to RING */
function advertsSince(r: Router, t: number): number {
  const ring = r.ring
  let n = 0
  for (let i = 0; i < ring.length; i++) if (ring[i] >= t) n++
  return n
}

/**
 * before this time tick() cannot change anything about v: a master heard in time cannot be
 * silent yet (less a margin far wider than the rounding of `now - lastMs > mdiMs`); a resigned
 * master nobody replaced, or a split brain (that heals with time), are looked at on every tick
 */
function quietUntil(v: Vrid): number {
  if (v.split?.active || (v.resigned && !v.master)) return -Infinity
  const m = v.master
  if (!m || m.resigned || v.silent?.active) return Infinity
  const due = m.lastMs + m.mdiMs
  return due - 1 - Math.abs(due) * 2 ** -40
}

interface Vrid {
  key: string
  iface: string
  family: IpFamily
  vrid: number
  routers: Map<string, Router>
  /** the routers' values in insertion order (looped over per advert: cheaper than the map) */
  list: Router[]
  master?: Router
  adverts: number
  firstMs: number
  lastMs: number
  rateStart: number
  rateCount: number
  /** adverts per second over the last complete window */
  rate: number
  masterChanges: number[]
  changeCount: number
  resigned?: {router: Router; atMs: number; index: number}
  split?: FindingState
  silent?: FindingState
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
}

const MAX_SLOTS = 4096
const EVIDENCE_HEAD = 5
const EVIDENCE_TAIL = 5
const AUTH_NAMES: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}

export function authTypeName(t: number): string {
  return AUTH_NAMES[t] ?? `unknown(${t})`
}

export class SniffTracker {
  private readonly vr = new Map<string, Vrid>()
  /** vr's values, looped over on every tick */
  private readonly vrList: Vrid[] = []
  private readonly byIface = new Map<string, Map<number, Vrid>>()
  private lastIface?: string
  private lastIfaceMap?: Map<number, Vrid>
  private readonly all = new Map<string, FindingState>()
  private readonly flapCount: number
  private readonly flapWindowMs: number
  private lastTick = -Infinity
  /** tick() has nothing to do before this time (see quietUntil()); lowered by adverts */
  private quietUntil = -Infinity
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
    this.tick(t)
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
    for (let i = 0; i < this.vrList.length; i++) {
      const v = this.vrList[i]
      const m = v.master
      if (v.silent?.active) {
        // already reported; the next advert ends it
      } else if (m && !m.resigned && now - m.lastMs > m.mdiMs) {
        const heir = this.heir(v, m)
        this.raise('master-silent', `silent|${v.key}`, m.lastMs + m.mdiMs, 0, v, [m.address], `master ${m.address} of VRID ${v.vrid} silent for more than its Master_Down_Interval ${formatDuration(m.mdiMs)}; ${heir}`, {noEvidence: true})
        v.silent = this.all.get(`silent|${v.key}`)
      }
      else if (v.resigned && !v.master && now - v.resigned.atMs > v.resigned.router.intervalCs * 10 + 1000) {
        const heir = this.heir(v, v.resigned.router)
        this.raise('master-silent', `silent|${v.key}`, v.resigned.atMs, 0, v, [v.resigned.router.address], `nobody took over VRID ${v.vrid} after ${v.resigned.router.address} resigned; ${heir}`, {noEvidence: true})
        v.silent = this.all.get(`silent|${v.key}`)
      }
      const sb = v.split
      if (sb?.active && this.liveCount(v, now) < 2) this.clear(sb, now)
      quiet = Math.min(quiet, quietUntil(v))
    }
    this.quietUntil = quiet
  }

  private heir(v: Vrid, gone: Router): string {
    const others = [...v.routers.values()].filter((r) => r !== gone && r.priority > 0).sort((a, b) => b.priority - a.priority || cmpIp(b.address, a.address))
    return others.length
      ? `expected ${others[0].address} (priority ${others[0].priority}) to take over`
      : 'no other router of this VRID was heard: a backup should take over after Master_Down_Interval; check that one runs'
  }

  /** routers of v heard within their Master_Down_Interval (not resigned) */
  private liveCount(v: Vrid, now: number): number {
    let n = 0
    for (const r of v.list) if (!r.resigned && r.priority > 0 && now - r.lastMs <= r.mdiMs) n++
    return n
  }

  private advert(index: number, t: number, iface: string, family: IpFamily, src: string, mac: string | null, p: VrrpPacket): void {
    const slot = this.slots.get(p)
    let v: Vrid
    if (slot !== undefined && slot.iface === iface) {
      v = slot.v
      this.advertTo(v, slot.r, index, t, src, mac, p)
    } else {
      v = this.vridOf(iface, family, p.vrid, t)
      this.advertTo(v, v.routers.get(src), index, t, src, mac, p)
      if (this.slots.size >= MAX_SLOTS) this.slots.clear()
      this.slots.set(p, {iface, v, r: v.routers.get(src)!})
    }
    const q = quietUntil(v)
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
      v = {key, iface, family, vrid, routers: new Map(), list: [], adverts: 0, firstMs: t, lastMs: t, rateStart: t, rateCount: 0, rate: 0, masterChanges: [], changeCount: 0}
      byVrid.set(family * 256 + vrid, v)
      this.vr.set(key, v)
      this.vrList.push(v)
    }
    return v
  }

  /** an advert of router r (undefined: first heard now, as src) for VRID v */
  private advertTo(v: Vrid, r: Router | undefined, index: number, t: number, src: string, mac: string | null, p: VrrpPacket): void {
    v.adverts++
    v.lastMs = t
    if (t - v.rateStart >= RATE_WINDOW_MS) {
      v.rate = v.rateCount / ((t - v.rateStart) / 1000)
      v.rateStart = t
      v.rateCount = 0
    }
    v.rateCount++
    const isNew = !r
    let changed = isNew
    if (!r) {
      const ivl = intervalCs(p)
      r = {address: src, mac, priority: p.priority, version: p.version, intervalCs: ivl, authType: p.authType, password: authPassword(p), vipsKey: p.addresses.join(','), vips: [...p.addresses], adverts: 0, firstMs: t, lastMs: t, resigned: false, mdiMs: masterDownMs(p.version, ivl, p.priority), activeSince: t, ring: [], ringPos: 0, authData: copyOf(p.authData), lastPacket: p}
      v.routers.set(src, r)
      v.list.push(r)
    } else if (r.lastPacket !== p) {
      // a packet object that differs from the last one of this router (the frame cache gives a
      // router's unchanged adverts the same object): compare the fields that matter
      r.lastPacket = p
      const ivl = intervalCs(p)
      const vipsKey = p.addresses.join(',')
      changed = r.priority !== p.priority || r.version !== p.version || r.intervalCs !== ivl || r.authType !== p.authType || r.vipsKey !== vipsKey
      if (changed) {
        r.priority = p.priority
        r.version = p.version
        r.intervalCs = ivl
        r.authType = p.authType
        r.vipsKey = vipsKey
        r.vips = [...p.addresses]
        r.mdiMs = masterDownMs(p.version, ivl, p.priority)
      }
      if (p.authType === 1 && !sameBytes(p.authData, r.authData)) {
        r.authData = copyOf(p.authData)
        r.password = authPassword(p)
        if (!changed) this.compare(v, r, t, index)
      }
    }
    r.mac = mac ?? r.mac
    r.adverts++
    if (t - r.lastMs > r.mdiMs) r.activeSince = t
    r.lastMs = t
    if (r.ring.length < RING) r.ring.push(t)
    else {
      r.ring[r.ringPos] = t
      r.ringPos = (r.ringPos + 1) % RING
    }

    if (p.priority === 0) {
      r.resigned = true
      if (v.master === r) v.master = undefined
      v.resigned = {router: r, atMs: t, index}
      this.raise('master-resigned', `resigned|${v.key}|${r.address}|${t}`, t, index, v, [r.address], `${r.address} resigned as master of VRID ${v.vrid} (priority 0)`)
      return
    }
    if (r.resigned) r.resigned = false

    // the silent finding ends with this advert: the master came back, or a new one took over
    const silent = v.silent
    const m = v.master
    if (m !== r) {
      const mAlive = m !== undefined && !m.resigned && t - m.lastMs <= m.mdiMs
      if (mAlive) {
        if (r.priority > m!.priority && !v.split?.active) this.masterChange(v, t, index)
      } else if (m || v.resigned) {
        const from = v.resigned && (!m || v.resigned.atMs >= m.lastMs) ? v.resigned : undefined
        const fromRouter = from ? from.router : m!
        const gap = t - (from ? from.atMs : m!.lastMs)
        if (fromRouter !== r) {
          this.raise(
            'takeover',
            `takeover|${v.key}|${t}`,
            t,
            index,
            v,
            [fromRouter.address, r.address],
            `${r.address} (priority ${r.priority}) took over VRID ${v.vrid} from ${fromRouter.address} after ${formatDuration(gap)}${from ? ' (it had resigned)' : ''}; Master_Down_Interval of ${r.address} is ${formatDuration(r.mdiMs)}`,
            {measuredMs: gap, extraEvidence: from ? [from.index] : []},
          )
          this.masterChange(v, t, index)
        }
      }
      v.master = r
    }
    if (silent?.active) {
      const gap = t - (silent.firstMs - (m?.mdiMs ?? 0))
      silent.measuredMs = Math.round(gap * 1000) / 1000
      this.clear(silent, t)
      // a live tick saw silence, but by the capture clock the adverts kept coming in time
      // (they were only delivered late): not a finding
      if (m && gap <= m.mdiMs) this.all.delete(silent.id)
    }
    v.resigned = undefined

    // split brain: another live router and this one each sent 2+ adverts since the other began
    // its current stretch (a preempted or replaced master stops within one advert)
    const list = v.list
    if (list.length > 1) {
      let rivals: Router[] | undefined
      for (let i = 0; i < list.length; i++) {
        const o = list[i]
        if (o === r || o.resigned || o.priority === 0 || t - o.lastMs > o.mdiMs) continue
        if (advertsSince(o, r.activeSince) >= 2 && advertsSince(r, o.activeSince) >= 2) (rivals ??= []).push(o)
      }
      if (rivals) {
        const sb = v.split
        if (sb?.active && rivals.every((o) => sb.routers.includes(o.address))) this.touch(sb, t, index)
        else {
          const names = [r, ...rivals].map((x) => x.address).sort(cmpIp)
          this.raise('split-brain', `split|${v.key}`, t, index, v, names, `${names.join(' and ')} all advertise as master of VRID ${v.vrid} at the same time`)
          v.split = this.all.get(`split|${v.key}`)
        }
      }
    }

    if (changed) this.compare(v, r, t, index)
  }

  private masterChange(v: Vrid, t: number, index: number): void {
    v.changeCount++
    v.masterChanges.push(t)
    while (v.masterChanges.length && t - v.masterChanges[0] > this.flapWindowMs) v.masterChanges.shift()
    if (v.masterChanges.length > this.flapCount) {
      this.raise('flapping', `flap|${v.key}`, t, index, v, [...v.routers.keys()].sort(cmpIp), `master of VRID ${v.vrid} changed ${v.masterChanges.length} times in ${formatDuration(this.flapWindowMs)}`)
    }
  }

  private compare(v: Vrid, r: Router, t: number, index: number): void {
    if (r.priority === 255) this.raise('priority-255', `p255|${v.key}|${r.address}`, t, index, v, [r.address], `${r.address} advertises priority 255 (address owner) for VRID ${v.vrid}`)
    for (const o of v.routers.values()) {
      if (o === r) continue
      const pair = [o.address, r.address].sort(cmpIp)
      if (o.version !== r.version) {
        this.raise('version-mismatch', `ver|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${o.address} speaks VRRPv${o.version}, ${r.address} VRRPv${r.version}`)
        continue
      }
      if (o.intervalCs !== r.intervalCs) {
        const unit = (cs: number) => (r.version === 2 ? `${cs / 100} s` : `${cs} cs`)
        this.raise('interval-mismatch', `ivl|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${o.address} advertises every ${unit(o.intervalCs)}, ${r.address} every ${unit(r.intervalCs)}${r.version === 2 ? ' (VRRPv2 drops adverts of another interval: split brain)' : ''}`, {
          severity: r.version === 2 ? 'error' : 'warning',
        })
      }
      if (o.authType !== r.authType) {
        this.raise('auth-mismatch', `auth|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${o.address} uses auth type ${authTypeName(o.authType)}, ${r.address} ${authTypeName(r.authType)}`)
      } else if (o.authType === 1 && o.password !== r.password) {
        this.raise('auth-mismatch', `auth|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${o.address} and ${r.address} use different passwords`)
      }
      if (o.vipsKey !== r.vipsKey) {
        const a = new Set(o.vips)
        const disjoint = r.vips.every((x) => !a.has(x))
        if (disjoint) {
          this.raise('vrid-collision', `coll|${v.key}`, t, index, v, pair, `VRID ${v.vrid} is used for ${o.vips.join(',') || '(no addresses)'} by ${o.address} and for ${r.vips.join(',') || '(no addresses)'} by ${r.address}: likely another cluster on the segment`)
        } else {
          this.raise('vip-mismatch', `vips|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${o.address} carries ${o.vips.join(',')}, ${r.address} carries ${r.vips.join(',')}`)
        }
      }
      if (o.priority === r.priority && r.priority > 0 && r.priority < 255) {
        const winner = cmpIp(o.address, r.address) > 0 ? o.address : r.address
        this.raise('equal-priority', `eq|${v.key}`, t, index, v, pair, `VRID ${v.vrid}: ${pair.join(' and ')} both have priority ${r.priority}; the higher address ${winner} wins`)
      }
    }
  }

  private note(code: FindingCode, id: string, t: number, index: number, iface: string, family: IpFamily, vrid: number | null, routers: string[], message: string): void {
    this.upsert(code, id, t, index, iface, family, vrid, routers, message, {})
  }

  private raise(
    code: FindingCode,
    id: string,
    t: number,
    index: number,
    v: Vrid,
    routers: string[],
    message: string,
    o: {measuredMs?: number; severity?: Finding['severity']; noEvidence?: boolean; extraEvidence?: number[]} = {},
  ): void {
    this.upsert(code, id, t, index, v.iface, v.family, v.vrid, routers, message, o)
  }

  private upsert(
    code: FindingCode,
    id: string,
    t: number,
    index: number,
    iface: string,
    family: IpFamily | null,
    vrid: number | null,
    routers: string[],
    message: string,
    o: {measuredMs?: number; severity?: Finding['severity']; noEvidence?: boolean; extraEvidence?: number[]},
  ): void {
    let f = this.all.get(id)
    const cat = FINDING_CATALOGUE[code]
    if (f && f.active) {
      this.touch(f, t, index, o.noEvidence)
      let added = false
      for (const r of routers) if (!f.routers.includes(r)) (added = true), f.routers.push(r)
      if (added) f.routers.sort(cmpIp)
      f.message = message
      return
    }
    const severity = o.severity ?? cat.severity
    f = {
      id,
      code,
      severity,
      interface: iface,
      family,
      vrid,
      routers: [...routers],
      message,
      fix: cat.fix,
      first: isoMicro(t),
      last: isoMicro(t),
      firstMs: t,
      lastMs: t,
      active: true,
      count: o.noEvidence ? 0 : 1,
      evidence: [...(o.extraEvidence ?? []), ...(o.noEvidence ? [] : [index])],
      measuredMs: o.measuredMs === undefined ? null : Math.round(o.measuredMs * 1000) / 1000,
    }
    // one-shot findings (takeover, resigned) are complete when raised
    if (code === 'takeover' || code === 'master-resigned') f.active = false
    this.all.set(id, f)
    this.opts.onFinding?.('raised', publicFinding(f))
  }

  private touch(f: FindingState, t: number, index: number, noEvidence = false): void {
    if (t > f.lastMs) f.lastMs = t
    if (!noEvidence) {
      f.count++
      addEvidence(f.evidence, index)
    }
  }

  private clear(f: FindingState, t: number): void {
    f.active = false
    f.lastMs = Math.max(f.lastMs, t)
    this.opts.onFinding?.('cleared', publicFinding(f))
    // a later occurrence under the same key is a new finding
    this.all.delete(f.id)
    f.id = `${f.id}@${f.firstMs}`
    this.all.set(f.id, f)
  }

  vrids(): VridSummary[] {
    return [...this.vr.values()]
      .sort((a, b) => a.iface.localeCompare(b.iface) || a.family - b.family || a.vrid - b.vrid)
      .map((v) => {
        const m = v.master
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
              last: isoMicro(r.lastMs),
            })),
          first: isoMicro(v.firstMs),
          last: isoMicro(v.lastMs),
          lastMs: v.lastMs,
        }
      })
  }
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
  const n = ev.length
  if (n < EVIDENCE_HEAD + EVIDENCE_TAIL) ev.push(index)
  else {
    // drop the oldest of the tail (ev[EVIDENCE_HEAD]) and append, in place
    for (let i = EVIDENCE_HEAD; i < n - 1; i++) ev[i] = ev[i + 1]
    ev[n - 1] = index
  }
}

function publicFinding(f: FindingState): Finding {
  const {id: _id, firstMs, lastMs, ...rest} = f
  return {...rest, first: isoMicro(firstMs), last: isoMicro(lastMs), routers: [...rest.routers], evidence: [...rest.evidence]}
}

/** compare IP address texts numerically (IPv4 by octets, IPv6 by groups) */
export function cmpIp(a: string, b: string): number {
  const pa = ipKey(a)
  const pb = ipKey(b)
  return pa < pb ? -1 : pa > pb ? 1 : 0
}

function ipKey(s: string): string {
  if (!s.includes(':')) return s.split('.').map((x) => x.padStart(3, '0')).join('.')
  const [head, tail = ''] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = s.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  return groups.map((g) => g.padStart(4, '0')).join(':')
}
