/**
 * The VRRP router state machine (RFC 3768 section 6.4, RFC 5798 section 6.4)
 * with keepalived's FAULT state and its sync groups. Pure: an instance, an
 * event and the current time (ms) in; the next instance and the actions to
 * perform out. The engine owns sockets, `ip`, scripts and the clock.
 *
 * Where the RFC leaves room, keepalived's behaviour is followed:
 * - a non-owner starts in BACKUP even with `state MASTER`, and takes over when
 *   Master_Down_Interval expires (the owner, priority 255, becomes master at once);
 * - a master that receives a lower-priority advert answers with its own at once;
 * - a master leaving for FAULT (or stopping) sends priority 0; leaving for BACKUP
 *   it does not;
 * - preempt_delay: a lower-priority master is accepted for preempt_delay after
 *   it was first seen, then ignored (so Master_Down_Interval runs out).
 */
import ipaddr from 'ipaddr.js'
import {masterDownMs, skewMs, type VrrpVersion} from './timers.js'

export type VrrpSmState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT'

export interface SmConfig {
  version: VrrpVersion
  /** configured priority, 1..255 (255 = address owner) */
  priority: number
  /** our Advertisement_Interval, ms */
  advertIntMs: number
  /** keepalived's `state`: MASTER or BACKUP */
  initialState: 'MASTER' | 'BACKUP'
  /** keepalived's nopreempt (only honoured with state BACKUP, as keepalived does) */
  nopreempt: boolean
  /** ms; 0 = none */
  preemptDelayMs: number
  /** our primary address (the source of our adverts), for the equal-priority tie-break */
  primaryIp: string
}

export interface SmTransition {
  at: number
  from: VrrpSmState
  to: VrrpSmState
  reason: string
}

export interface SmInstance {
  readonly config: SmConfig
  readonly state: VrrpSmState
  /** priority after tracking (1..254, or 255 for the owner) */
  readonly effectivePriority: number
  /** a tracker of this instance reports fault (weight 0 script, interface down) */
  readonly trackFault: boolean
  /** held in FAULT by another member of its sync group */
  readonly syncFault: boolean
  /** Master_Adver_Interval, ms (v3: adopted from the master's adverts) */
  readonly masterAdverIntMs: number
  readonly adverTimerAt?: number
  readonly masterDownAt?: number
  /** preempt_delay: when a lower-priority master stops being accepted */
  readonly preemptAt?: number
  readonly masterIp?: string
  readonly masterPriority?: number
  readonly lastTransition?: SmTransition
}

export type SmEvent =
  | {type: 'startup'}
  | {type: 'shutdown'}
  /** a valid advertisement for this VRID (the speaker already dropped bad ones) */
  | {type: 'advert'; priority: number; adverIntMs: number; srcIp: string}
  /** timers due at `now` */
  | {type: 'tick'}
  | {type: 'priority'; effective: number}
  | {type: 'fault'; on: boolean; reason: string}
  /** a sync group member moved; follow it */
  | {type: 'sync'; state: 'MASTER' | 'BACKUP' | 'FAULT'; reason: string}

export type SmAction =
  | {type: 'send-advert'; priority: number}
  | {type: 'add-vips'}
  | {type: 'remove-vips'}
  /** gratuitous ARP / unsolicited NA for the VIPs, with the garp delay/repeat settings */
  | {type: 'garp'}
  | {type: 'transition'; from: VrrpSmState; to: VrrpSmState; reason: string}

export interface SmStep {
  inst: SmInstance
  actions: SmAction[]
}

export function createInstance(config: SmConfig): SmInstance {
  return {
    config: {...config, nopreempt: config.nopreempt && config.initialState === 'BACKUP'},
    state: 'INIT',
    effectivePriority: config.priority,
    trackFault: false,
    syncFault: false,
    masterAdverIntMs: config.advertIntMs,
  }
}

export function skewOf(inst: SmInstance): number {
  return skewMs(inst.config.version, inst.effectivePriority, inst.masterAdverIntMs)
}

export function masterDownOf(inst: SmInstance): number {
  return masterDownMs(inst.config.version, inst.effectivePriority, inst.masterAdverIntMs)
}

