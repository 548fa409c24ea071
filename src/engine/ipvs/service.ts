import {spawn} from 'node:child_process'
import net from 'node:net'
import ipaddr from 'ipaddr.js'
import type {KeepalivedConfig, RealServer, VirtualServer} from '../../keepalived/model.js'
import {stripLocations} from '../../keepalived/model.js'
import {RealServerHealth} from './health.js'
import {destKey, VirtualServerPool, type PoolEvent} from './pool.js'
import {enableNonlocalBind} from './proxy/nonlocal-bind.js'
import {createTcpProxy, DEFAULT_TCP_PROXY_OPTIONS, type TcpProxyOptions} from './proxy/tcp-proxy.js'
import type {Listener, ProxyContext} from './proxy/types.js'
import {DEFAULT_UDP_IDLE_TIMEOUT_MS, UdpProxy} from './proxy/udp-proxy.js'
import {isSchedulerName} from './schedulers/index.js'
import {renderIpvsTable, type IpvsStatus, type SkippedVirtualServer, type VirtualServerStatus} from './status.js'

/** Something the service did or saw, for the caller's log. */
export type IpvsEvent =
  | {type: 'server-up' | 'server-down'; virtualServer: string; server: string; error?: string}
  | {type: 'quorum-up' | 'quorum-down'; virtualServer: string; liveWeight: number}
  | {type: 'listening' | 'stopped-listening'; virtualServer: string}
  | {type: 'listen-error'; virtualServer: string; error: string}
  | {type: 'nonlocal-bind'; family: 4 | 6}
  | {type: 'script'; command: string}

export interface VirtualServerServiceOptions {
  onEvent?: (e: IpvsEvent) => void
  /** how flows of a UDP virtual server end when idle (default 300 s, IPVS's) */
  udpIdleTimeoutMs?: number
  /**
   * TCP proxy tuning: how long a closed connection still counts as inactive
   * (IPVS: TIME_WAIT 120 s after FINs, CLOSE 10 s after a reset; lc/wlc/sed
   * see these counts), the connect timeout to a server, how many servers
   * one client connection may try when a server refuses it, and the relay
   * (`handles`, the default, or `sockets`)
   */
  tcp?: Partial<TcpProxyOptions>
  /** on EADDRNOTAVAIL, turn on ip_nonlocal_bind in this namespace and retry (default true) */
  nonlocalBind?: boolean
  /** runs notify_up/notify_down/quorum_up/quorum_down (default: /bin/sh -c, detached) */
  runScript?: (command: string) => void
  /** run the health checkers (default true); false serves every real server as up */
  healthChecks?: boolean
  random?: () => number
}

export interface VirtualServerService {
  /** Start checkers; listen on every virtual server that is not VRRP-managed. */
  start(): Promise<void>
  /** Stop listening and checking; live connections are closed. */
  stop(): Promise<void>
  /**
   * The VRRP engine calls this on becoming (true) or leaving (false) master:
   * `vipOrInstance` is a vrrp_instance name (all of its virtual_ipaddress) or
   * one address. Virtual servers on those addresses start or stop listening.
   */
  setActive(vipOrInstance: string, active: boolean): Promise<void>
  /** Apply a new config without dropping live connections (SIGHUP). */
  reload(config: KeepalivedConfig): Promise<void>
  status(): IpvsStatus
  /** `ipvsadm -Ln`-like text; `stats` for the counters view */
  renderTable(opts?: {stats?: boolean}): string
}

const normalize = (address: string): string => {
  const bare = address.split('/')[0]
  return ipaddr.isValid(bare) ? ipaddr.process(bare).toString() : bare
}

export function virtualServerId(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return `fwmark ${vs.fwmark}`
  if (vs.group !== undefined) return `group ${vs.group}`
  const proto = vs.protocol ?? 'TCP'
  const addr = vs.address ?? '?'
  return `${proto} ${addr.includes(':') ? `[${addr}]` : addr}:${vs.port ?? 0}`
}

