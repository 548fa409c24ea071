/**
 * Alert deduplication for `halctl monitor`: the findings of every source (a local interface,
 * each node's capture over SSH) become one alert stream per cluster-level problem. Pure.
 *
 * - A lasting finding (split brain, master silent, mismatches, ...) fires once when the first
 *   source raises it and resolves once when the last source that had it clears it. Its key is
 *   code, address family and VRID: the same split brain seen on two nodes' captures is one alert.
 * - A one-shot finding (takeover, preempt, master resigned) is one `event`; the same one reported
 *   by several sources within `oneShotWindowMs` is sent once.
 * - When a source restarts (SSH reconnect), what it had raised is marked stale; `sweep(source)`
 *   (called once the new session had time to see it again) resolves what it did not see again.
 *
 * Exports: `AlertEvent`, `AlertDeduper`, `alertKey(finding)`.
 */
import type {Finding} from '../sniff/findings.js'
import type {FindingEvent} from '../sniff/tracker.js'

export type AlertStatus = 'firing' | 'resolved' | 'event'

export interface AlertEvent {
  type: 'alert'
  status: AlertStatus
  /** code|family|vrid */
  key: string
  /** the finding as the source reported it (its --json shape, see halctl sniff) */
  finding: Finding
  /** the sources that reported it */
  sources: string[]
  /** ISO time the alert was produced */
  at: string
}

export function alertKey(f: Pick<Finding, 'code' | 'family' | 'vrid'>): string {
  return `${f.code}|${f.family ?? '-'}|${f.vrid ?? '-'}`
}

interface Active {
  finding: Finding
  sources: Set<string>
  stale: Set<string>
}

export class AlertDeduper {
  private readonly active = new Map<string, Active>()
  /** one-shot identity -> time sent */
  private readonly recent = new Map<string, number>()

  constructor(private readonly oneShotWindowMs = 5000) {}

  onFinding(source: string, event: FindingEvent, f: Finding, now: number): AlertEvent[] {
    const key = alertKey(f)
    if (event === 'raised' && !f.active) {
      for (const [k, t] of this.recent) if (now - t > this.oneShotWindowMs) this.recent.delete(k)
      const id = `${key}|${f.routers.join(',')}`
      if (this.recent.has(id)) return []
      this.recent.set(id, now)
      return [this.alert('event', key, f, [source], now)]
    }
    let a = this.active.get(key)
    if (event === 'raised') {
      if (a) {
        a.sources.add(source)
        a.stale.delete(source)
        a.finding = f
        return []
      }
      a = {finding: f, sources: new Set([source]), stale: new Set()}
      this.active.set(key, a)
      return [this.alert('firing', key, f, [source], now)]
    }
    if (!a || !a.sources.has(source)) return []
    a.sources.delete(source)
    a.stale.delete(source)
    a.finding = f
    return this.resolveIfEmpty(key, a, now)
  }

  /** the source starts a new session: what it reported so far must be seen again */
  sourceRestarted(source: string): void {
    for (const a of this.active.values()) if (a.sources.has(source)) a.stale.add(source)
  }

  /** resolve what the source had before its restart and did not report again */
  sweep(source: string, now: number): AlertEvent[] {
    const out: AlertEvent[] = []
    for (const [key, a] of [...this.active]) {
      if (!a.stale.has(source)) continue
      a.stale.delete(source)
      a.sources.delete(source)
      out.push(...this.resolveIfEmpty(key, a, now))
    }
    return out
  }

  /** findings firing now */
  firing(): Array<{key: string; finding: Finding; sources: string[]}> {
    return [...this.active].map(([key, a]) => ({key, finding: a.finding, sources: [...a.sources].sort()}))
  }

  private resolveIfEmpty(key: string, a: Active, now: number): AlertEvent[] {
    if (a.sources.size > 0) return []
    this.active.delete(key)
    return [this.alert('resolved', key, {...a.finding, active: false}, [], now)]
  }

  private alert(status: AlertStatus, key: string, finding: Finding, sources: string[], now: number): AlertEvent {
    return {type: 'alert', status, key, finding, sources, at: new Date(now).toISOString()}
  }
}
