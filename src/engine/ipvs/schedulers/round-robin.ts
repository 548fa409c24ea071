import {gcd} from './addr.js'
import type {Scheduler, SchedDest} from './types.js'

const usable = (d: SchedDest): boolean => d.weight > 0

/** ip_vs_rr: the next destination after the last one chosen, skipping weight 0. */
export function createRoundRobin(): Scheduler {
  let lastKey: string | undefined
  return {
    name: 'rr',
    destsChanged() {},
    schedule(dests) {
      const n = dests.length
      if (n === 0) return undefined
      const at = lastKey === undefined ? -1 : dests.findIndex((d) => d.key === lastKey)
      for (let step = 1; step <= n; step++) {
        const d = dests[(at + step + n) % n]
        if (usable(d)) {
          lastKey = d.key
          return d
        }
      }
      return undefined
    },
  }
}

/**
 * ip_vs_wrr: a cursor over the list and a current weight `cw` that starts at
 * the maximum weight (less gcd-1) and steps down by the gcd of the weights each
 * time the cursor wraps; a destination is chosen when its weight >= cw.
 */
export function createWeightedRoundRobin(): Scheduler {
  let cl = -1 // -1: the list head
  let cw = 0
  let mw = 0
  let di = 1
  const changed = (dests: readonly SchedDest[]): void => {
    cl = -1
    di = dests.reduce((g, d) => (d.weight > 0 ? (g ? gcd(d.weight, g) : d.weight) : g), 0) || 1
    mw = Math.max(0, ...dests.map((d) => d.weight)) - (di - 1)
    if (cw > mw || !cw) cw = mw
    else if (di > 1) cw = Math.floor(cw / di) * di + 1
  }
  return {
    name: 'wrr',
    destsChanged: changed,
    schedule(dests) {
      if (mw <= 0 || dests.length === 0) return undefined
      if (cl >= dests.length) cl = -1
      // one full sweep per weight step, over every step, is enough to find a dest when one exists
      const bound = (dests.length + 1) * (Math.ceil(mw / di) + 1)
      for (let i = 0; i < bound; i++) {
        cl++
        if (cl >= dests.length) {
          cl = -1
          cw -= di
          if (cw <= 0) cw = mw
          continue
        }
        const d = dests[cl]
        if (d.weight > 0 && d.weight >= cw) return d
      }
      return undefined
    },
  }
}
