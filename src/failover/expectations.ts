/**
 * What the protocol says a failover should take, per fault, from the actual
 * advert interval and priorities. Pure; all times in milliseconds.
 */
import {advertIntervalMs, masterDownMs, skewMs, type VrrpVersion} from '../vrrp/timers.js'

export const FAULTS = ['stop', 'kill', 'block', 'link', 'script'] as const
export type FaultKind = (typeof FAULTS)[number]

export interface InstanceTiming {
  version: VrrpVersion
  /** keepalived advert_int, seconds */
  advertInt: number
  /** effective priority of the backup expected to take over */
  backupPriority: number
  /** track script detection, for the `script` fault: interval * fall (+ timeout), ms */
  scriptDetectMs?: number
  /**
   * `script` fault: the failing script's weight as keepalived applies it (0:
   * the instance goes to FAULT and resigns) and the master's priority and the
   * spec's preempt, which decide whether a lowered master is replaced at all.
   */
  scriptWeight?: number
  masterPriority?: number
  preempt?: boolean
}

export interface Expectation {
  fault: FaultKind
  /**
   * false: the protocol keeps the master (a lowered priority that a backup with
   * nopreempt, or with no higher priority, accepts); basis says why
   */
  takeover: boolean
  /** the protocol timer that governs the takeover */
  basis: string
  /** nominal value of that timer */
  nominalMs: number
  /** measured takeover times inside [minMs, maxMs] are as expected */
  minMs: number
  maxMs: number
  /**
   * The protocol's own gap, independent of how fast the fault was injected:
   * from the master's last advert (or its priority 0 advert) to the new
   * master's first. Undefined where the protocol does not fix it (script).
   */
  gap?: {basis: string; minMs: number; maxMs: number}
}

/** Allowance over the protocol figure for scheduling and address-change latency. */
export const DEFAULT_TOLERANCE_MS = 300

export function expectTakeover(fault: FaultKind, t: InstanceTiming, toleranceMs = DEFAULT_TOLERANCE_MS): Expectation {
  const advert = advertIntervalMs(t.version, t.advertInt)
  const mdi = masterDownMs(t.version, t.backupPriority, advert)
  const skew = skewMs(t.version, t.backupPriority, advert)
  switch (fault) {
    case 'stop':
      // the master sends priority 0; a backup then waits only Skew_Time
      return {
        fault,
        takeover: true,
        basis: `Skew_Time (priority ${t.backupPriority})`,
        nominalMs: skew,
        minMs: 0,
        maxMs: skew + toleranceMs,
        gap: {basis: `priority 0 advert -> new master after Skew_Time ${round(skew)} ms`, minMs: Math.max(0, skew - 50), maxMs: skew + toleranceMs},
      }
    case 'kill':
    case 'link':
    case 'block': {
      // the last advert arrived up to one interval before the fault
      return {
        fault,
        takeover: true,
        basis: `Master_Down_Interval = 3 x ${advert} ms + Skew_Time ${round(skew)} ms`,
        nominalMs: mdi,
        minMs: Math.max(2 * advert, mdi - advert) - toleranceMs / 3,
        maxMs: mdi + toleranceMs,
        gap: {basis: `last advert of the master -> new master after Master_Down_Interval ${round(mdi)} ms`, minMs: mdi - 50, maxMs: mdi + toleranceMs},
      }
    }
    case 'script': {
      const detect = t.scriptDetectMs ?? 0
      const weight = t.scriptWeight ?? 0
      if (weight !== 0 && t.masterPriority !== undefined) {
        // a negative weight is subtracted while the script fails; a positive one is only not added
        const lowered = Math.max(1, Math.min(254, weight < 0 ? t.masterPriority + weight : t.masterPriority))
        // keepalived's backup accepts an advert whose priority is >= its own, or any advert with nopreempt
        const why = t.preempt === false ? `nopreempt: a backup accepts the master's lowered priority ${lowered}` : lowered >= t.backupPriority ? `the master's lowered priority ${lowered} is not below the backup's ${t.backupPriority}` : undefined
        if (why) return {fault, takeover: false, basis: why, nominalMs: 0, minMs: 0, maxMs: detect + mdi + advert + toleranceMs}
      }
      return {
        fault,
        takeover: true,
        basis: `track script detection ${round(detect)} ms + Master_Down_Interval ${round(mdi)} ms`,
        nominalMs: detect + mdi,
        minMs: 0,
        maxMs: detect + mdi + advert + toleranceMs,
      }
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
