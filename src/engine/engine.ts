/**
 * The VRRP speaker: wires the pure state machine to frames (pcap), the host
 * (`ip`), trackers (vrrp_script, interfaces) and notify scripts. Every input
 * becomes a state machine event; every action it returns is performed here, in
 * order. Host changes (addresses) run one at a time in a queue so an add and
 * a later remove never overtake each other.
 */
import {EventEmitter} from 'node:events'
import type {VirtualAddress} from '../keepalived/model.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {formatMac, virtualMac} from '../capture/frame.js'
import {formatIPv4} from '../vrrp/address.js'
import {createInstance, nextDeadline, stepWorld, type SmAction, type SmConfig, type SmEvent, type SmInstance, type World} from '../vrrp/state-machine.js'
import type {EngineConfig, EngineInstance, EngineSyncGroup} from './config.js'
import {advertFrames, announceFrames, arpRequestFrame, type LinkAddrs} from './frames.js'
import type {HostOps, LinkFacts} from './host.js'
import type {FrameLink} from './link.js'
import {classifyFrame, vridKey, type DropReason, type ReceiveContext} from './receive.js'
import {NotifyQueue, notifyCommands, ScriptRunner, type NotifyState} from './scripts.js'
import {gapStats, type EngineStatus, type InstanceCounters, type InstanceStatus, type TransitionStatus} from './status.js'
import {trackedPriority} from './tracking.js'
import {FileTracker} from './track-files.js'

export interface EngineDeps {
  host: HostOps
  openLink: (iface: string) => FrameLink
  /** monotonic milliseconds */
  now?: () => number
  /** vrrp_script runner factory (tests replace it) */
  scriptRunner?: (cfg: EngineConfig, onChange: (name: string, ok: boolean) => void) => ScriptRunner
}

interface LinkState {
  link: FrameLink
  facts: LinkFacts
  ctx: {byVrid: Map<string, EngineInstance>; ownIps: Set<string>}
  peerMacs: Map<string, string>
}

export type EngineEvent =
  | {type: 'transition'; instance: string; transition: TransitionStatus}
  | {type: 'log'; message: string}

const emptyCounters = (): InstanceCounters => ({advertsSent: 0, advertsReceived: 0, becameMaster: 0, releasedMaster: 0, badPackets: {}})

export class VrrpEngine extends EventEmitter<{event: [EngineEvent]}> {
  private cfg: EngineConfig
  private readonly deps: Required<Omit<EngineDeps, 'scriptRunner'>> & Pick<EngineDeps, 'scriptRunner'>
  private world: World = {instances: new Map(), groupOf: new Map()}
  private readonly byName = new Map<string, EngineInstance>()
  private readonly links = new Map<string, LinkState>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly garpTimers = new Map<string, NodeJS.Timeout[]>()
  private readonly counters = new Map<string, InstanceCounters>()
  private readonly transitions = new Map<string, TransitionStatus>()
  private readonly lastAdvertAt = new Map<string, number>()
  private readonly advertGaps = new Map<string, number[]>()
  /** addresses currently added for an instance */
  private readonly held = new Map<string, VirtualAddress[]>()
  /** virtual_routes / virtual_rules currently added for an instance */
  private readonly routed = new Map<string, {routes: string[][]; rules: string[][]}>()
  private readonly unmatched: Partial<Record<DropReason, number>> = {}
  private readonly notify = new NotifyQueue()
  private readonly groupState = new Map<string, NotifyState>()
  private linkUp = new Map<string, boolean>()
  private scripts?: ScriptRunner
  private fileTracker?: FileTracker
  private hostQueue: Promise<void> = Promise.resolve()
  private hostErrors: unknown[] = []
  private unwatchLinks?: () => void
  private peerTimer?: NodeJS.Timeout
  private running = false
  private readonly startedAt = new Date()

  constructor(
    cfg: EngineConfig,
    deps: EngineDeps,
    private readonly configFile?: string,
  ) {
    super()
    this.cfg = cfg
    this.deps = {now: () => performance.now(), ...deps}
  }

  // ---------------------------------------------------------------- life cycle