/** When the instance next needs a `tick`, or undefined when no timer runs. */
export function nextDeadline(inst: SmInstance): number | undefined {
  if (inst.state === 'MASTER') return inst.adverTimerAt
  if (inst.state === 'BACKUP') return inst.masterDownAt
  return undefined
}

/** Unsigned comparison of two addresses of the same family: <0, 0, >0. */
export function compareIp(a: string, b: string): number {
  const x = ipaddr.parse(a).toByteArray()
  const y = ipaddr.parse(b).toByteArray()
  if (x.length !== y.length) return x.length - y.length
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}

export function step(inst: SmInstance, ev: SmEvent, now: number): SmStep {
  switch (ev.type) {
    case 'startup':
      return startup(inst, now)
    case 'shutdown':
      return shutdown(inst, now)
    case 'advert':
      return advert(inst, ev, now)
    case 'tick':
      return tick(inst, now)
    case 'priority':
      return priority(inst, ev.effective, now)
    case 'fault':
      return fault(inst, {...inst, trackFault: ev.on}, ev.reason, now)
    case 'sync':
      return syncFollow(inst, ev.state, ev.reason, now)
  }
}

// ---- transitions --------------------------------------------------------

function transitioned(inst: SmInstance, to: VrrpSmState, reason: string, now: number): {t: SmTransition; a: SmAction} {
  const t = {at: now, from: inst.state, to, reason}
  return {t, a: {type: 'transition', ...t}}
}

function becomeMaster(inst: SmInstance, reason: string, now: number): SmStep {
  const {t, a} = transitioned(inst, 'MASTER', reason, now)
  return {
    inst: {
      ...inst,
      state: 'MASTER',
      masterAdverIntMs: inst.config.advertIntMs,
      adverTimerAt: now + inst.config.advertIntMs,
      masterDownAt: undefined,
      preemptAt: undefined,
      masterIp: inst.config.primaryIp,
      masterPriority: inst.effectivePriority,
      lastTransition: t,
    },
    // keepalived sends the advert first so the old master drops the VIPs before our GARPs
    actions: [{type: 'send-advert', priority: inst.effectivePriority}, {type: 'add-vips'}, {type: 'garp'}, a],
  }
}

function becomeBackup(inst: SmInstance, reason: string, now: number, masterAdverIntMs = inst.config.advertIntMs, downAt?: number): SmStep {
  const {t, a} = transitioned(inst, 'BACKUP', reason, now)
  const next: SmInstance = {...inst, state: 'BACKUP', masterAdverIntMs, adverTimerAt: undefined, preemptAt: undefined, lastTransition: t}
  const actions: SmAction[] = inst.state === 'MASTER' ? [{type: 'remove-vips'}, a] : [a]
  return {inst: {...next, masterDownAt: downAt ?? now + masterDownOf(next)}, actions}
}

function enterFault(inst: SmInstance, reason: string, now: number): SmStep {
  const {t, a} = transitioned(inst, 'FAULT', reason, now)
  const actions: SmAction[] = inst.state === 'MASTER' ? [{type: 'send-advert', priority: 0}, {type: 'remove-vips'}, a] : [a]
  return {
    inst: {...inst, state: 'FAULT', adverTimerAt: undefined, masterDownAt: undefined, preemptAt: undefined, masterIp: undefined, masterPriority: undefined, lastTransition: t},
    actions,
  }
}

/** Leaving INIT or FAULT: the owner takes over at once, everyone else waits for a master as a backup. */
function comeUp(inst: SmInstance, reason: string, now: number): SmStep {
  if (inst.config.priority === 255 && inst.effectivePriority === 255) return becomeMaster(inst, `${reason}; address owner (priority 255)`, now)
  return becomeBackup({...inst, masterIp: undefined, masterPriority: undefined}, reason, now)
}

// ---- events -------------------------------------------------------------

function startup(inst: SmInstance, now: number): SmStep {
  if (inst.state !== 'INIT') return {inst, actions: []}
  if (inst.trackFault || inst.syncFault) return enterFault(inst, 'startup with a failing tracker', now)
  return comeUp(inst, 'startup', now)
}

