import {describe, expect, it} from 'vitest'
import {
  compareIp,
  createInstance,
  nextDeadline,
  step,
  stepWorld,
  type SmAction,
  type SmConfig,
  type SmEvent,
  type SmInstance,
  type World,
} from '../../../src/vrrp/state-machine.js'
import {advertIntervalMs, masterDownMs, skewMs} from '../../../src/vrrp/timers.js'

const base: SmConfig = {
  version: 2,
  priority: 100,
  advertIntMs: 1000,
  initialState: 'BACKUP',
  nopreempt: false,
  preemptDelayMs: 0,
  primaryIp: '10.0.0.1',
}

/** A fake clock driving one instance: events in order, timers fired as time passes. */
class Sim {
  inst: SmInstance
  now = 0
  log: Array<{at: number; action: SmAction}> = []
  constructor(cfg: Partial<SmConfig> = {}) {
    this.inst = createInstance({...base, ...cfg})
  }
  send(ev: SmEvent): SmAction[] {
    const r = step(this.inst, ev, this.now)
    this.inst = r.inst
    for (const a of r.actions) this.log.push({at: this.now, action: a})
    return r.actions
  }
  /** advance to `t`, firing every timer that falls due on the way */
  advance(t: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const d = nextDeadline(this.inst)
      if (d === undefined || d > t) break
      this.now = d
      this.send({type: 'tick'})
    }
    this.now = t
  }
  transitions(): Array<{at: number; to: string}> {
    return this.log.flatMap((l) => (l.action.type === 'transition' ? [{at: l.at, to: l.action.to}] : []))
  }
  adverts(): Array<{at: number; priority: number}> {
    return this.log.flatMap((l) => (l.action.type === 'send-advert' ? [{at: l.at, priority: l.action.priority}] : []))
  }
}

describe('timers', () => {
  it('v2: Skew_Time = (256-prio)/256 s and Master_Down_Interval = 3*advert + skew', () => {
    expect(skewMs(2, 100, 1000)).toBeCloseTo(609.375)
    expect(masterDownMs(2, 100, 1000)).toBeCloseTo(3609.375)
    expect(skewMs(2, 255, 1000)).toBeCloseTo(3.90625)
  })
  it('v3: skew scales with Master_Adver_Interval in centiseconds', () => {
    expect(skewMs(3, 100, 1000)).toBe(600) // (156*100/256)=60.9 -> 60 cs
    expect(masterDownMs(3, 200, 50)).toBe(150 + 10) // (56*5)/256 = 1 cs
  })
  it('advert_int: v2 in whole seconds, v3 in centiseconds capped at 12 bits', () => {
    expect(advertIntervalMs(2, 1)).toBe(1000)
    expect(advertIntervalMs(3, 0.05)).toBe(50)
    expect(advertIntervalMs(3, 100)).toBe(40950)
  })
})

describe('Initialize', () => {
  it('a backup starts in BACKUP and becomes MASTER after Master_Down_Interval with no advert', () => {
    const s = new Sim()
    s.send({type: 'startup'})
    expect(s.inst.state).toBe('BACKUP')
    s.advance(3609)
    expect(s.inst.state).toBe('BACKUP')
    s.advance(3610)
    expect(s.inst.state).toBe('MASTER')
    const acts = s.log.filter((l) => l.at > 3000).map((l) => l.action.type)
    expect(acts).toEqual(['send-advert', 'add-vips', 'garp', 'transition'])
  })
  it('state MASTER below 255 still waits Master_Down_Interval (as keepalived)', () => {
    const s = new Sim({initialState: 'MASTER'})
    s.send({type: 'startup'})
    expect(s.inst.state).toBe('BACKUP')
  })
  it('the address owner (priority 255) becomes MASTER at once', () => {
    const s = new Sim({priority: 255})
    s.send({type: 'startup'})
    expect(s.inst.state).toBe('MASTER')
    expect(s.adverts()).toEqual([{at: 0, priority: 255}])
  })
})