  async start(): Promise<void> {
    // the first advert waits for nothing it does not need: the interface read runs while the
    // capture opens, and the kernel's link events are followed only once the instances run
    const need = this.cfg.instances.flatMap((i) => [i.iface, ...i.tracks.filter((t) => t.kind === 'interface').map((t) => t.name)])
    const states = this.deps.host.linkStates({need})
    await this.openLinks(this.cfg)
    // use_vmac: keepalived makes the macvlan at start, up, and keeps it until it stops
    for (const i of this.cfg.instances) if (i.vmacIface) await this.deps.host.addVmac(i.vmacIface, i.iface, virtualMac(i.family, i.vrid))
    for (const a of this.cfg.staticAddresses) await this.deps.host.addAddress(a, a.dev ?? 'lo')
    // queued (ahead of any VIP): a route that fails is logged, as keepalived does, and the first advert does not wait
    this.queueHost(() => this.staticRoutes('add', this.cfg))
    this.linkUp = await states
    // keepalived refuses to start with a tracked interface that does not exist
    for (const inst of this.cfg.instances) {
      const missing = inst.tracks.find((t) => t.kind === 'interface' && !this.linkUp.has(t.name))
      if (missing) {
        throw new HalError('ENGINE_NO_INTERFACE', `${inst.name}: track_interface ${missing.name} does not exist`, {
          exitCode: ExitCode.Environment,
          where: inst.loc ? `${inst.loc.file}:${inst.loc.line}` : undefined,
          hint: 'check track_interface against `ip link show` on this host',
        })
      }
    }
    if (this.cfg.files.length > 0) await this.startFiles()
    this.installInstances(this.cfg.instances)
    this.startScripts()
    for (const i of this.cfg.instances) this.retrack(i.name)
    this.running = true
    for (const i of this.cfg.instances) this.event(i.name, {type: 'startup'})
    // link events from here on; a change between the first read and the watch is caught by a
    // second read, taken once the watch runs
    this.unwatchLinks = this.deps.host.watchLinks((name, up) => this.onLinkEvent(name, up))
    void this.deps.host.linkStates({fresh: true}).then((now) => {
      if (!this.running) return
      for (const name of new Set([...this.linkUp.keys(), ...now.keys()])) this.onLinkEvent(name, now.get(name))
    }, () => undefined)
    this.peerTimer = setInterval(() => void this.resolvePeers(), 2000)
    void this.resolvePeers()
  }

  /** Priority 0 from every master, VIPs and static addresses removed, notify_stop run, links closed. */
  async stop(): Promise<EngineStatus> {
    if (this.running) {
      for (const name of this.byName.keys()) this.event(name, {type: 'shutdown'})
      this.running = false
    }
    // the captures close right behind the priority-0 adverts: libpcap releases a closed
    // capture on the next frame it sees, and a master's own last advert is that frame (closed
    // later, the capture would hold the process until a peer's next advert)
    for (const l of this.links.values()) l.link.close()
    this.links.clear()
    this.clearTimers()
    this.scripts?.stop()
    this.fileTracker?.stop()
    await this.hostQueue
    await this.staticRoutes('del', this.cfg)
    for (const a of this.cfg.staticAddresses) await this.deps.host.delAddress(a, a.dev ?? 'lo')
    for (const i of this.cfg.instances) if (i.vmacIface) await this.deps.host.delVmac(i.vmacIface).catch(() => undefined)
    await Promise.race([this.notify.idle(), sleep(10_000)])
    return this.status()
  }

