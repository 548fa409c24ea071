import type {ProbeResult} from './probes.js'
import type {CheckerTiming} from './timing.js'

/** What a checker knows now; the JSON status shows it. */
export interface CheckerState {
  up: boolean
  /** at least one attempt finished */
  hasRun: boolean
  /** failed attempts since the last success (keepalived's retry_it) */
  retryIt: number
  checks: number
  failures: number
  lastError?: string
  /** epoch ms of the last finished attempt */
  lastCheckAt?: number
  /** misc_dynamic weight from the last exit code, when one was given */
  weight?: number
}

export interface Verdict {
  state: CheckerState
  /** seconds until the next attempt */
  nextIn: number
  /** the checker went up or down with this attempt */
  changed: boolean
}

/**
 * keepalived's checker epilog as a pure step: on success, or on a failure once
 * `retry` retries are spent while up (or before the first verdict), settle the
 * state and wait delay_loop; otherwise count a retry and try again after
 * delay_before_retry. A server that is down is therefore re-tried every
 * delay_before_retry and comes back on its first success.
 */
export function stepChecker(prev: CheckerState, result: ProbeResult, timing: CheckerTiming, now: number): Verdict {
  const state: CheckerState = {
    ...prev,
    checks: prev.checks + 1,
    failures: prev.failures + (result.ok ? 0 : 1),
    lastCheckAt: now,
    lastError: result.ok ? prev.lastError : result.error,
    weight: result.weight ?? prev.weight,
  }
  let nextIn: number
  let changed = false
  if (result.ok || ((prev.up || !prev.hasRun) && prev.retryIt >= timing.retry)) {
    state.retryIt = 0
    if (result.ok && (!prev.up || !prev.hasRun)) {
      changed = !prev.up
      state.up = true
    } else if (!result.ok && (prev.up || !prev.hasRun)) {
      changed = prev.up
      state.up = false
    }
    nextIn = timing.delayLoop
  } else {
    state.retryIt = prev.retryIt + 1
    nextIn = timing.delayBeforeRetry
  }
  state.hasRun = true
  return {state, nextIn, changed}
}

export interface CheckerLoopOptions {
  timing: CheckerTiming
  probe: () => Promise<ProbeResult>
  /** false with `alpha`: the server counts as down until a check passes */
  initiallyUp: boolean
  onVerdict: (v: Verdict) => void
  random?: () => number
}

/** Runs one checker on its timers until stopped. */
export class CheckerLoop {
  private timer?: NodeJS.Timeout
  private stopped = true
  state: CheckerState

  constructor(private readonly opts: CheckerLoopOptions) {
    this.state = {up: opts.initiallyUp, hasRun: false, retryIt: 0, checks: 0, failures: 0}
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    const warmup = this.opts.timing.warmup > 0 ? (this.opts.random ?? Math.random)() * this.opts.timing.warmup : 0
    this.schedule(warmup)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private schedule(seconds: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.attempt(), Math.round(seconds * 1000))
  }

  private async attempt(): Promise<void> {
    let result: ProbeResult
    try {
      result = await this.opts.probe()
    } catch (e) {
      result = {ok: false, error: e instanceof Error ? e.message : String(e)}
    }
    if (this.stopped) return
    const v = stepChecker(this.state, result, this.opts.timing, Date.now())
    this.state = v.state
    this.opts.onVerdict(v)
    this.schedule(v.nextIn)
  }
}
