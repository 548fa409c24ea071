import type {RealServer, VirtualServer} from '../../keepalived/model.js'
import {PersistenceTable} from './persistence.js'
import {createScheduler, isSchedulerName, type Endpoint, type Scheduler, type SchedDest, type SchedulerName} from './schedulers/index.js'

/** keepalived's default persistence_timeout when the keyword has no value is 360 s. */
export const DEFAULT_PERSISTENCE_TIMEOUT = 360

/** One destination the proxy may send to: a real server or the sorry server, with its counters. */
export interface Destination extends SchedDest {
  readonly role: 'real' | 'sorry'
  /** weight from the config (before misc_dynamic) */
  configuredWeight: number
  /** health as the checkers see it (all of its checkers up) */
  healthy: boolean
  /** weight set by a misc_dynamic checker, if any */
  dynamicWeight?: number
  inhibitOnFailure: boolean
  /** in the table (IPVS would list it in ipvsadm -Ln) */
  inTable: boolean
  /** still in the config; false once a reload removed it (its live connections drain) */
  configured: boolean
  /** connections scheduled to it so far */
  connections: number
  bytesIn: number
  bytesOut: number
}

export type PoolEvent =
  | {type: 'quorum'; up: boolean; liveWeight: number}
  | {type: 'table'; added: string[]; removed: string[]}

export const destKey = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)

export interface PoolOptions {
  /** real servers start down until a check passes (keepalived's `alpha`) */
  alpha?: boolean
}

/**
 * The table of one virtual_server as keepalived would keep it in IPVS: real
 * servers in while healthy (or at weight 0 with inhibit_on_failure), quorum
 * with hysteresis, the sorry server in place of all real servers while quorum
 * is lost; plus the scheduler and persistence that pick a server per connection.
 * Pure apart from the clock passed in.
 */
export class VirtualServerPool {
  readonly schedulerName: SchedulerName
  private scheduler: Scheduler
  private readonly dests = new Map<string, Destination>()
  private table: Destination[] = []
  /** closed TCP connections still counted as inactive, one queue (oldest first) per linger time */
  private readonly lingering = new Map<number, LingerQueue>()
  /** keys and weights of the table the scheduler last saw */
  private tableSignature = ''
  private persistence?: PersistenceTable
  private quorumUp = true
  private vs: VirtualServer

  constructor(vs: VirtualServer, opts: PoolOptions = {}) {
    this.vs = vs
    const algo = vs.lbAlgo ?? 'wlc'
    this.schedulerName = isSchedulerName(algo) ? algo : 'wlc'
    this.scheduler = createScheduler(this.schedulerName)
    this.applyConfig(vs, opts.alpha ?? vs.alpha ?? false)
    this.quorumUp = this.liveWeight() >= this.quorum()
    this.rebuild()
  }

  /** the scheduler or persistence looks at the client's address */
  get usesClientAddress(): boolean {
    return this.persistence !== undefined || this.schedulerName === 'sh' || this.schedulerName === 'mh'
  }

  get service(): Endpoint {
    return {ip: this.vs.address ?? '0.0.0.0', port: this.vs.port ?? 0}
  }

  /** Apply a new virtual_server block: keep counters of servers that stay, drain those that go. */
  reload(vs: VirtualServer): PoolEvent[] {
    this.vs = vs
    const algo = vs.lbAlgo ?? 'wlc'
    const name = isSchedulerName(algo) ? algo : 'wlc'
    if (name !== this.schedulerName) {
      ;(this as {schedulerName: SchedulerName}).schedulerName = name
      this.scheduler = createScheduler(name)
      this.tableSignature = ''
    }
    this.applyConfig(vs, false)
    return this.update()
  }

  private applyConfig(vs: VirtualServer, alpha: boolean): void {
    const seen = new Set<string>()
    for (const rs of vs.realServers) {
      const key = destKey(rs.ip, rs.port ?? vs.port ?? 0)
      seen.add(key)
      const weight = rs.weight ?? 1
      const existing = this.dests.get(key)
      if (existing && existing.role === 'real') {
        existing.configuredWeight = weight
        existing.inhibitOnFailure = rs.inhibitOnFailure ?? vs.inhibitOnFailure ?? false
        existing.configured = true
      } else {
        this.dests.set(key, newDestination('real', rs, vs, weight, !alpha))
      }
    }
    if (vs.sorryServer) {
      const key = destKey(vs.sorryServer.ip, vs.sorryServer.port ?? vs.port ?? 0)
      seen.add(key)
      if (!this.dests.has(key)) {
        const sorry: RealServer = {ip: vs.sorryServer.ip, port: vs.sorryServer.port ?? vs.port, checkers: []}
        this.dests.set(key, newDestination('sorry', sorry, vs, 1, true))
      }
    }
    for (const [key, d] of this.dests) {
      if (seen.has(key)) continue
      d.configured = false
      this.persistence?.forgetDest(key)
      if (d.activeConns + d.inactiveConns === 0) this.dests.delete(key)
    }
    const timeout = vs.persistenceTimeout
    if (timeout && timeout > 0) {
      if (!this.persistence) this.persistence = new PersistenceTable(timeout * 1000, vs.persistenceGranularity)
    } else this.persistence = undefined
  }

