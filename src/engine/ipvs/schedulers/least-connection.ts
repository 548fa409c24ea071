import type {Scheduler, SchedDest, SchedulerName} from './types.js'

/** ip_vs_dest_conn_overhead: active connections weigh 256 times an inactive one. */
export const connOverhead = (d: SchedDest): number => d.activeConns * 256 + d.inactiveConns

/** ip_vs_lc: least overhead, first in list order on ties; weight 0 skipped. */
function scheduleLc(dests: readonly SchedDest[]): SchedDest | undefined {
  let least: SchedDest | undefined
  let loh = 0
  for (const d of dests) {
    if (d.weight === 0) continue
    const doh = connOverhead(d)
    if (!least || doh < loh) {
      least = d
      loh = doh
    }
  }
  return least
}

/**
 * The weighted family (wlc, sed, nq): least overhead/weight, compared as
 * loh * weight(d) > doh * weight(least) to stay in integers, like the kernel.
 */
function scheduleWeighted(
  dests: readonly SchedDest[],
  overhead: (d: SchedDest) => number,
  idleWins: boolean,
): SchedDest | undefined {
  let least: SchedDest | undefined
  let loh = 0
  for (const d of dests) {
    if (d.weight <= 0) continue
    const doh = overhead(d)
    if (idleWins && d.activeConns === 0) return d
    if (!least || loh * d.weight > doh * least.weight) {
      least = d
      loh = doh
    }
  }
  return least
}

const sedOverhead = (d: SchedDest): number => d.activeConns + 1

export function createLeastConnection(name: Extract<SchedulerName, 'lc' | 'wlc' | 'sed' | 'nq'>): Scheduler {
  const pick: Record<typeof name, (dests: readonly SchedDest[]) => SchedDest | undefined> = {
    lc: scheduleLc,
    wlc: (dests) => scheduleWeighted(dests, connOverhead, false),
    sed: (dests) => scheduleWeighted(dests, sedOverhead, false),
    nq: (dests) => scheduleWeighted(dests, sedOverhead, true),
  }
  return {name, destsChanged() {}, schedule: pick[name]}
}