describe('Master', () => {
  const master = (cfg: Partial<SmConfig> = {}) => {
    const s = new Sim({priority: 255, ...cfg})
    s.send({type: 'startup'})
    return s
  }
  it('sends an advert every Advertisement_Interval', () => {
    const s = master()
    s.advance(3500)
    expect(s.adverts().map((a) => a.at)).toEqual([0, 1000, 2000, 3000])
  })
  it('steps down to BACKUP on a higher priority advert and removes the VIPs', () => {
    const s = master({priority: 100})
    s.send({type: 'startup'})
    s.advance(4000)
    expect(s.inst.state).toBe('MASTER')
    const acts = s.send({type: 'advert', priority: 150, adverIntMs: 1000, srcIp: '10.0.0.2'})
    expect(acts.map((a) => a.type)).toEqual(['remove-vips', 'transition'])
    expect(s.inst.state).toBe('BACKUP')
    expect(s.inst.masterDownAt).toBeCloseTo(4000 + masterDownMs(2, 100, 1000))
  })
  it('equal priority: the higher primary IP wins, the lower one is answered at once', () => {
    const lo = master({priority: 255, primaryIp: '10.0.0.5'})
    lo.inst = {...lo.inst, effectivePriority: 100}
    expect(lo.send({type: 'advert', priority: 100, adverIntMs: 1000, srcIp: '10.0.0.4'}).map((a) => a.type)).toEqual(['send-advert'])
    expect(lo.inst.state).toBe('MASTER')
    lo.send({type: 'advert', priority: 100, adverIntMs: 1000, srcIp: '10.0.0.6'})
    expect(lo.inst.state).toBe('BACKUP')
  })
  it('compares addresses as unsigned numbers, not strings', () => {
    expect(compareIp('10.0.0.10', '10.0.0.9')).toBeGreaterThan(0)
    expect(compareIp('fe80::2', 'fe80::10')).toBeLessThan(0)
  })
  it('a lower priority advert forces a new election: we advertise at once', () => {
    const s = master()
    s.advance(1500)
    s.send({type: 'advert', priority: 50, adverIntMs: 1000, srcIp: '10.0.0.2'})
    expect(s.adverts().at(-1)).toEqual({at: 1500, priority: 255})
    expect(s.inst.adverTimerAt).toBe(2500)
  })
  it('priority 0 from another router: answered with an advert, stays MASTER', () => {
    const s = master()
    s.advance(200)
    s.send({type: 'advert', priority: 0, adverIntMs: 1000, srcIp: '10.0.0.2'})
    expect(s.inst.state).toBe('MASTER')
    expect(s.adverts().at(-1)).toEqual({at: 200, priority: 255})
  })
  it('shutdown sends priority 0 and removes the VIPs', () => {
    const s = master()
    s.advance(500)
    expect(s.send({type: 'shutdown'})).toEqual([
      {type: 'send-advert', priority: 0},
      {type: 'remove-vips'},
      {type: 'transition', from: 'MASTER', to: 'INIT', reason: 'shutdown', at: 500},
    ])
    expect(nextDeadline(s.inst)).toBeUndefined()
  })
  it('v3: a backup adopts the master interval and times out on it', () => {
    const s = master({version: 3, priority: 100, advertIntMs: 1000})
    s.advance(4000)
    s.send({type: 'advert', priority: 200, adverIntMs: 50, srcIp: '10.0.0.2'})
    expect(s.inst.masterAdverIntMs).toBe(50)
    expect(s.inst.masterDownAt).toBe(4000 + masterDownMs(3, 100, 50))
  })
})

