/**
 * Tracking with keepalived's semantics, pure: vrrp_script results with
 * rise/fall, and the effective priority (or FAULT) they and track_interface
 * give an instance.
 *
 * weight > 0: added while the tracked object is OK.
 * weight < 0: subtracted (|weight|) while it fails.
 * weight 0:   the instance goes to FAULT while it fails.
 * reverse:    the direction is inverted (OK counts as failing and vice versa).
 * track_file: the file's number times the weight (see TrackedObject.value).
 * A script with no result yet counts as OK (keepalived's start; init_fail is seeded as failing).
 * The owner (priority 255) ignores weights and only faults, as keepalived forces
 * weight 0 for it. The result is kept in 1..254 (255 only for the owner).
 */

export interface TrackedObject {
  /** "script chk_nginx" or "interface eth1" */
  name: string
  weight: number
  reverse: boolean
  /** undefined until the first result */
  ok: boolean | undefined
  /**
   * track_file: the number in the file, instead of ok. Weight 0: FAULT while it is
   * not 0; otherwise value x weight (x -1 with reverse) is added, within -254..254.
   */
  value?: number
}

export interface TrackedPriority {
  effective: number
  fault: boolean
  /** the objects that hold the instance in FAULT */
  faultBy: string[]
}

export function trackedPriority(base: number, objects: readonly TrackedObject[]): TrackedPriority {
  let total = base
  const faultBy: string[] = []
  for (const o of objects) {
    if (o.value !== undefined) {
      if (o.weight === 0 || base === 255) {
        if (o.value !== 0) faultBy.push(o.name)
      } else total += Math.max(-254, Math.min(254, o.value * o.weight * (o.reverse ? -1 : 1)))
      continue
    }
    // no result yet counts as OK, as in keepalived (init_fail starts a script as failing instead)
    const ok = o.ok ?? true
    const good = o.reverse ? !ok : ok
    if (o.weight === 0 || base === 255) {
      if (!good) faultBy.push(o.name)
      continue
    }
    if (o.weight > 0 && good) total += o.weight
    if (o.weight < 0 && !good) total += o.weight
  }
  const effective = base === 255 ? 255 : Math.min(254, Math.max(1, total))
  return {effective, fault: faultBy.length > 0, faultBy}
}

/** State of one vrrp_script between runs. */
export interface ScriptStatus {
  ok: boolean | undefined
  /** consecutive results that disagree with `ok` */
  streak: number
}

export const initialScriptStatus: ScriptStatus = {ok: undefined, streak: 0}

/**
 * Fold one run's result into the status: the first result decides (as keepalived's
 * "one success is enough" start), then `fall` consecutive failures make an OK
 * script fail and `rise` consecutive successes make a failing one OK.
 */
export function foldScriptResult(st: ScriptStatus, success: boolean, rise: number, fall: number): ScriptStatus {
  if (st.ok === undefined) return {ok: success, streak: 0}
  if (success === st.ok) return {ok: st.ok, streak: 0}
  const streak = st.streak + 1
  const need = st.ok ? Math.max(1, fall) : Math.max(1, rise)
  return streak >= need ? {ok: success, streak: 0} : {ok: st.ok, streak}
}