function shutdown(inst: SmInstance, now: number): SmStep {
  if (inst.state === 'INIT') return {inst, actions: []}
  const {t, a} = transitioned(inst, 'INIT', 'shutdown', now)
  const actions: SmAction[] = inst.state === 'MASTER' ? [{type: 'send-advert', priority: 0}, {type: 'remove-vips'}, a] : [a]
  return {inst: {...inst, state: 'INIT', adverTimerAt: undefined, masterDownAt: undefined, preemptAt: undefined, lastTransition: t}, actions}
}

function advert(inst: SmInstance, ev: {priority: number; adverIntMs: number; srcIp: string}, now: number): SmStep {
  if (inst.state === 'BACKUP') return advertInBackup(inst, ev, now)
  if (inst.state === 'MASTER') return advertInMaster(inst, ev, now)
  return {inst, actions: []}
}

function advertInBackup(inst: SmInstance, ev: {priority: number; adverIntMs: number; srcIp: string}, now: number): SmStep {
  if (ev.priority === 0) {
    // the master resigned: wait only Skew_Time
    return {inst: {...inst, masterDownAt: now + skewOf(inst)}, actions: []}
  }
  const lower = ev.priority < inst.effectivePriority
  const delayRunning = inst.config.preemptDelayMs > 0 && (inst.preemptAt === undefined || inst.preemptAt > now)
  if (inst.config.nopreempt || !lower || delayRunning) {
    const masterAdverIntMs = inst.config.version === 3 ? ev.adverIntMs : inst.masterAdverIntMs
    let preemptAt = inst.preemptAt
    if (inst.config.preemptDelayMs > 0) {
      if (!lower) preemptAt = undefined
      else if (preemptAt === undefined) preemptAt = now + inst.config.preemptDelayMs
    }
    const next: SmInstance = {...inst, masterAdverIntMs, preemptAt, masterIp: ev.srcIp, masterPriority: ev.priority}
    return {inst: {...next, masterDownAt: now + masterDownOf(next)}, actions: []}
  }
  // lower priority and we preempt: ignore it, Master_Down_Interval keeps running
  return {inst: {...inst, masterIp: ev.srcIp, masterPriority: ev.priority}, actions: []}
}

function advertInMaster(inst: SmInstance, ev: {priority: number; adverIntMs: number; srcIp: string}, now: number): SmStep {
  const ours = inst.effectivePriority
  const resend: SmAction = {type: 'send-advert', priority: ours}
  if (ev.priority === 0) {
    // another router resigned: assert ourselves at once
    return {inst: {...inst, adverTimerAt: now + inst.config.advertIntMs}, actions: [resend]}
  }
  const cmp = compareIp(ev.srcIp, inst.config.primaryIp)
  const theyWin = ev.priority > ours || (ev.priority === ours && cmp > 0)
  if (theyWin) {
    const reason = ev.priority > ours ? `higher priority ${ev.priority} from ${ev.srcIp}` : `same priority ${ev.priority} from higher address ${ev.srcIp}`
    const masterAdverIntMs = inst.config.version === 3 ? ev.adverIntMs : inst.config.advertIntMs
    return becomeBackup({...inst, masterIp: ev.srcIp, masterPriority: ev.priority}, reason, now, masterAdverIntMs)
  }
  if (cmp === 0) return {inst, actions: []}
  // a lower-priority router thinks it is master: force a new election
  return {inst: {...inst, adverTimerAt: now + inst.config.advertIntMs}, actions: [resend]}
}

function tick(inst: SmInstance, now: number): SmStep {
  if (inst.state === 'MASTER' && inst.adverTimerAt !== undefined && inst.adverTimerAt <= now) {
    return {inst: {...inst, adverTimerAt: now + inst.config.advertIntMs}, actions: [{type: 'send-advert', priority: inst.effectivePriority}]}
  }
  if (inst.state === 'BACKUP' && inst.masterDownAt !== undefined && inst.masterDownAt <= now) {
    const why = inst.masterPriority === undefined ? 'no master seen' : inst.masterPriority < inst.effectivePriority ? `preempting lower priority ${inst.masterPriority}` : 'master down'
    return becomeMaster(inst, `${why} (Master_Down_Interval expired)`, now)
  }
  return {inst, actions: []}
}

