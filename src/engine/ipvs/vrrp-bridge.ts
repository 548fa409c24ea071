import type {EngineEvent} from '../engine.js'
import type {VirtualServerService} from './service.js'

/** What the bridge needs of the VRRP engine: its event stream. */
export interface TransitionSource {
  on(event: 'event', listener: (e: EngineEvent) => void): unknown
  off(event: 'event', listener: (e: EngineEvent) => void): unknown
}

/**
 * Serve a vrrp_instance's virtual servers exactly while this node is MASTER
 * for it: entering MASTER calls setActive(instance, true), leaving it
 * setActive(instance, false). Attach before engine.start() so the first
 * transition is seen. Returns a function that detaches.
 */
export function followVrrpTransitions(
  engine: TransitionSource,
  service: VirtualServerService,
  onError: (e: unknown) => void = () => {},
): () => void {
  const listener = (e: EngineEvent): void => {
    if (e.type !== 'transition') return
    const {from, to} = e.transition
    if (to === 'MASTER' && from !== 'MASTER') service.setActive(e.instance, true).catch(onError)
    else if (from === 'MASTER' && to !== 'MASTER') service.setActive(e.instance, false).catch(onError)
  }
  engine.on('event', listener)
  return () => void engine.off('event', listener)
}