  /** SIGHUP: apply a new config; instances that stay keep their state and the VIPs that stay are not touched. */
  async reload(next: EngineConfig): Promise<void> {
    const old = this.cfg
    const keep = (a: EngineInstance, b: EngineInstance) => a.iface === b.iface && a.vrid === b.vrid && a.family === b.family && a.version === b.version
    const nextByName = new Map(next.instances.map((i) => [i.name, i]))
    for (const name of [...this.byName.keys()]) {
      const n = nextByName.get(name)
      if (!n || !keep(this.byName.get(name)!, n)) this.removeInstance(name)
    }
    await this.openLinks(next)
    // use_vmac: a macvlan that changes (name, interface or VRID) is replaced
    const vmacKey = (i: EngineInstance) => `${i.vmacIface}|${i.iface}|${i.family}|${i.vrid}`
    const oldVmacs = new Set(old.instances.filter((i) => i.vmacIface).map(vmacKey))
    const newVmacs = new Set(next.instances.filter((i) => i.vmacIface).map(vmacKey))
    for (const i of old.instances) if (i.vmacIface && !newVmacs.has(vmacKey(i))) this.queueHost(() => this.deps.host.delVmac(i.vmacIface!))
    for (const i of next.instances) if (i.vmacIface && !oldVmacs.has(vmacKey(i))) this.queueHost(() => this.deps.host.addVmac(i.vmacIface!, i.iface, virtualMac(i.family, i.vrid)))
    const oldStatic = new Set(old.staticAddresses.map((a) => a.address))
    const newStatic = new Set(next.staticAddresses.map((a) => a.address))
    for (const a of old.staticAddresses) if (!newStatic.has(a.address)) this.queueHost(() => this.deps.host.delAddress(a, a.dev ?? 'lo'))
    for (const a of next.staticAddresses) if (!oldStatic.has(a.address)) this.queueHost(() => this.deps.host.addAddress(a, a.dev ?? 'lo'))
    if (JSON.stringify([old.staticRoutes, old.staticRules]) !== JSON.stringify([next.staticRoutes, next.staticRules])) {
      this.queueHost(() => this.staticRoutes('del', old))
      this.queueHost(() => this.staticRoutes('add', next))
    }
    this.cfg = next
    const fresh: EngineInstance[] = []
    for (const inst of next.instances) {
      const cur = this.world.instances.get(inst.name)
      if (!cur) {
        fresh.push(inst)
        continue
      }
      this.byName.set(inst.name, inst)
      const sm: SmInstance = {...cur, config: this.smConfig(inst)}
      this.setInstance(inst.name, sm)
      if (cur.state === 'MASTER') this.syncVips(inst)
    }
    this.world = {...this.world, groupOf: groupMap(next.syncGroups)}
    this.installInstances(fresh)
    this.rebuildContexts()
    this.closeUnusedLinks()
    this.scripts?.stop()
    this.startScripts()
    await this.startFiles()
    for (const i of next.instances) this.retrack(i.name)
    for (const i of fresh) this.event(i.name, {type: 'startup'})
    for (const i of next.instances) {
      const sm = this.world.instances.get(i.name)
      if (sm?.state === 'MASTER') this.perform(i.name, {type: 'send-advert', priority: sm.effectivePriority})
      this.schedule(i.name)
    }
  }

  // ---------------------------------------------------------------- status

  status(): EngineStatus {
    const instances: InstanceStatus[] = []
    for (const [name, inst] of this.byName) {
      const sm = this.world.instances.get(name)
      if (!sm) continue
      instances.push({
        name,
        interface: inst.iface,
        vrid: inst.vrid,
        version: inst.version,
        state: sm.state,
        priority: inst.priority,
        effectivePriority: sm.effectivePriority,
        advertInterval: inst.advertIntMs,
        masterAdvertInterval: sm.masterAdverIntMs,
        sourceIp: sm.config.primaryIp,
        masterIp: sm.masterIp,
        masterPriority: sm.masterPriority,
        virtualIps: inst.vips.map((v) => v.address),
        syncGroup: inst.syncGroup,
        lastTransition: this.transitions.get(name),
        trackers: inst.tracks.map((t) => ({name: `${t.kind} ${t.name}`, weight: t.weight, ok: this.trackOk(t.kind, t.name), ...(t.kind === 'file' ? {value: this.fileTracker?.value(t.name)} : {})})),
        counters: structuredClone(this.counters.get(name) ?? emptyCounters()),
        advertGaps: gapStats(this.advertGaps.get(name) ?? []),
      })
    }
    return {
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      configFile: this.configFile,
      running: this.running,
      instances,
      unmatchedBadPackets: {...this.unmatched},
      notifyFailures: this.notify.failures,
    }
  }

  /** errors from `ip` while adding/removing addresses (the engine keeps running) */
  get errors(): readonly unknown[] {
    return this.hostErrors
  }

  // ---------------------------------------------------------------- setup

