/**
 * VRRP timers (RFC 3768 section 6.1, RFC 5798 section 6.1), in milliseconds.
 * Pure arithmetic, rounded the way keepalived rounds them so that the engine
 * and a keepalived peer time out at the same moments.
 */

export type VrrpVersion = 2 | 3

/** v3 carries the interval in centiseconds on 12 bits. */
export const V3_MAX_INTERVAL_CS = 0xfff

/**
 * Skew_Time. v2: (256 - Priority) / 256 seconds.
 * v3: ((256 - Priority) * Master_Adver_Interval) / 256, computed in centiseconds
 * with integer division, as keepalived does.
 */
export function skewMs(version: VrrpVersion, priority: number, masterAdverIntMs: number): number {
  const p = clampPriority(priority)
  if (version === 2) return ((256 - p) * 1000) / 256
  const cs = Math.round(masterAdverIntMs / 10)
  return Math.floor(((256 - p) * cs) / 256) * 10
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
export function masterDownMs(version: VrrpVersion, priority: number, masterAdverIntMs: number): number {
  return 3 * masterAdverIntMs + skewMs(version, priority, masterAdverIntMs)
}

/**
 * The advertisement interval in milliseconds from keepalived's advert_int
 * (seconds). v2 has whole seconds on the wire (at least 1); v3 centiseconds (at least 1).
 */
export function advertIntervalMs(version: VrrpVersion, advertIntSeconds: number | undefined): number {
  const s = advertIntSeconds ?? 1
  if (version === 2) return Math.max(1, Math.round(s)) * 1000
  const cs = Math.min(V3_MAX_INTERVAL_CS, Math.max(1, Math.round(s * 100)))
  return cs * 10
}

function clampPriority(p: number): number {
  return Math.min(255, Math.max(0, Math.round(p)))
}