/** Why a virtual_server block cannot be served in userspace, if it cannot. */
export function unsupportedReason(vs: VirtualServer): string | undefined {
  if (vs.fwmark !== undefined) return 'fwmark virtual servers need netfilter marks and kernel IPVS; not served in userspace'
  if (vs.group !== undefined) return 'virtual_server group is not served in userspace; declare each address:port as its own virtual_server'
  if (!vs.address || !vs.port) return 'a userspace virtual server needs an address and a port'
  if (vs.protocol === 'SCTP') return 'SCTP is not proxied in userspace'
  return undefined
}

/** What the userspace engine does differently from kernel IPVS for this block. */
export function notesFor(vs: VirtualServer): string[] {
  const notes: string[] = []
  const kind = vs.lbKind ?? 'NAT'
  notes.push(
    kind === 'NAT'
      ? 'lb_kind NAT: userspace always proxies; real servers see connections from this host, not from the client'
      : `lb_kind ${kind} accepted: userspace always proxies, so replies return through this host and real servers need no VIP of their own`,
  )
  const algo = vs.lbAlgo ?? 'wlc'
  if (!isSchedulerName(algo)) notes.push(`lb_algo ${algo} is not implemented in userspace; using wlc`)
  return notes
}

interface Runtime {
  id: string
  vs: VirtualServer
  pool: VirtualServerPool
  health: Map<string, {monitor: RealServerHealth; healthy: boolean; spec: string}>
  listener: Listener
  address: string
  instances: string[]
  listenError?: string
  refused: number
  backendErrors: number
  notes: string[]
}

const defaultRunScript = (command: string): void => {
  const child = spawn('/bin/sh', ['-c', command], {detached: true, stdio: 'ignore'})
  child.on('error', () => {})
  child.unref()
}

/**
 * Serve the virtual_server blocks of a keepalived.conf in userspace: a
 * TCP/UDP proxy per VIP:port with IPVS's schedulers, keepalived's checkers,
 * quorum and sorry server. See src/engine/ipvs/README.md.
 */