  private async openLinks(cfg: EngineConfig): Promise<void> {
    for (const iface of new Set(cfg.instances.map((i) => i.iface))) {
      if (this.links.has(iface)) continue
      // the capture opens (a blocking call) while `ip` reads the interface
      const pending = this.deps.host.link(iface)
      let link: FrameLink | undefined
      let openError: unknown
      try {
        link = this.deps.openLink(iface)
      } catch (e) {
        openError = e
      }
      const facts = await pending
      if (!facts) {
        link?.close()
        const at = cfg.instances.find((i) => i.iface === iface)?.loc
        throw new HalError('ENGINE_NO_INTERFACE', `interface ${iface} does not exist`, {
          exitCode: ExitCode.Environment,
          where: at ? `${at.file}:${at.line}` : undefined,
          hint: 'check `interface` in the vrrp_instance against `ip link show` on this host',
        })
      }
      if (!link) throw openError
      const st: LinkState = {link, facts, ctx: {byVrid: new Map(), ownIps: new Set()}, peerMacs: new Map()}
      link.onFrame((f) => this.onFrame(st, f))
      this.links.set(iface, st)
    }
  }

  private closeUnusedLinks(): void {
    const used = new Set(this.cfg.instances.map((i) => i.iface))
    for (const [iface, l] of this.links) {
      if (used.has(iface)) continue
      l.link.close()
      this.links.delete(iface)
    }
  }

  private smConfig(inst: EngineInstance): SmConfig {
    const facts = this.links.get(inst.iface)!.facts
    const primaryIp = inst.srcIp ?? (inst.family === 4 ? facts.ipv4 : facts.ipv6LinkLocal)
    if (!primaryIp) {
      throw new HalError('ENGINE_NO_SOURCE', `${inst.name}: interface ${inst.iface} has no ${inst.family === 4 ? 'IPv4' : 'IPv6 link-local'} address to send from`, {
        exitCode: ExitCode.Environment,
        where: inst.loc ? `${inst.loc.file}:${inst.loc.line}` : undefined,
        hint: inst.family === 4 ? `add one (ip addr add ... dev ${inst.iface}) or set mcast_src_ip` : 'bring the interface up so it gets an fe80:: address',
      })
    }
    return {
      version: inst.version,
      priority: inst.priority,
      advertIntMs: inst.advertIntMs,
      initialState: inst.initialState,
      nopreempt: inst.nopreempt,
      preemptDelayMs: inst.preemptDelayMs,
      primaryIp,
    }
  }

  private installInstances(list: EngineInstance[]): void {
    const instances = new Map(this.world.instances)
    for (const inst of list) {
      this.byName.set(inst.name, inst)
      instances.set(inst.name, createInstance(this.smConfig(inst)))
      if (!this.counters.has(inst.name)) this.counters.set(inst.name, emptyCounters())
    }
    this.world = {instances, groupOf: groupMap(this.cfg.syncGroups)}
    this.rebuildContexts()
  }

  private removeInstance(name: string): void {
    this.event(name, {type: 'shutdown'})
    clearTimeout(this.timers.get(name))
    this.timers.delete(name)
    this.cancelGarps(name)
    const instances = new Map(this.world.instances)
    instances.delete(name)
    this.world = {...this.world, instances}
    this.byName.delete(name)
  }

  private rebuildContexts(): void {
    for (const l of this.links.values()) {
      l.ctx.byVrid.clear()
      l.ctx.ownIps.clear()
    }
    for (const inst of this.byName.values()) {
      const l = this.links.get(inst.iface)
      const sm = this.world.instances.get(inst.name)
      if (!l || !sm) continue
      l.ctx.byVrid.set(vridKey(inst.family, inst.vrid), inst)
      l.ctx.ownIps.add(sm.config.primaryIp)
    }
  }

  /** static_routes and static_rules: routes after the addresses, rules after the routes; removed in the reverse order */
  private async staticRoutes(op: 'add' | 'del', cfg: EngineConfig): Promise<void> {
    if (op === 'add') {
      for (const r of cfg.staticRoutes) await this.deps.host.routeOrRule('route', 'add', r)
      for (const r of cfg.staticRules) await this.deps.host.routeOrRule('rule', 'add', r)
    } else {
      for (const r of cfg.staticRules) await this.deps.host.routeOrRule('rule', 'del', r)
      for (const r of cfg.staticRoutes) await this.deps.host.routeOrRule('route', 'del', r)
    }
  }