  quorum(): number {
    return this.vs.quorum ?? 1
  }

  /** Sum of the weights of real servers whose checkers are all up. */
  liveWeight(): number {
    let sum = 0
    for (const d of this.dests.values()) if (d.role === 'real' && d.configured && d.healthy) sum += effectiveWeight(d)
    return sum
  }

  isQuorumUp(): boolean {
    return this.quorumUp
  }

  /** A checker verdict for a real server (all its checkers considered), with misc_dynamic's weight if any. */
  setHealth(key: string, healthy: boolean, dynamicWeight?: number): PoolEvent[] {
    const d = this.dests.get(key)
    if (!d) return []
    d.healthy = healthy
    if (dynamicWeight !== undefined) d.dynamicWeight = dynamicWeight
    return this.update()
  }

  private update(): PoolEvent[] {
    const events: PoolEvent[] = []
    const live = this.liveWeight()
    const hysteresis = this.vs.hysteresis ?? 0
    if (this.quorumUp && live < this.quorum() - hysteresis) {
      this.quorumUp = false
      events.push({type: 'quorum', up: false, liveWeight: live})
    } else if (!this.quorumUp && live >= this.quorum() + hysteresis) {
      this.quorumUp = true
      events.push({type: 'quorum', up: true, liveWeight: live})
    }
    const change = this.rebuild()
    if (change.added.length || change.removed.length) events.push({type: 'table', ...change})
    return events
  }

  /** Recompute which destinations are in the table and at what weight; tell the scheduler. */
  private rebuild(): {added: string[]; removed: string[]} {
    const sorryActive = !this.quorumUp && [...this.dests.values()].some((d) => d.role === 'sorry' && d.configured)
    const next: Destination[] = []
    for (const d of this.dests.values()) {
      if (!d.configured) {
        d.weight = 0
        d.inTable = false
        continue
      }
      if (d.role === 'sorry') {
        d.weight = sorryActive ? 1 : 0
        d.inTable = sorryActive || (this.vs.sorryServerInhibit ?? false)
      } else if (sorryActive) {
        d.weight = 0
        d.inTable = d.inhibitOnFailure
      } else if (d.healthy) {
        d.weight = effectiveWeight(d)
        d.inTable = true
      } else {
        d.weight = 0
        d.inTable = d.inhibitOnFailure
      }
      if (d.weight > 0) d.lastWeight = d.weight
      if (d.inTable) next.push(d)
    }
    const before = new Set(this.table.map((d) => d.key))
    const after = new Set(next.map((d) => d.key))
    const added = [...after].filter((k) => !before.has(k))
    const removed = [...before].filter((k) => !after.has(k))
    for (const k of removed) this.persistence?.forgetDest(k)
    this.table = next
    const signature = next.map((d) => `${d.key}/${d.weight}/${d.lastWeight}`).join(',')
    if (signature !== this.tableSignature || added.length || removed.length) {
      this.tableSignature = signature
      this.scheduler.destsChanged(next)
    }
    return {added, removed}
  }

  /** Let lingering closed connections expire (TIME_WAIT/CLOSE over). */
  expire(now: number): void {
    for (const queue of this.lingering.values()) queue.expire(now)
  }

  /** Pick the destination for a new connection from `client`, or undefined (the connection is refused). */
  pick(client: Endpoint, now: number): Destination | undefined {
    this.expire(now)
    let d: Destination | undefined
    const bound = this.persistence?.lookup(client.ip, now)
    if (bound !== undefined) d = this.table.find((x) => x.key === bound)
    d ??= this.scheduler.schedule(this.table, client, this.service) as Destination | undefined
    if (!d) return undefined
    this.persistence?.touch(client.ip, d.key, now)
    d.connections++
    d.inactiveConns++
    return d
  }