function priority(inst: SmInstance, effective: number, now: number): SmStep {
  const p = inst.config.priority === 255 ? 255 : Math.min(254, Math.max(1, Math.round(effective)))
  if (p === inst.effectivePriority) return {inst, actions: []}
  const next = {...inst, effectivePriority: p}
  if (inst.state === 'MASTER') {
    // tell the backups now, so a higher one can preempt without waiting an interval
    return {inst: {...next, adverTimerAt: now + inst.config.advertIntMs}, actions: [{type: 'send-advert', priority: p}]}
  }
  return {inst: next, actions: []}
}

function fault(prev: SmInstance, inst: SmInstance, reason: string, now: number): SmStep {
  const faulty = inst.trackFault || inst.syncFault
  if (inst.state === 'INIT') return {inst, actions: []}
  if (faulty && inst.state !== 'FAULT') return enterFault(inst, reason, now)
  if (!faulty && prev.state === 'FAULT') return comeUp(inst, reason, now)
  return {inst, actions: []}
}

function syncFollow(inst: SmInstance, to: 'MASTER' | 'BACKUP' | 'FAULT', reason: string, now: number): SmStep {
  if (inst.state === 'INIT') return {inst, actions: []}
  if (to === 'FAULT') return fault(inst, {...inst, syncFault: true}, reason, now)
  if (inst.syncFault) return fault(inst, {...inst, syncFault: false}, reason, now)
  if (inst.state === 'FAULT') return {inst, actions: []}
  if (to === 'MASTER' && inst.state !== 'MASTER') return becomeMaster(inst, reason, now)
  if (to === 'BACKUP' && inst.state === 'MASTER') return becomeBackup(inst, reason, now)
  return {inst, actions: []}
}

// ---- sync groups --------------------------------------------------------

export interface GroupedAction {
  instance: string
  action: SmAction
}

export interface World {
  instances: ReadonlyMap<string, SmInstance>
  /** instance name -> its sync group's member names (including itself) */
  groupOf: ReadonlyMap<string, readonly string[]>
}

/**
 * Step one instance and let its sync group follow: a member becoming MASTER
 * pulls the others to MASTER, one leaving MASTER for BACKUP pulls them to
 * BACKUP, one entering FAULT holds them all in FAULT until it comes back.
 */
export function stepWorld(world: World, name: string, ev: SmEvent, now: number): {world: World; actions: GroupedAction[]} {
  const instances = new Map(world.instances)
  const out: GroupedAction[] = []
  const cur = instances.get(name)
  if (!cur) return {world, actions: []}
  const members = world.groupOf.get(name) ?? []
  const siblingFaulty = members.some((m) => m !== name && instances.get(m)?.trackFault)
  // a group stays in FAULT while any member's own tracker fails
  const first = ev.type === 'fault' && !ev.on ? step({...cur, syncFault: siblingFaulty}, ev, now) : step(cur, ev, now)
  instances.set(name, first.inst)
  for (const a of first.actions) out.push({instance: name, action: a})
  const moved = first.actions.find((a): a is Extract<SmAction, {type: 'transition'}> => a.type === 'transition')
  if (moved && members.length > 1 && ev.type !== 'sync' && ev.type !== 'shutdown' && ev.type !== 'startup') {
    const follow = syncTarget(moved.from, moved.to)
    if (follow) {
      for (const other of members) {
        if (other === name) continue
        const o = instances.get(other)
        if (!o) continue
        const r = step(o, {type: 'sync', state: follow, reason: `sync group: ${name} ${moved.to === 'FAULT' ? 'in FAULT' : `went ${moved.to}`}`}, now)
        instances.set(other, r.inst)
        for (const a of r.actions) out.push({instance: other, action: a})
      }
    }
  }
  return {world: {...world, instances}, actions: out}
}

function syncTarget(from: VrrpSmState, to: VrrpSmState): 'MASTER' | 'BACKUP' | 'FAULT' | undefined {
  if (to === 'MASTER') return 'MASTER'
  if (to === 'FAULT') return 'FAULT'
  if (to === 'BACKUP' && (from === 'MASTER' || from === 'FAULT')) return 'BACKUP'
  return undefined
}