  /** vrrp_track_file: read before the instances start (their first priority includes it), then followed */
  private async startFiles(): Promise<void> {
    this.fileTracker?.stop()
    const tracker = new FileTracker(this.cfg.files, (name) => {
      for (const i of this.byName.values()) if (i.tracks.some((t) => t.kind === 'file' && t.name === name)) this.retrack(i.name)
    })
    this.fileTracker = tracker
    await tracker.start()
  }

  private startScripts(): void {
    const onChange = (name: string) => {
      for (const i of this.byName.values()) if (i.tracks.some((t) => t.kind === 'script' && t.name === name)) this.retrack(i.name)
    }
    const prev = this.scripts
    this.scripts = this.deps.scriptRunner ? this.deps.scriptRunner(this.cfg, onChange) : new ScriptRunner(this.cfg.scripts, onChange)
    if (prev) this.scripts.seed(prev)
    this.scripts.start()
  }

  // ---------------------------------------------------------------- events

  private event(name: string, ev: SmEvent): void {
    if (!this.world.instances.has(name)) return
    const now = this.deps.now()
    const r = stepWorld(this.world, name, ev, now)
    this.world = r.world
    const touched = new Set([name])
    for (const {instance, action} of r.actions) {
      touched.add(instance)
      this.perform(instance, action)
    }
    for (const t of touched) this.schedule(t)
    this.groupNotifies(touched)
  }

  private setInstance(name: string, sm: SmInstance): void {
    const instances = new Map(this.world.instances)
    instances.set(name, sm)
    this.world = {...this.world, instances}
  }

  private schedule(name: string): void {
    clearTimeout(this.timers.get(name))
    this.timers.delete(name)
    const sm = this.world.instances.get(name)
    if (!sm || !this.running) return
    const at = nextDeadline(sm)
    if (at === undefined) return
    const t = setTimeout(() => this.event(name, {type: 'tick'}), Math.max(0, at - this.deps.now()))
    this.timers.set(name, t)
  }

  private retrack(name: string): void {
    const inst = this.byName.get(name)
    const sm = this.world.instances.get(name)
    if (!inst || !sm) return
    const tp = trackedPriority(
      inst.priority,
      inst.tracks.map((t) => ({
        name: `${t.kind} ${t.name}`,
        weight: t.weight,
        reverse: t.reverse,
        ok: this.trackOk(t.kind, t.name),
        ...(t.kind === 'file' ? {value: this.fileTracker?.value(t.name) ?? 0} : {}),
      })),
    )
    if (tp.effective !== sm.effectivePriority) this.event(name, {type: 'priority', effective: tp.effective})
    const cur = this.world.instances.get(name)!
    if (tp.fault !== cur.trackFault) this.event(name, {type: 'fault', on: tp.fault, reason: tp.fault ? `${tp.faultBy.join(', ')} failing` : 'tracked objects OK'})
  }

  private trackOk(kind: 'script' | 'interface' | 'file', name: string): boolean | undefined {
    if (kind === 'script') return this.scripts?.result(name)
    if (kind === 'file') return (this.fileTracker?.value(name) ?? 0) === 0
    return this.linkUp.get(name) ?? false
  }

  /** A kernel link event: re-evaluate the instances that depend on that interface. */
  private onLinkEvent(name: string, up: boolean | undefined): void {
    if (!this.setLinkUp(name, up) || !this.running) return
    for (const inst of this.byName.values()) if (inst.iface === name || inst.tracks.some((t) => t.kind === 'interface' && t.name === name)) this.retrack(inst.name)
  }

  /** true when the interface's state changed */
  private setLinkUp(name: string, up: boolean | undefined): boolean {
    const was = this.linkUp.get(name)
    if (up === undefined) this.linkUp.delete(name)
    else this.linkUp.set(name, up)
    return was !== up
  }

  // ---------------------------------------------------------------- frames

  private onFrame(l: LinkState, f: Uint8Array): void {
    if (!this.running) return
    if (f.length >= 42 && f[12] === 0x08 && f[13] === 0x06) {
      // ARP reply: learn a unicast peer's MAC
      const sender = formatIPv4(f, 28)
      if (this.isPeer(l, sender)) l.peerMacs.set(sender, formatMac(f, 22))
      return
    }
    const r = classifyFrame(f, l.ctx as ReceiveContext)
    if (r.kind === 'own') return
    if (r.kind === 'drop') {
      const bucket = r.instance ? this.counters.get(r.instance)?.badPackets : this.unmatched
      if (bucket) bucket[r.reason] = (bucket[r.reason] ?? 0) + 1
      return
    }
    const c = this.counters.get(r.instance)
    if (c) c.advertsReceived++
    this.event(r.instance, {type: 'advert', priority: r.priority, adverIntMs: r.adverIntMs, srcIp: r.srcIp})
  }

