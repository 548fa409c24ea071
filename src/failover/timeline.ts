/**
 * A failover round as a time-ordered list of observations, and the figures
 * measured from it. Pure: observers (capture, address watch, probe) append
 * events; measureRound() turns them into numbers. Times are milliseconds
 * since the epoch (fractions allowed).
 */
import type {FaultKind} from './expectations.js'

export type TimelineEvent =
  | {t: number; kind: 'advert'; node?: string; src: string; vrid: number; priority: number}
  | {t: number; kind: 'vip'; node: string; address: string; present: boolean}
  | {t: number; kind: 'probe'; ok: boolean; latencyMs?: number; error?: string}
  | {
      t: number
      kind: 'fault'
      node: string
      fault: FaultKind
      phase: 'inject' | 'restore'
      /**
       * inject: when the command that injects the fault returned (t is taken
       * before it started). The fault took effect somewhere in [t, until]:
       * a clean stop under systemd returns only after the daemon has exited,
       * about a second after its priority 0 advert.
       */
      until?: number
    }

export interface RoundContext {
  vrid: number
  vips: string[]
  /** node that held the VIPs when the round started */
  originalMaster: string
  /** every VIP holder at the start, per VIP (normally just the master) */
  initialHolders: Record<string, string[]>
}

export interface Interval {
  from: number
  to: number
}

/** What fixed the fault time: the command's start, or evidence seen on the wire. */
export type FaultTimeBasis = 'command start' | 'priority 0 advert' | 'last advert of the master'

export interface RoundMeasurement {
  /** when the fault took effect (see faultBasis) */
  faultAt?: number
  faultBasis?: FaultTimeBasis
  restoreAt?: number
  newMaster?: string
  /** fault -> first advert (priority > 0) from a router other than the original master */
  firstAdvertMs?: number
  /**
   * the protocol's gap: the original master's last advert before the
   * takeover (its priority 0 advert when it resigned) -> the new master's first advert
   */
  gapMs?: number
  /** the original master resigned with a priority 0 advert */
  resigned: boolean
  /** fault -> every VIP present on the new master */
  vipMovedMs?: number
  /** periods when some VIP was on two or more nodes */
  dualHold: Interval[]
  dualHoldMs: number
  /** periods when some VIP was on no node */
  noOwner: Interval[]
  noOwnerMs: number
  probes: {sent: number; failed: number; longestGapMs?: number; downtimeMs: number}
  /** restore -> VIPs back on the original master (preempt), when they came back */
  returnedMs?: number
  /** who holds the VIPs at the end of the round */
  finalHolders: Record<string, string[]>
}

/** Sort by time, stable for equal times. */
export function ordered(events: TimelineEvent[]): TimelineEvent[] {
  return events.map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e)
}

/** How long after a stop command returned its daemon's priority 0 advert still counts as the stop. */
export const STOP_RESIGN_GRACE_MS = 1000

/**
 * When the fault took effect. The injecting command's start is the earliest it
 * can have; the wire refines it: the original master's priority 0 advert sent
 * while the command ran is the fault itself (a clean stop), and an ordinary
 * advert of the original master seen while the command ran means the fault was
 * not in effect yet (the kill, rule or link came after it). A stop's resign
 * may also come just after the command returned (an init script that only
 * sends the signal).
 */
export function faultTime(evs: TimelineEvent[], ctx: RoundContext): {at: number; basis: FaultTimeBasis} | undefined {
  const inject = evs.find((e): e is Extract<TimelineEvent, {kind: 'fault'}> => e.kind === 'fault' && e.phase === 'inject')
  if (!inject) return undefined
  const from = inject.t
  const to = inject.until ?? inject.t
  const master = evs.filter((e): e is Extract<TimelineEvent, {kind: 'advert'}> => e.kind === 'advert' && e.vrid === ctx.vrid && e.node === ctx.originalMaster && e.t >= from)
  // a stop command may also return as soon as the signal is sent (Debian's SysV script has no --retry):
  // the daemon's resign then follows the return
  const resign = master.find((e) => e.priority === 0 && e.t <= to + (inject.fault === 'stop' ? STOP_RESIGN_GRACE_MS : 0))
  if (resign) return {at: resign.t, basis: 'priority 0 advert'}
  const last = master.filter((e) => e.t <= to).at(-1)
  if (last) return {at: last.t, basis: 'last advert of the master'}
  return {at: from, basis: 'command start'}
}