describe('Backup', () => {
  const backup = (cfg: Partial<SmConfig> = {}) => {
    const s = new Sim(cfg)
    s.send({type: 'startup'})
    return s
  }
  const adv = (s: Sim, priority: number, srcIp = '10.0.0.2', adverIntMs = 1000) => s.send({type: 'advert', priority, adverIntMs, srcIp})

  it('adverts from a higher master keep resetting Master_Down_Timer', () => {
    const s = backup()
    for (let t = 0; t < 20_000; t += 1000) {
      s.advance(t)
      adv(s, 200)
    }
    expect(s.inst.state).toBe('BACKUP')
    expect(s.transitions().map((t) => t.to)).toEqual(['BACKUP'])
  })
  it('takes over Master_Down_Interval after the last advert', () => {
    const s = backup()
    s.advance(1000)
    adv(s, 200)
    s.advance(10_000)
    expect(s.transitions().at(-1)).toEqual({at: 1000 + masterDownMs(2, 100, 1000), to: 'MASTER'})
  })
  it('priority 0 from the master: takes over after Skew_Time only', () => {
    const s = backup()
    s.advance(1000)
    adv(s, 200)
    s.advance(1500)
    adv(s, 0)
    s.advance(5000)
    expect(s.transitions().at(-1)!.at).toBeCloseTo(1500 + skewMs(2, 100, 1000))
  })
  it('preempt: a lower priority master is ignored, so Master_Down_Interval expires', () => {
    const s = backup({priority: 150})
    for (let t = 0; t <= 5000; t += 1000) {
      s.advance(t)
      adv(s, 100)
    }
    expect(s.inst.state).toBe('MASTER')
    expect(s.transitions().at(-1)!.at).toBeCloseTo(masterDownMs(2, 150, 1000))
  })
  it('equal priority in BACKUP is accepted whatever the address (RFC 3768 6.4.2)', () => {
    const s = backup({primaryIp: '10.0.0.9'})
    for (let t = 0; t <= 10_000; t += 1000) {
      s.advance(t)
      adv(s, 100, '10.0.0.2')
    }
    expect(s.inst.state).toBe('BACKUP')
  })
  it('nopreempt (with state BACKUP) accepts a lower priority master', () => {
    const s = backup({priority: 150, nopreempt: true})
    for (let t = 0; t <= 10_000; t += 1000) {
      s.advance(t)
      adv(s, 100)
    }
    expect(s.inst.state).toBe('BACKUP')
  })
  it('nopreempt is ignored with state MASTER, as keepalived does', () => {
    const s = backup({priority: 150, nopreempt: true, initialState: 'MASTER'})
    expect(s.inst.config.nopreempt).toBe(false)
  })
  it('preempt_delay: a lower master is accepted for the delay, then preempted', () => {
    const s = backup({priority: 150, preemptDelayMs: 5000})
    for (let t = 0; t <= 20_000; t += 1000) {
      s.advance(t)
      if (s.inst.state === 'BACKUP') adv(s, 100)
    }
    // accepted while the delay runs (started at 0, ends at 5000), ignored from then on
    expect(s.transitions().at(-1)!.to).toBe('MASTER')
    expect(s.transitions().at(-1)!.at).toBeCloseTo(4000 + masterDownMs(2, 150, 1000))
  })
  it('preempt_delay restarts when a higher master is seen', () => {
    const s = backup({priority: 150, preemptDelayMs: 5000})
    adv(s, 100)
    expect(s.inst.preemptAt).toBe(5000)
    s.advance(1000)
    adv(s, 200)
    expect(s.inst.preemptAt).toBeUndefined()
  })
})

