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
  | {t: number; kind: 'fault'; node: string; fault: FaultKind; phase: 'inject' | 'restore'}

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

export interface RoundMeasurement {
  faultAt?: number
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

export function measureRound(events: TimelineEvent[], ctx: RoundContext, endAt?: number): RoundMeasurement {
  const evs = ordered(events)
  const faultAt = evs.find((e) => e.kind === 'fault' && e.phase === 'inject')?.t
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
