/**
 * Judging a measured round against the protocol and the spec. Pure.
 */
import type {Expectation, FaultKind} from './expectations.js'
import type {RoundMeasurement} from './timeline.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

export interface RoundVerdict {
  ok: boolean
  checks: Check[]
}

export interface Policy {
  fault: FaultKind
  /** the spec's setting: names the check made after the fault is restored */
  preempt: boolean
  /**
   * whether the VIPs should go back to the original master after the restore
   * (default: preempt). VRRP decides between two masters by priority whatever
   * preempt says (a blocked master that comes back and hears a lower priority
   * keeps its VIP, the other steps down), so a `block` round expects the
   * higher-priority node; nopreempt only keeps a backup from taking over.
   */
  returnExpected?: boolean
  /** why the VIPs should (not) return, for the check's detail */
  returnBasis?: string
  /**
   * Configuration facts that make the cluster behave against its spec
   * (e.g. "nopreempt with state MASTER on lb1: keepalived ignores nopreempt").
   */
  knownCauses?: string[]
  /**
   * A VIP on two nodes for at most this long is a handover (the new master adds
   * it before the old one has dropped it), not split brain. Default 250 ms.
   */
  handoverMs?: number
}

const ms = (v: number | undefined): string => (v === undefined ? 'never' : `${Math.round(v)} ms`)

export function judgeRound(m: RoundMeasurement, exp: Expectation, policy: Policy): RoundVerdict {
  const checks: Check[] = []
  if (!exp.takeover) {
    checks.push({
      name: 'no takeover',
      ok: m.vipMovedMs === undefined,
      detail: m.vipMovedMs === undefined ? `the VIP stayed on ${Object.values(m.finalHolders)[0]?.join(' + ') || 'nobody'}, as expected (${exp.basis})` : `the VIP moved to ${m.newMaster} after ${ms(m.vipMovedMs)} although ${exp.basis}`,
    })
  } else if (policy.fault === 'block') {
    // the master keeps its VIP (it still thinks it is master) while the backup takes over too
    checks.push({
      name: 'split brain detected',
      ok: m.dualHoldMs > 0,
      detail: m.dualHoldMs > 0 ? `VIP on two nodes for ${ms(m.dualHoldMs)} (expected while VRRP is blocked)` : 'the VIP never appeared on a second node',
    })
  } else {
    checks.push({name: 'takeover', ok: m.vipMovedMs !== undefined, detail: m.vipMovedMs === undefined ? 'the VIP never moved to another node' : `VIP on ${m.newMaster} after ${ms(m.vipMovedMs)}`})
  }
  // fault -> first advert of the new master (the VIP follows it by the time the address change takes)
  const t = m.firstAdvertMs ?? m.vipMovedMs
  if (t !== undefined && exp.takeover) {
    const within = t >= exp.minMs && t <= exp.maxMs
    checks.push({
      name: 'takeover time',
      ok: within,
      detail: `${ms(t)}, expected ${ms(exp.minMs)}..${ms(exp.maxMs)} (${exp.basis})${t > exp.maxMs ? ': SLOWER than the protocol allows' : t < exp.minMs ? ': faster than the protocol allows (another router took over early?)' : ''}`,
    })
  }
  if (exp.gap && m.gapMs !== undefined && policy.fault !== 'block') {
    checks.push({
      name: 'protocol timer',
      ok: m.gapMs >= exp.gap.minMs && m.gapMs <= exp.gap.maxMs,
      detail: `${ms(m.gapMs)}, expected ${ms(exp.gap.minMs)}..${ms(exp.gap.maxMs)} (${exp.gap.basis})`,
    })
  }
  if (policy.fault === 'stop' && m.firstAdvertMs !== undefined && !m.resigned) {
    checks.push({name: 'resigned', ok: false, detail: 'no priority 0 advert was seen from the stopped master: backups had to wait Master_Down_Interval'})
  }
  if (m.dualHoldMs > 0 && (policy.fault === 'kill' || policy.fault === 'link')) {
    // a SIGKILLed keepalived, or one whose link went down, cannot remove its addresses
    checks.push({name: 'stale VIP', ok: true, detail: `the faulted master kept the VIP configured for ${ms(m.dualHoldMs)} after the takeover (it had no chance to remove it)`})
  } else if (policy.fault !== 'block') {
    const long = m.dualHold.filter((i) => i.to - i.from > (policy.handoverMs ?? 250))
    if (long.length) checks.push({name: 'no split brain', ok: false, detail: `VIP on two nodes for ${ms(long.reduce((a, i) => a + i.to - i.from, 0))}`})
  }
  if (m.restoreAt !== undefined && exp.takeover) {
    const name = policy.preempt ? 'preempt' : 'nopreempt'
    const back = policy.returnExpected ?? policy.preempt
    const why = policy.returnBasis ? ` (${policy.returnBasis})` : ''
    if (back) {
      checks.push({
        name,
        ok: m.returnedMs !== undefined,
        detail: m.returnedMs === undefined ? `VIP did not return to the original master after the fault was restored${why}` : `VIP returned to the original master ${ms(m.returnedMs)} after restore${why}`,
      })
    } else {
      checks.push({
        name,
        ok: m.returnedMs === undefined,
        detail: m.returnedMs === undefined ? `VIP stayed on the new master after restore${why}` : `VIP moved back to the original master ${ms(m.returnedMs)} after restore${policy.preempt ? '' : ', against nopreempt'}${why}`,
      })
    }
  }
  const holders = Object.entries(m.finalHolders)
  const healthy = holders.every(([, hs]) => hs.length === 1)
  checks.push({
    name: 'healthy at end',
    ok: healthy,
    detail: holders.map(([vip, hs]) => `${vip}: ${hs.length === 0 ? 'no owner' : hs.join(' + ')}`).join(', '),
  })
  const ok = checks.every((c) => c.ok)
  if (!ok && policy.knownCauses?.length) {
    checks.push({name: 'cause', ok: false, detail: policy.knownCauses.join('; ')})
  }
  return {ok, checks}
}

export interface Stats {
  min: number
  median: number
  max: number
  n: number
}

export function stats(values: Array<number | undefined>): Stats | undefined {
  const xs = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = xs.length >> 1
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
  return {min: xs[0], median, max: xs[xs.length - 1], n: xs.length}
}
