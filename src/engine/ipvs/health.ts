import type {Checker, RealServer, VirtualServer} from '../../keepalived/model.js'
import {CheckerLoop, checkerTiming, createProbe, type CheckerState, type ProbeResult} from './checkers/index.js'

export interface RealServerHealthOptions {
  /** `alpha`: servers start down until their checkers pass */
  alpha: boolean
  /** called when the verdict (all checkers up) or the misc_dynamic weight may have changed */
  onChange: (healthy: boolean, dynamicWeight: number | undefined) => void
  random?: () => number
  /** replace the network/script probes (tests) */
  probeFor?: (checker: Checker) => () => Promise<ProbeResult>
}

/**
 * The checkers of one real server. It is healthy while every checker is up
 * (keepalived's failed-checkers list is empty); a server without checkers is
 * always up. misc_dynamic checkers move the weight: each adds (its weight -
 * configured weight), so with one such checker the weight is exit code - 2.
 */
export class RealServerHealth {
  readonly loops: {checker: Checker; loop: CheckerLoop}[]
  private lastHealthy: boolean

  constructor(
    readonly rs: RealServer,
    vs: VirtualServer,
    private readonly opts: RealServerHealthOptions,
  ) {
    this.loops = rs.checkers.map((checker) => {
      const loop = new CheckerLoop({
        timing: checkerTiming(checker, rs, vs),
        probe: opts.probeFor?.(checker) ?? createProbe(checker, rs, vs),
        initiallyUp: !opts.alpha,
        random: opts.random,
        onVerdict: () => this.evaluate(),
      })
      return {checker, loop}
    })
    this.lastHealthy = this.healthy()
  }

  healthy(): boolean {
    return this.loops.every((l) => l.loop.state.up)
  }

  dynamicWeight(): number | undefined {
    const base = this.rs.weight ?? 1
    let weight: number | undefined
    for (const {checker, loop} of this.loops) {
      if (checker.type !== 'MISC_CHECK' || !checker.miscDynamic || loop.state.weight === undefined) continue
      weight = (weight ?? base) + (loop.state.weight - base)
    }
    return weight === undefined ? undefined : Math.max(0, weight)
  }

  states(): {type: Checker['type']; state: CheckerState}[] {
    return this.loops.map(({checker, loop}) => ({type: checker.type, state: loop.state}))
  }

  private evaluate(): void {
    this.lastHealthy = this.healthy()
    this.opts.onChange(this.lastHealthy, this.dynamicWeight())
  }

  start(): void {
    for (const l of this.loops) l.loop.start()
  }

  stop(): void {
    for (const l of this.loops) l.loop.stop()
  }
}