describe('tracking and FAULT', () => {
  it('a fault in MASTER sends priority 0, removes the VIPs, and leaves no timer', () => {
    const s = new Sim({priority: 255})
    s.send({type: 'startup'})
    const acts = s.send({type: 'fault', on: true, reason: 'interface eth0 down'})
    expect(acts.map((a) => a.type)).toEqual(['send-advert', 'remove-vips', 'transition'])
    expect(acts[0]).toEqual({type: 'send-advert', priority: 0})
    expect(nextDeadline(s.inst)).toBeUndefined()
    s.advance(60_000)
    expect(s.inst.state).toBe('FAULT')
    s.send({type: 'fault', on: false, reason: 'interface eth0 up'})
    expect(s.inst.state).toBe('MASTER')
  })
  it('a non-owner recovers from FAULT into BACKUP', () => {
    const s = new Sim()
    s.send({type: 'fault', on: true, reason: 'chk failing'})
    s.send({type: 'startup'})
    expect(s.inst.state).toBe('FAULT')
    s.now = 100
    s.send({type: 'fault', on: false, reason: 'chk ok'})
    expect(s.inst.state).toBe('BACKUP')
    expect(s.inst.masterDownAt).toBeCloseTo(100 + masterDownMs(2, 100, 1000))
  })
  it('a priority drop in MASTER is advertised at once; it is clamped to 1..254', () => {
    const s = new Sim({priority: 100})
    s.send({type: 'startup'})
    s.advance(4000)
    expect(s.send({type: 'priority', effective: 60})).toEqual([{type: 'send-advert', priority: 60}])
    s.send({type: 'priority', effective: -5})
    expect(s.inst.effectivePriority).toBe(1)
    s.send({type: 'priority', effective: 400})
    expect(s.inst.effectivePriority).toBe(254)
  })
})

describe('two simulated routers on one link', () => {
  /** deliver each advert of one to the other, with zero latency */
  function pair(a: Partial<SmConfig>, b: Partial<SmConfig>) {
    const r = [new Sim(a), new Sim(b)]
    const ips = [a.primaryIp ?? '10.0.0.1', b.primaryIp ?? '10.0.0.2']
    const alive = [true, true]
    const deliver = (from: number, acts: SmAction[]) => {
      for (const x of acts) {
        if (x.type !== 'send-advert' || !alive[1 - from]) continue
        const to = r[1 - from]
        deliver(1 - from, to.send({type: 'advert', priority: x.priority, adverIntMs: r[from].inst.config.advertIntMs, srcIp: ips[from]}))
      }
    }
    const run = (until: number) => {
      for (let guard = 0; guard < 100_000; guard++) {
        const ds = r.map((s, i) => (alive[i] ? nextDeadline(s.inst) : undefined))
        const next = Math.min(...ds.map((d) => d ?? Infinity))
        if (next > until) break
        const i = ds.indexOf(next)
        for (const s of r) s.now = next
        deliver(i, r[i].send({type: 'tick'}))
      }
      for (const s of r) s.now = until
    }
    return {r, alive, deliver, run}
  }

  it('elects the higher priority; kill -> takeover within Master_Down_Interval; clean stop -> within Skew_Time', () => {
    const p = pair({priority: 150, primaryIp: '10.0.0.1'}, {priority: 100, primaryIp: '10.0.0.2'})
    p.deliver(0, p.r[0].send({type: 'startup'}))
    p.deliver(1, p.r[1].send({type: 'startup'}))
    p.run(10_000)
    expect(p.r.map((s) => s.inst.state)).toEqual(['MASTER', 'BACKUP'])
    // crash the master at 10_000: its last advert was at or before 10_000
    p.alive[0] = false
    const lastAdvert = p.r[0].adverts().at(-1)!.at
    p.run(20_000)
    const took = p.r[1].transitions().at(-1)!
    expect(took.to).toBe('MASTER')
    expect(took.at - lastAdvert).toBeLessThanOrEqual(masterDownMs(2, 100, 1000))
    // restart it: preempts back after its own Master_Down_Interval
    p.alive[0] = true
    p.r[0] = new Sim({priority: 150, primaryIp: '10.0.0.1'})
    p.r[0].now = 20_000
    p.deliver(0, p.r[0].send({type: 'startup'}))
    p.run(30_000)
    expect(p.r.map((s) => s.inst.state)).toEqual(['MASTER', 'BACKUP'])
    // clean stop
    p.r[0].now = 30_000
    p.deliver(0, p.r[0].send({type: 'shutdown'}))
    p.alive[0] = false
    p.run(31_000)
    expect(p.r[1].transitions().at(-1)).toEqual({at: 30_000 + skewMs(2, 100, 1000), to: 'MASTER'})
  })

  it('nopreempt: a returning higher-priority router stays BACKUP', () => {
    const p = pair({priority: 150, nopreempt: true}, {priority: 100, nopreempt: true})
    p.deliver(1, p.r[1].send({type: 'startup'}))
    p.run(5000)
    expect(p.r[1].inst.state).toBe('MASTER')
    p.deliver(0, p.r[0].send({type: 'startup'}))
    p.run(30_000)
    expect(p.r.map((s) => s.inst.state)).toEqual(['BACKUP', 'MASTER'])
  })

  it('equal priorities: the higher primary IP ends as the master', () => {
    const p = pair({priority: 100, primaryIp: '10.0.0.20'}, {priority: 100, primaryIp: '10.0.0.3'})
    // both start alone (split), then meet
    p.alive[0] = p.alive[1] = false
    p.r[0].send({type: 'startup'})
    p.r[1].send({type: 'startup'})
    p.alive[0] = p.alive[1] = true
    p.run(20_000)
    expect(p.r.map((s) => s.inst.state)).toEqual(['MASTER', 'BACKUP'])
  })
})