  /**
   * Pick again for a connection whose server refused it, among the servers in
   * the table not yet tried. Schedulers that answer with a tried server (hash
   * tables) give way to the least-loaded untried one.
   */
  repick(client: Endpoint, tried: ReadonlySet<string>, now: number): Destination | undefined {
    const candidates = this.table.filter((d) => !tried.has(d.key) && d.weight > 0)
    if (candidates.length === 0) return undefined
    let d = this.scheduler.schedule(candidates, client, this.service) as Destination | undefined
    if (!d || tried.has(d.key)) d = candidates.reduce((a, b) => (a.activeConns * 256 + a.inactiveConns <= b.activeConns * 256 + b.inactiveConns ? a : b))
    this.persistence?.touch(client.ip, d.key, now)
    d.connections++
    d.inactiveConns++
    return d
  }

  /**
   * Last resort for a connection every server in the table refused: the
   * sorry_server, if one is configured and was not tried yet.
   */
  sorryFallback(tried: ReadonlySet<string>): Destination | undefined {
    const d = [...this.dests.values()].find((x) => x.role === 'sorry' && x.configured && !tried.has(x.key))
    if (!d) return undefined
    d.connections++
    d.inactiveConns++
    return d
  }

  /** A connection attempt to d failed before it was established. */
  connectFailed(d: Destination): void {
    d.inactiveConns--
  }

  /** The connection to d is established (inactive -> active). */
  established(d: Destination): void {
    d.inactiveConns--
    d.activeConns++
  }

  /** The connection is closing (a side sent FIN): active -> inactive, as IPVS's FIN_WAIT/TIME_WAIT. */
  closing(d: Destination): void {
    d.activeConns--
    d.inactiveConns++
  }

  /**
   * The connection ended; `wasActive` says which counter held it. With
   * `lingerMs`, it stays counted as inactive that long, as IPVS keeps a closed
   * TCP connection in TIME_WAIT (120 s) or CLOSE (10 s): lc/wlc see it.
   */
  closed(d: Destination, client: Endpoint, wasActive: boolean, bytesIn: number, bytesOut: number, now: number, lingerMs = 0): void {
    if (wasActive) d.activeConns--
    else d.inactiveConns--
    if (lingerMs > 0 && d.configured) {
      d.inactiveConns++
      let queue = this.lingering.get(lingerMs)
      if (!queue) this.lingering.set(lingerMs, (queue = new LingerQueue()))
      queue.push(d, now + lingerMs)
    }
    d.bytesIn += bytesIn
    d.bytesOut += bytesOut
    if (d.configured || d.activeConns + d.inactiveConns > 0) this.persistence?.touch(client.ip, d.key, now)
    if (!d.configured && d.activeConns + d.inactiveConns === 0) {
      this.dests.delete(d.key)
      this.persistence?.forgetDest(d.key)
    }
  }

  /** Servers in the table, in order. */
  tableEntries(): readonly Destination[] {
    return this.table
  }

  /** Every destination known: configured ones plus removed ones still draining. */
  destinations(): Destination[] {
    return [...this.dests.values()]
  }

  get(key: string): Destination | undefined {
    return this.dests.get(key)
  }
}

/**
 * Closed connections in the order they closed (so in order of expiry, for
 * one linger time), as two parallel arrays read from `head`: at thousands of
 * connections a second a TIME_WAIT of 120 s holds hundreds of thousands, and
 * expiring must not shift them all.
 */
class LingerQueue {
  private dests: Destination[] = []
  private until: number[] = []
  private head = 0

  push(d: Destination, until: number): void {
    this.dests.push(d)
    this.until.push(until)
  }

  expire(now: number): void {
    const {dests, until} = this
    let i = this.head
    while (i < until.length && until[i] <= now) dests[i++].inactiveConns--
    if (i === this.head) return
    if (i === until.length) {
      this.dests = []
      this.until = []
      this.head = 0
    } else if (i > 4096 && i * 2 > until.length) {
      // drop the expired prefix once it is most of the arrays
      this.dests = dests.slice(i)
      this.until = until.slice(i)
      this.head = 0
    } else this.head = i
  }
}

function effectiveWeight(d: Destination): number {
  return d.dynamicWeight ?? d.configuredWeight
}

function newDestination(role: 'real' | 'sorry', rs: RealServer, vs: VirtualServer, weight: number, healthy: boolean): Destination {
  const port = rs.port ?? vs.port ?? 0
  return {
    key: destKey(rs.ip, port),
    ip: rs.ip,
    port,
    role,
    weight: 0,
    lastWeight: weight,
    configuredWeight: weight,
    healthy,
    inhibitOnFailure: role === 'real' ? (rs.inhibitOnFailure ?? vs.inhibitOnFailure ?? false) : false,
    inTable: false,
    configured: true,
    activeConns: 0,
    inactiveConns: 0,
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
  }
}
