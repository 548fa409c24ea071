/**
 * What a scheduler sees of a destination: the same fields IPVS's schedulers
 * read from `struct ip_vs_dest`.
 */
export interface SchedDest {
  /** stable key, "ip:port" */
  readonly key: string
  readonly ip: string
  readonly port: number
  /** current weight; 0 = quiescent (drain: existing connections stay, no new ones) */
  weight: number
  /** latest non-zero weight (IPVS `last_weight`, used by mh to keep a drained server's slots) */
  lastWeight: number
  /** established connections */
  activeConns: number
  /** connections not established (connecting, half-closed) and UDP flows, as IPVS counts them */
  inactiveConns: number
}

export interface Endpoint {
  ip: string
  port: number
}

export type SchedulerName = 'rr' | 'wrr' | 'lc' | 'wlc' | 'sh' | 'mh' | 'dh' | 'sed' | 'nq'

export const SCHEDULER_NAMES: readonly SchedulerName[] = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'dh', 'sed', 'nq']

export interface Scheduler {
  readonly name: SchedulerName
  /**
   * The destination list or a weight changed (IPVS's add_dest/del_dest/upd_dest):
   * rebuild whatever the scheduler keeps (wrr's cursor, sh/dh/mh tables).
   */
  destsChanged(dests: readonly SchedDest[]): void
  /** Pick a destination for a new connection, or undefined when none is available. */
  schedule(dests: readonly SchedDest[], client: Endpoint, service: Endpoint): SchedDest | undefined
}