export function measureRound(events: TimelineEvent[], ctx: RoundContext, endAt?: number): RoundMeasurement {
  const evs = ordered(events)
  const ft = faultTime(evs, ctx)
  const faultAt = ft?.at
  const restoreAt = evs.find((e) => e.kind === 'fault' && e.phase === 'restore')?.t
  const end = endAt ?? (evs.length > 0 ? evs[evs.length - 1].t : 0)

  const holders = new Map<string, Set<string>>()
  for (const vip of ctx.vips) holders.set(vip, new Set(ctx.initialHolders[vip] ?? []))
  const dual: Interval[] = []
  const none: Interval[] = []
  let dualSince: number | undefined
  let noneSince: number | undefined
  const start = evs.length > 0 ? evs[0].t : 0
  const anyDual = (): boolean => [...holders.values()].some((s) => s.size >= 2)
  const anyNone = (): boolean => [...holders.values()].some((s) => s.size === 0)
  const track = (t: number): void => {
    if (anyDual()) dualSince ??= t
    else if (dualSince !== undefined) (dual.push({from: dualSince, to: t}), (dualSince = undefined))
    if (anyNone()) noneSince ??= t
    else if (noneSince !== undefined) (none.push({from: noneSince, to: t}), (noneSince = undefined))
  }
  track(start)

  let newMaster: string | undefined
  let vipMovedAt: number | undefined
  let returnedAt: number | undefined
  let firstAdvertAt: number | undefined
  let lastOldAdvert: number | undefined
  let resignAt: number | undefined
  /**
   * After the restore, the VIPs are back once the original master holds them
   * all and nobody else holds any: it may have kept them all along (a downed
   * link keeps its addresses) and only the other node's removal completes it.
   */
  const checkReturned = (t: number): void => {
    if (returnedAt !== undefined || restoreAt === undefined || t < restoreAt || vipMovedAt === undefined) return
    const sole = [...holders.values()].every((set) => set.size === 1 && set.has(ctx.originalMaster))
    if (sole) returnedAt = t
  }
  for (const e of evs) {
    if (e.kind === 'vip') {
      const set = holders.get(e.address)
      if (!set) continue
      if (e.present) set.add(e.node)
      else set.delete(e.node)
      track(e.t)
      if (faultAt !== undefined && e.t >= faultAt) {
        const holdsAll = (node: string): boolean => ctx.vips.every((v) => holders.get(v)?.has(node))
        if (vipMovedAt === undefined && e.node !== ctx.originalMaster && e.present && holdsAll(e.node)) {
          vipMovedAt = e.t
          newMaster = e.node
        }
      }
      checkReturned(e.t)
    } else if (e.kind === 'fault' && e.phase === 'restore') {
      checkReturned(e.t)
    } else if (e.kind === 'advert' && firstAdvertAt === undefined && e.vrid === ctx.vrid && e.node === ctx.originalMaster) {
      if (e.priority > 0) lastOldAdvert = e.t
      else if (faultAt !== undefined && e.t >= faultAt - 1000) resignAt ??= e.t
    } else if (e.kind === 'advert' && faultAt !== undefined && e.t >= faultAt && firstAdvertAt === undefined) {
      if (e.vrid === ctx.vrid && e.priority > 0 && e.node !== ctx.originalMaster && (newMaster === undefined || e.node === undefined || e.node === newMaster)) {
        firstAdvertAt = e.t
        newMaster ??= e.node
      }
    }
  }
  if (dualSince !== undefined) dual.push({from: dualSince, to: end})
  if (noneSince !== undefined) none.push({from: noneSince, to: end})

  return {
    faultAt,
    faultBasis: ft?.basis,
    restoreAt,
    newMaster,
    firstAdvertMs: faultAt !== undefined && firstAdvertAt !== undefined ? firstAdvertAt - faultAt : undefined,
    gapMs: firstAdvertAt !== undefined && (resignAt ?? lastOldAdvert) !== undefined ? firstAdvertAt - (resignAt ?? lastOldAdvert)! : undefined,
    resigned: resignAt !== undefined,
    vipMovedMs: faultAt !== undefined && vipMovedAt !== undefined ? vipMovedAt - faultAt : undefined,
    dualHold: dual,
    dualHoldMs: sum(dual),
    noOwner: none,
    noOwnerMs: sum(none),
    probes: measureProbes(evs),
    returnedMs: restoreAt !== undefined && returnedAt !== undefined ? returnedAt - restoreAt : undefined,
    finalHolders: Object.fromEntries([...holders].map(([vip, set]) => [vip, [...set].sort()])),
  }
}

/**
 * Client view: the longest run of failed probes, measured from the last
 * success before it to the first success after it (the time a client could
 * not get through), and the longest gap between two successes.
 */
export function measureProbes(evs: TimelineEvent[]): RoundMeasurement['probes'] {
  const probes = evs.filter((e): e is Extract<TimelineEvent, {kind: 'probe'}> => e.kind === 'probe')
  let lastOk: number | undefined
  let longestGap: number | undefined
  let downtime = 0
  let failingSince: number | undefined
  for (const p of probes) {
    if (p.ok) {
      if (lastOk !== undefined) longestGap = Math.max(longestGap ?? 0, p.t - lastOk)
      if (failingSince !== undefined) {
        downtime = Math.max(downtime, p.t - (lastOk ?? failingSince))
        failingSince = undefined
      }
      lastOk = p.t
    } else {
      failingSince ??= p.t
    }
  }
  if (failingSince !== undefined && probes.length > 0) downtime = Math.max(downtime, probes[probes.length - 1].t - (lastOk ?? failingSince))
  return {sent: probes.length, failed: probes.filter((p) => !p.ok).length, longestGapMs: longestGap, downtimeMs: downtime}
}

function sum(xs: Interval[]): number {
  return xs.reduce((a, x) => a + (x.to - x.from), 0)
}