export function createVirtualServerService(config: KeepalivedConfig, opts: VirtualServerServiceOptions = {}): VirtualServerService {
  const emit = (e: IpvsEvent): void => opts.onEvent?.(e)
  const runScript = (command: string | undefined): void => {
    if (!command) return
    emit({type: 'script', command})
    ;(opts.runScript ?? defaultRunScript)(command)
  }
  const runtimes = new Map<string, Runtime>()
  let skipped: SkippedVirtualServer[] = []
  let current = config
  let started = false
  /** normalized VIPs this node is master for */
  const activeVips = new Set<string>()
  let vipInstances = new Map<string, string[]>()

  const indexInstances = (cfg: KeepalivedConfig): void => {
    vipInstances = new Map()
    for (const inst of cfg.instances) {
      for (const v of [...inst.virtualIpaddress, ...(inst.virtualIpaddressExcluded ?? [])]) {
        const a = normalize(v.address)
        vipInstances.set(a, [...(vipInstances.get(a) ?? []), inst.name])
      }
    }
  }

  const isActive = (rt: Runtime): boolean => rt.instances.length === 0 || activeVips.has(rt.address)

  const handlePoolEvents = (rt: Runtime, events: PoolEvent[]): void => {
    for (const e of events) {
      if (e.type !== 'quorum') continue
      emit({type: e.up ? 'quorum-up' : 'quorum-down', virtualServer: rt.id, liveWeight: e.liveWeight})
      runScript(e.up ? rt.vs.quorumUp : rt.vs.quorumDown)
    }
  }

  const makeHealth = (rt: Runtime, rs: RealServer, alpha: boolean): void => {
    const key = destKey(rs.ip, rs.port ?? rt.vs.port ?? 0)
    const entry = {
      spec: JSON.stringify(stripLocations(rs)),
      healthy: true,
      monitor: new RealServerHealth(rs, rt.vs, {
        alpha,
        random: opts.random,
        onChange: (healthy, weight) => {
          const was = entry.healthy
          entry.healthy = healthy
          handlePoolEvents(rt, rt.pool.setHealth(key, healthy, weight))
          if (was === healthy) return
          const err = entry.monitor.states().find((s) => !s.state.up)?.state.lastError
          emit({type: healthy ? 'server-up' : 'server-down', virtualServer: rt.id, server: key, error: healthy ? undefined : err})
          runScript(healthy ? rs.notifyUp : rs.notifyDown)
        },
      }),
    }
    entry.healthy = entry.monitor.healthy()
    if (opts.healthChecks === false) entry.healthy = true
    rt.pool.setHealth(key, entry.healthy, undefined)
    rt.health.get(key)?.monitor.stop()
    rt.health.set(key, entry)
    if (started && opts.healthChecks !== false) entry.monitor.start()
  }

  const createRuntime = (vs: VirtualServer): Runtime => {
    const address = normalize(vs.address!)
    const pool = new VirtualServerPool(vs, {alpha: vs.alpha})
    const ctx: ProxyContext = {
      pool,
      onRefused: () => rt.refused++,
      onBackendError: () => rt.backendErrors++,
    }
    const bind = {address: vs.address!, port: vs.port!}
    const listener =
      vs.protocol === 'UDP'
        ? new UdpProxy(bind, ctx, opts.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS)
        : createTcpProxy(bind, ctx, {...DEFAULT_TCP_PROXY_OPTIONS, ...opts.tcp})
    const rt: Runtime = {
      id: virtualServerId(vs),
      vs,
      pool,
      listener,
      address,
      instances: vipInstances.get(address) ?? [],
      refused: 0,
      backendErrors: 0,
      notes: notesFor(vs),
      health: new Map(),
    }
    for (const rs of vs.realServers) makeHealth(rt, rs, vs.alpha ?? false)
    return rt
  }

  const listen = async (rt: Runtime): Promise<void> => {
    try {
      await rt.listener.listen()
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      if (err.code === 'EADDRNOTAVAIL' && opts.nonlocalBind !== false) {
        const family = net.isIPv6(rt.address) ? 6 : 4
        if (await enableNonlocalBind(family)) {
          emit({type: 'nonlocal-bind', family})
          try {
            await rt.listener.listen()
            rt.listenError = undefined
            emit({type: 'listening', virtualServer: rt.id})
            return
          } catch (e2) {
            rt.listenError = (e2 as Error).message
            emit({type: 'listen-error', virtualServer: rt.id, error: rt.listenError})
            return
          }
        }
      }
      rt.listenError = err.message
      emit({type: 'listen-error', virtualServer: rt.id, error: rt.listenError})
      return
    }
    rt.listenError = undefined
    emit({type: 'listening', virtualServer: rt.id})
  }

  const applyListening = async (rt: Runtime): Promise<void> => {
    const should = started && isActive(rt)
    if (should && !rt.listener.listening) await listen(rt)
    else if (!should && rt.listener.listening) {
      await rt.listener.close()
      emit({type: 'stopped-listening', virtualServer: rt.id})
    }
  }

  const build = (cfg: KeepalivedConfig): Map<string, VirtualServer> => {
    indexInstances(cfg)
    skipped = []
    const wanted = new Map<string, VirtualServer>()
    for (const vs of cfg.virtualServers) {
      const reason = unsupportedReason(vs)
      if (reason) skipped.push({id: virtualServerId(vs), reason})
      else wanted.set(virtualServerId(vs), vs)
    }
    return wanted
  }

  for (const [id, vs] of build(config)) runtimes.set(id, createRuntime(vs))

  const stopRuntime = async (rt: Runtime, destroy: boolean): Promise<void> => {
    for (const h of rt.health.values()) h.monitor.stop()
    if (destroy) rt.listener.destroy()
    else await rt.listener.close()
  }

  return {
    async start() {
      if (started) return
      started = true
      if (opts.healthChecks !== false) for (const rt of runtimes.values()) for (const h of rt.health.values()) h.monitor.start()
      await Promise.all([...runtimes.values()].map(applyListening))
    },

    async stop() {
      if (!started) return
      started = false
      for (const rt of runtimes.values()) {
        if (rt.vs.omega) {
          for (const [key, h] of rt.health) if (h.healthy) runScript(rt.vs.realServers.find((r) => destKey(r.ip, r.port ?? rt.vs.port ?? 0) === key)?.notifyDown)
          if (rt.pool.isQuorumUp()) runScript(rt.vs.quorumDown)
        }
        await stopRuntime(rt, true)
      }
    },

    async setActive(vipOrInstance, active) {
      const inst = current.instances.find((i) => i.name === vipOrInstance)
      const addrs = inst
        ? [...inst.virtualIpaddress, ...(inst.virtualIpaddressExcluded ?? [])].map((v) => normalize(v.address))
        : [normalize(vipOrInstance)]
      for (const a of addrs) {
        if (active) activeVips.add(a)
        else activeVips.delete(a)
      }
      await Promise.all([...runtimes.values()].filter((rt) => addrs.includes(rt.address)).map(applyListening))
    },

    async reload(cfg) {
      current = cfg
      const wanted = build(cfg)
      for (const [id, rt] of runtimes) {
        if (wanted.has(id)) continue
        runtimes.delete(id)
        await stopRuntime(rt, false)
        emit({type: 'stopped-listening', virtualServer: id})
      }
      for (const [id, vs] of wanted) {
        const rt = runtimes.get(id)
        if (!rt) {
          runtimes.set(id, createRuntime(vs))
          continue
        }
        rt.vs = vs
        rt.instances = vipInstances.get(rt.address) ?? []
        rt.notes = notesFor(vs)
        handlePoolEvents(rt, rt.pool.reload(vs))
        const keep = new Set<string>()
        for (const rs of vs.realServers) {
          const key = destKey(rs.ip, rs.port ?? vs.port ?? 0)
          keep.add(key)
          const existing = rt.health.get(key)
          if (existing && existing.spec === JSON.stringify(stripLocations(rs))) continue
          makeHealth(rt, rs, false)
        }
        for (const [key, h] of rt.health) {
          if (keep.has(key)) continue
          h.monitor.stop()
          rt.health.delete(key)
        }
      }
      await Promise.all([...runtimes.values()].map(applyListening))
    },

    status() {
      const out: VirtualServerStatus[] = []
      for (const rt of runtimes.values()) {
        rt.pool.expire(Date.now())
        const live = rt.listener.liveBytes()
        out.push({
          id: rt.id,
          protocol: rt.vs.protocol === 'UDP' ? 'UDP' : 'TCP',
          address: rt.vs.address!,
          port: rt.vs.port!,
          scheduler: rt.pool.schedulerName,
          lbKind: rt.vs.lbKind ?? 'NAT',
          persistenceTimeout: rt.vs.persistenceTimeout || undefined,
          vrrpInstances: rt.instances,
          active: isActive(rt),
          listening: rt.listener.listening,
          listenError: rt.listenError,
          quorum: {up: rt.pool.isQuorumUp(), liveWeight: rt.pool.liveWeight(), quorum: rt.pool.quorum(), hysteresis: rt.vs.hysteresis ?? 0},
          sorryServerActive: rt.pool.tableEntries().some((d) => d.role === 'sorry' && d.weight > 0),
          refused: rt.refused,
          backendErrors: rt.backendErrors,
          notes: rt.notes,
          realServers: rt.pool.destinations().map((d) => {
            const [liveIn, liveOut] = live.get(d.key) ?? [0, 0]
            const h = rt.health.get(d.key)
            return {
              ip: d.ip,
              port: d.port,
              role: d.role,
              weight: d.weight,
              configuredWeight: d.configuredWeight,
              inTable: d.inTable,
              healthy: d.healthy,
              draining: !d.configured,
              activeConns: d.activeConns,
              inactiveConns: d.inactiveConns,
              connections: d.connections,
              bytesIn: d.bytesIn + liveIn,
              bytesOut: d.bytesOut + liveOut,
              checkers: (h?.monitor.states() ?? []).map(({type, state}) => ({
                type,
                up: state.up,
                checks: state.checks,
                failures: state.failures,
                lastError: state.lastError,
                lastCheckAt: state.lastCheckAt === undefined ? undefined : new Date(state.lastCheckAt).toISOString(),
              })),
            }
          }),
        })
      }
      return {virtualServers: out, skipped}
    },

    renderTable(o) {
      return renderIpvsTable(this.status(), o)
    },
  }
}
