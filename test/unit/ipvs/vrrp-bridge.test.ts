import {EventEmitter} from 'node:events'
import {describe, expect, it} from 'vitest'
import type {EngineEvent} from '../../../src/engine/engine.js'
import {followVrrpTransitions, type VirtualServerService} from '../../../src/engine/ipvs/index.js'

describe('followVrrpTransitions', () => {
  it('activates an instance on entering MASTER and deactivates on leaving it', async () => {
    const calls: [string, boolean][] = []
    const service = {setActive: async (n: string, a: boolean) => void calls.push([n, a])} as unknown as VirtualServerService
    const engine = new EventEmitter<{event: [EngineEvent]}>()
    const detach = followVrrpTransitions(engine, service)
    const t = (instance: string, from: string, to: string) =>
      engine.emit('event', {type: 'transition', instance, transition: {at: '', from, to, reason: 'test'}} as EngineEvent)
    t('VI_1', 'INIT', 'BACKUP')
    t('VI_1', 'BACKUP', 'MASTER')
    t('VI_2', 'BACKUP', 'MASTER')
    engine.emit('event', {type: 'log', message: 'x'})
    t('VI_1', 'MASTER', 'BACKUP')
    t('VI_2', 'MASTER', 'FAULT')
    detach()
    t('VI_1', 'BACKUP', 'MASTER')
    expect(calls).toEqual([
      ['VI_1', true],
      ['VI_2', true],
      ['VI_1', false],
      ['VI_2', false],
    ])
  })
})