describe('sync groups', () => {
  const mk = (name: string, cfg: Partial<SmConfig> = {}) => [name, createInstance({...base, ...cfg})] as const
  const world = (): World => ({
    instances: new Map([mk('VI_1'), mk('VI_2')]),
    groupOf: new Map([
      ['VI_1', ['VI_1', 'VI_2']],
      ['VI_2', ['VI_1', 'VI_2']],
    ]),
  })
  const run = (w: World, name: string, ev: SmEvent, now: number) => stepWorld(w, name, ev, now)

  it('members move to MASTER, BACKUP and FAULT together', () => {
    let w = world()
    w = run(w, 'VI_1', {type: 'startup'}, 0).world
    w = run(w, 'VI_2', {type: 'startup'}, 0).world
    const r = run(w, 'VI_1', {type: 'tick'}, 5000)
    w = r.world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['MASTER', 'MASTER'])
    expect(r.actions.filter((a) => a.action.type === 'add-vips').map((a) => a.instance)).toEqual(['VI_1', 'VI_2'])
    w = run(w, 'VI_2', {type: 'advert', priority: 200, adverIntMs: 1000, srcIp: '10.0.0.9'}, 5500).world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['BACKUP', 'BACKUP'])
    w = run(w, 'VI_1', {type: 'fault', on: true, reason: 'eth1 down'}, 6000).world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['FAULT', 'FAULT'])
    w = run(w, 'VI_1', {type: 'fault', on: false, reason: 'eth1 up'}, 7000).world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['BACKUP', 'BACKUP'])
  })

  it('the group stays in FAULT while any member still fails', () => {
    let w = world()
    w = run(w, 'VI_1', {type: 'startup'}, 0).world
    w = run(w, 'VI_2', {type: 'startup'}, 0).world
    w = run(w, 'VI_1', {type: 'fault', on: true, reason: 'a'}, 1).world
    w = run(w, 'VI_2', {type: 'fault', on: true, reason: 'b'}, 2).world
    w = run(w, 'VI_1', {type: 'fault', on: false, reason: 'a ok'}, 3).world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['FAULT', 'FAULT'])
    w = run(w, 'VI_2', {type: 'fault', on: false, reason: 'b ok'}, 4).world
    expect([...w.instances.values()].map((i) => i.state)).toEqual(['BACKUP', 'BACKUP'])
  })
})