  private isPeer(l: LinkState, ip: string): boolean {
    for (const i of l.ctx.byVrid.values()) if (i.unicastPeers.includes(ip)) return true
    return false
  }

  private async resolvePeers(): Promise<void> {
    for (const l of this.links.values()) {
      for (const inst of l.ctx.byVrid.values()) {
        for (const peer of inst.unicastPeers) {
          const mac = await this.deps.host.neighbourMac(peer, l.link.iface)
          if (mac) l.peerMacs.set(peer, mac)
          else if (!peer.includes(':') && l.facts.ipv4) l.link.send(arpRequestFrame(l.facts.mac, l.facts.ipv4, peer))
        }
      }
    }
  }

  private linkAddrs(inst: EngineInstance): LinkAddrs {
    const l = this.links.get(inst.iface)!
    return {mac: l.facts.mac, srcIp: this.world.instances.get(inst.name)!.config.primaryIp}
  }

  // ---------------------------------------------------------------- actions

  private perform(name: string, a: SmAction): void {
    const inst = this.byName.get(name)
    const l = inst && this.links.get(inst.iface)
    if (!inst || !l) return
    switch (a.type) {
      case 'send-advert': {
        for (const f of advertFrames(inst, this.linkAddrs(inst), a.priority, l.peerMacs)) l.link.send(f)
        this.counters.get(name)!.advertsSent++
        this.noteAdvertGap(name, a.priority)
        return
      }
      case 'add-vips':
        this.syncVips(inst)
        return
      case 'remove-vips': {
        const held = this.held.get(name) ?? []
        this.held.set(name, [])
        this.cancelGarps(name)
        const routed = this.routed.get(name)
        this.routed.delete(name)
        this.queueHost(async () => {
          // keepalived's order: rules and routes (which may use a VIP as source) before the addresses
          for (const r of routed?.rules ?? []) await this.deps.host.routeOrRule('rule', 'del', r)
          for (const r of routed?.routes ?? []) await this.deps.host.routeOrRule('route', 'del', r)
          for (const v of held) await this.deps.host.delAddress(v, vipDev(inst))
        })
        return
      }
      case 'garp':
        this.scheduleGarps(inst, l)
        return
      case 'transition': {
        const t: TransitionStatus = {at: new Date().toISOString(), from: a.from, to: a.to, reason: a.reason}
        this.transitions.set(name, t)
        const c = this.counters.get(name)!
        if (a.to === 'MASTER') c.becameMaster++
        if (a.from === 'MASTER') {
          c.releasedMaster++
          this.lastAdvertAt.delete(name)
        }
        const state: NotifyState | undefined = a.to === 'INIT' ? 'STOP' : a.to
        const sm = this.world.instances.get(name)
        if (state) this.notify.enqueue(notifyCommands(inst.notify, 'INSTANCE', name, state, sm?.effectivePriority ?? inst.priority))
        this.emit('event', {type: 'transition', instance: name, transition: t})
        return
      }
    }
  }

  /** Record the gap since this master's previous advert (a priority-0 advert ends the series). */
  private noteAdvertGap(name: string, priority: number): void {
    const now = this.deps.now()
    const last = this.lastAdvertAt.get(name)
    if (priority === 0) {
      this.lastAdvertAt.delete(name)
      return
    }
    this.lastAdvertAt.set(name, now)
    if (last === undefined) return
    let gaps = this.advertGaps.get(name)
    if (!gaps) this.advertGaps.set(name, (gaps = []))
    gaps.push(now - last)
    if (gaps.length > 1024) gaps.shift()
  }

