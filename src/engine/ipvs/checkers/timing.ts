import type {Checker, RealServer, VirtualServer} from '../../../keepalived/model.js'

/** A checker's timers, in seconds, with keepalived 2.2's defaults filled in. */
export interface CheckerTiming {
  delayLoop: number
  connectTimeout: number
  retry: number
  delayBeforeRetry: number
  /** random delay before the first check, up to this many seconds (0: none) */
  warmup: number
}

export const DEFAULT_DELAY_LOOP = 60
export const DEFAULT_CONNECT_TIMEOUT = 5

/**
 * keepalived.conf(5): delay_loop 60 s; connect_timeout 5 s; retry 1 (MISC_CHECK 0);
 * delay_before_retry 3 s for HTTP_GET/SSL_GET, 1 s otherwise; warmup up to
 * delay_loop unless set (0 disables). The real server's delay_loop overrides
 * the virtual server's; MISC_CHECK's misc_timeout defaults to delay_loop.
 */
export function checkerTiming(checker: Checker, rs: RealServer, vs: VirtualServer): CheckerTiming {
  const delayLoop = rs.delayLoop ?? vs.delayLoop ?? DEFAULT_DELAY_LOOP
  if (checker.type === 'MISC_CHECK') {
    return {
      delayLoop,
      connectTimeout: checker.miscTimeout ?? delayLoop,
      retry: 0,
      delayBeforeRetry: 1,
      warmup: checker.warmup ?? delayLoop,
    }
  }
  const http = checker.type === 'HTTP_GET' || checker.type === 'SSL_GET'
  return {
    delayLoop,
    connectTimeout: checker.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    retry: checker.retry ?? 1,
    delayBeforeRetry: checker.delayBeforeRetry ?? (http ? 3 : 1),
    warmup: checker.warmup ?? delayLoop,
  }
}

/**
 * The longest time from a server's death to its removal: the wait for the
 * next check, then the first attempt and `retry` more, each up to
 * connect_timeout and separated by delay_before_retry.
 */
export function worstCaseDetection(t: CheckerTiming): number {
  return t.delayLoop + t.connectTimeout + t.retry * (t.delayBeforeRetry + t.connectTimeout)
}