  /** Make the held addresses equal to the instance's VIPs: add the missing, remove the dropped, leave the rest. */
  private syncVips(inst: EngineInstance): void {
    const want = [...inst.vips, ...inst.excludedVips]
    const held = this.held.get(inst.name) ?? []
    const key = (v: VirtualAddress) => `${v.address}|${v.dev ?? vipDev(inst)}`
    const wantKeys = new Set(want.map(key))
    const heldKeys = new Set(held.map(key))
    const add = want.filter((v) => !heldKeys.has(key(v)))
    const del = held.filter((v) => !wantKeys.has(key(v)))
    this.held.set(inst.name, want)
    // virtual_routes / virtual_rules: after the addresses (a route may use a VIP as source);
    // on a reload, those that changed are replaced
    const was = this.routed.get(inst.name) ?? {routes: [], rules: []}
    const same = (a: string[][], b: string[][]) => JSON.stringify(a) === JSON.stringify(b)
    const routesChange = !same(was.routes, inst.routes) || !same(was.rules, inst.rules)
    if (add.length === 0 && del.length === 0 && !routesChange) return
    this.routed.set(inst.name, {routes: inst.routes, rules: inst.rules})
    this.queueHost(async () => {
      if (routesChange) {
        for (const r of was.rules) await this.deps.host.routeOrRule('rule', 'del', r)
        for (const r of was.routes) await this.deps.host.routeOrRule('route', 'del', r)
      }
      for (const v of del) await this.deps.host.delAddress(v, vipDev(inst))
      for (const v of add) await this.deps.host.addAddress(v, vipDev(inst))
      if (routesChange) {
        for (const r of inst.routes) await this.deps.host.routeOrRule('route', 'add', r)
        for (const r of inst.rules) await this.deps.host.routeOrRule('rule', 'add', r)
      }
    })
  }

  private queueHost(fn: () => Promise<void>): void {
    this.hostQueue = this.hostQueue.then(fn).catch((e: unknown) => {
      this.hostErrors.push(e)
      this.emit('event', {type: 'log', message: e instanceof Error ? e.message : String(e)})
    })
  }

  private scheduleGarps(inst: EngineInstance, l: LinkState): void {
    this.cancelGarps(inst.name)
    const timers: NodeJS.Timeout[] = []
    const burst = (count: number) => {
      const frames = announceFrames(inst, this.linkAddrs(inst), l.facts.ipv6LinkLocal)
      for (let k = 0; k < count; k++) {
        const send = () => {
          if (this.world.instances.get(inst.name)?.state === 'MASTER') for (const f of frames) l.link.send(f)
        }
        if (k === 0 || inst.garp.intervalMs === 0) send()
        else timers.push(setTimeout(send, k * inst.garp.intervalMs))
      }
    }
    // after the addresses are in place, as keepalived does
    this.queueHost(async () => burst(inst.garp.repeat))
    if (inst.garp.delayMs > 0) timers.push(setTimeout(() => burst(inst.garp.repeat), inst.garp.delayMs))
    if (inst.garp.refreshMs > 0) timers.push(setInterval(() => burst(inst.garp.refreshRepeat), inst.garp.refreshMs))
    this.garpTimers.set(inst.name, timers)
  }

  private cancelGarps(name: string): void {
    for (const t of this.garpTimers.get(name) ?? []) clearTimeout(t)
    this.garpTimers.delete(name)
  }

  private groupNotifies(touched: Set<string>): void {
    for (const g of this.cfg.syncGroups) {
      if (!g.members.some((m) => touched.has(m))) continue
      const states = g.members.map((m) => this.world.instances.get(m)?.state)
      const first = states[0]
      if (!first) continue
      if (!states.every((s) => s === first)) continue
      const st: NotifyState = first === 'INIT' ? 'STOP' : first
      if (this.groupState.get(g.name) === st) continue
      this.groupState.set(g.name, st)
      this.notify.enqueue(notifyCommands(g.notify, 'GROUP', g.name, st, 0))
    }
  }

  private clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    for (const name of [...this.garpTimers.keys()]) this.cancelGarps(name)
    this.unwatchLinks?.()
    this.unwatchLinks = undefined
    clearInterval(this.peerTimer)
  }
}

function groupMap(groups: readonly EngineSyncGroup[]): Map<string, readonly string[]> {
  const m = new Map<string, readonly string[]>()
  for (const g of groups) for (const n of g.members) m.set(n, g.members)
  return m
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}

/** Where the VIPs that name no dev go: the use_vmac interface, else the instance's interface. */
function vipDev(inst: EngineInstance): string {
  return inst.vmacIface ?? inst.iface
}
