/**
 * `halctl failover-test`: preflight, observe, inject a fault on the master,
 * measure, restore, judge; repeated for every round. The cluster is never
 * left worse than found: whatever happens (error, Ctrl-C), an injected fault
 * is undone before this returns or throws.
 */
import type {KeepalivedConfig, VrrpInstance} from '../keepalived/model.js'
import {parseKeepalivedConfig} from '../keepalived/parse/index.js'
import {KEEPALIVED_CONF} from '../host/paths.js'
import type {NodeFacts} from '../host/facts.js'
import type {DesiredCluster, DesiredNode} from '../host/desired.js'
import {sshTargetFor} from '../host/connect.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {lockNodes, type NodeLock} from '../remote/lock.js'
import type {RemoteHost, StreamHandle, Transport} from '../remote/types.js'
import type {Finding} from '../sniff/findings.js'
import {StatusReader} from '../status/status.js'
import {advertIntervalMs, masterDownMs} from '../vrrp/timers.js'
import {expectTakeover, type Expectation, type FaultKind} from './expectations.js'
import {planFault, type FaultPlan} from './faults.js'
import {captureAdverts, clockOffsetMs, heldVips, nowMs, parseProbe, startProbing, watchAddresses, type AdvertCapture} from './observers.js'
import {measureRound, type RoundMeasurement, type TimelineEvent} from './timeline.js'
import {judgeRound, stats, type RoundVerdict, type Stats} from './verdict.js'
import {bareKey as bare} from '../net/address.js'

export interface FailoverOptions {
  instance?: string
  faults: FaultKind[]
  rounds: number
  /** http://VIP:PORT/path or tcp://VIP:PORT */
  probe?: string
  probeIntervalMs?: number
  force?: boolean
  sshConfigFile?: string
  knownHostsFile?: string
  /** how long the fault stays before it is restored, after the takeover was seen (ms) */
  holdMs?: number
  signal?: AbortSignal
  onProgress?: (message: string) => void
  /** each round as it completes */
  onRound?: (r: RoundResult) => void
}

export interface RoundResult {
  index: number
  fault: FaultKind
  description: string
  originalMaster: string
  newMaster?: string
  expectation: Expectation
  measurement: RoundMeasurement
  verdict: RoundVerdict
  /** the raw observations, for the report */
  events: TimelineEvent[]
  initialHolders: Record<string, string[]>
}

export interface FailoverResult {
  cluster: string
  instance: string
  vrid: number
  vips: string[]
  nodes: string[]
  preempt: boolean
  advertIntMs: number
  version: 2 | 3
  rounds: RoundResult[]
  summary: Array<{fault: FaultKind; rounds: number; passed: number; vipMovedMs?: Stats; firstAdvertMs?: Stats; downtimeMs?: Stats; dualHoldMs?: Stats}>
  findings: Finding[]
  ok: boolean
}

/** Sleep, cut short by the signal (its listener is removed either way). */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })

/** Wait until pred() holds, polling every 20 ms, at most timeoutMs; returns whether it held. */
async function until(pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const end = nowMs() + timeoutMs
  while (nowMs() < end && !signal?.aborted) {
    if (pred()) return true
    await sleep(20, signal)
  }
  return pred()
}

function pickInstance(cluster: DesiredCluster, name?: string): VrrpInstance {
  const all = cluster.nodes[0]?.config.instances ?? []
  const inst = name ? all.find((i) => i.name === name) : all[0]
  if (!inst) {
    throw new HalError('FAILOVER_INSTANCE', name ? `no vrrp instance ${name} in the spec` : 'the spec has no vrrp instance', {
      hint: all.length ? `instances: ${all.map((i) => i.name).join(', ')}` : 'add an instance to the spec',
    })
  }
  return inst
}

/**
 * Configuration facts that make a cluster act against its own spec, read from
 * the configs the nodes actually run (which may have been edited by hand).
 */
export function knownCauses(running: Map<string, KeepalivedConfig>, desired: DesiredCluster, instance: string): string[] {
  const causes: string[] = []
  for (const n of desired.nodes) {
    const cfg = running.get(n.name)
    if (!cfg) continue
    const i = cfg.instances.find((x) => x.name === instance)
    const want = n.config.instances.find((x) => x.name === instance)
    if (!i) {
      causes.push(`${n.name}: runs no vrrp_instance ${instance}`)
      continue
    }
    if (i.nopreempt && i.state === 'MASTER') causes.push(`${n.name}: nopreempt with state MASTER: keepalived ignores nopreempt unless the state is BACKUP`)
    if (want && Boolean(want.nopreempt) !== Boolean(i.nopreempt)) causes.push(`${n.name}: runs ${i.nopreempt ? 'nopreempt' : 'preempt'}, the spec says ${want.nopreempt ? 'nopreempt' : 'preempt'}`)
    if (want && want.priority !== i.priority) causes.push(`${n.name}: runs priority ${i.priority}, the spec says ${want.priority}`)
  }
  return causes
}

/**
 * The keepalived.conf each node runs, parsed: the file its keepalived reads (the spec's
 * keepalived.config, the daemon's -f, or the standard path), as read with its facts; nodes
 * whose file could not be read are left out.
 */
function runningConfigs(facts: Map<string, NodeFacts | undefined>): Map<string, KeepalivedConfig> {
  const out = new Map<string, KeepalivedConfig>()
  for (const [name, f] of facts) {
    if (f?.currentConfig === undefined) continue
    out.set(name, parseKeepalivedConfig(f.currentConfig, {file: f.daemon?.config ?? KEEPALIVED_CONF, configId: name, readFile: () => undefined}).config)
  }
  return out
}

/** The VIP holders as a live view fed by the address watchers. */
class Holders {
  readonly map = new Map<string, Set<string>>()
  constructor(vips: string[]) {
    for (const v of vips) this.map.set(v, new Set())
  }
  apply(e: TimelineEvent): void {
    if (e.kind !== 'vip') return
    const s = this.map.get(e.address)
    if (!s) return
    if (e.present) s.add(e.node)
    else s.delete(e.node)
  }
  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.map].map(([v, s]) => [v, [...s].sort()]))
  }
  /** the one node that holds every VIP, and no other node holds any */
  soleHolder(): string | undefined {
    const all = new Set([...this.map.values()].flatMap((s) => [...s]))
    if (all.size !== 1) return undefined
    const [n] = all
    return [...this.map.values()].every((s) => s.has(n)) ? n : undefined
  }
  holdsAll(node: string): boolean {
    return [...this.map.values()].every((s) => s.has(node))
  }
  onOthers(node: string): boolean {
    return [...this.map.values()].some((s) => [...s].some((x) => x !== node))
  }
}

/**
 * Whether the VIPs go back to the original master once the fault is restored.
 * A backup with preempt takes over from a lower priority; with nopreempt it
 * never does. But a blocked master never stopped being master: once its adverts
 * flow again two masters hear each other and the lower priority steps down,
 * preempt or not (keepalived's master compares priorities only).
 */
export function returnAfterRestore(fault: FaultKind, preempt: boolean, masterPriority: number, newMasterPriority: number): {expected: boolean; basis: string} {
  const higher = masterPriority > newMasterPriority
  if (fault === 'block') {
    return {expected: higher, basis: `both were master; the ${higher ? 'original master' : 'new master'} has the higher priority (${Math.max(masterPriority, newMasterPriority)}) and keeps the VIP, preempt or not`}
  }
  if (!preempt) return {expected: false, basis: 'nopreempt: a returning node stays backup'}
  return {expected: higher, basis: higher ? `preempt: priority ${masterPriority} > ${newMasterPriority}` : `preempt, but priority ${masterPriority} is not above the new master's ${newMasterPriority}`}
}

/** A round not run because the cluster had no single VIP holder before it (--force). */
function unhealthyRound(index: number, fault: FaultKind, holders: Record<string, string[]>, causes: string[]): RoundResult {
  const where = Object.entries(holders).map(([v, hs]) => `${v} on ${hs.join(' + ') || 'no node'}`).join(', ')
  const split = Object.values(holders).some((hs) => hs.length > 1)
  const detail = split
    ? `${where} before any fault: split brain, the nodes do not hear each other's VRRP adverts (a firewall dropping IP protocol 112, or VRID, auth or advert_int differing between the nodes); no fault injected`
    : `${where} before any fault: no node holds the VIP (keepalived stopped or in FAULT everywhere); no fault injected`
  const checks = [{name: 'healthy at start', ok: false, detail}]
  if (causes.length) checks.push({name: 'cause', ok: false, detail: causes.join('; ')})
  const measurement = measureRound([], {vrid: 0, vips: Object.keys(holders), originalMaster: '', initialHolders: holders})
  return {
    index,
    fault,
    description: 'not run: the cluster was unhealthy',
    originalMaster: Object.values(holders).flat()[0] ?? '',
    expectation: {fault, takeover: false, basis: 'not run', nominalMs: 0, minMs: 0, maxMs: 0},
    measurement,
    verdict: {ok: false, checks},
    events: [],
    initialHolders: holders,
  }
}

export async function runFailoverTest(cluster: DesiredCluster, transport: Transport, opts: FailoverOptions): Promise<FailoverResult> {
  const progress = opts.onProgress ?? (() => undefined)
  const inst = pickInstance(cluster, opts.instance)
  const vips = inst.virtualIpaddress.map((v) => bare(v.address))
  if (vips.length === 0) throw new HalError('FAILOVER_NO_VIP', `instance ${inst.name} has no virtual_ipaddress to watch`)
  const version = inst.version ?? 2
  const advertMs = advertIntervalMs(version, inst.advertInt)
  const preempt = !inst.nopreempt
  const nodes = cluster.nodes
  const nodeByAddress = new Map(nodes.map((n) => [n.address.toLowerCase(), n.name]))
  const probe = opts.probe ? parseProbe(opts.probe) : undefined
  if (opts.probe && !probe) throw new HalError('FAILOVER_PROBE', `cannot probe ${opts.probe}`, {hint: 'use http://HOST:PORT/path or tcp://HOST:PORT'})

  // 1. preflight
  progress('preflight: reading every node')
  const reader = new StatusReader(cluster, transport, {sshConfigFile: opts.sshConfigFile, knownHostsFile: opts.knownHostsFile})
  const hosts = new Map<string, RemoteHost>()
  const streams: StreamHandle[] = []
  const locks: NodeLock[] = []
  let capture: AdvertCapture | undefined
  let prober: {stop(): Promise<void>} | undefined
  let pending: {plan: FaultPlan; host: RemoteHost} | undefined
  const restore = async (): Promise<void> => {
    if (!pending) return
    const {plan, host} = pending
    pending = undefined
    for (const argv of plan.restore) await host.exec(argv, {sudo: !host.isRoot, timeoutMs: 30_000}).catch(() => undefined)
  }
  try {
    const status = await reader.read()
    const problems: string[] = []
    for (const n of status.nodes) {
      if (!n.reachable) problems.push(`${n.node}: unreachable (${n.error ?? 'no answer'})`)
      else if (!n.running) problems.push(`${n.node}: keepalived is not running`)
      else if (n.firewall === false) problems.push(`${n.node}: the firewall does not let VRRP in`)
    }
    const row = status.instances.find((i) => i.name === inst.name)
    if (!row?.holder) problems.push(`${inst.name}: ${row?.problem ?? 'no single master'} (${row?.vips.map((v) => `${v.address}@${v.holders.join('+') || 'nobody'}`).join(', ')})`)
    if (problems.length && !opts.force) {
      throw new HalError('FAILOVER_UNHEALTHY', `the cluster is not healthy, not starting: ${problems.join('; ')}`, {
        exitCode: ExitCode.Finding,
        hint: 'fix it (halctl status, halctl deploy) or pass --force to test anyway',
      })
    }
    const facts = new Map((await reader.observe()).map((o) => [o.node, o.facts]))

    // 2. observers
    for (const n of nodes) hosts.set(n.name, await transport.connect(sshTargetFor(n, opts)))
    // one writer per node: deploy and failover-test exclude each other
    locks.push(...(await lockNodes(nodes.map((n) => ({node: n.name, host: hosts.get(n.name) as RemoteHost})), 'failover-test')))
    const events: TimelineEvent[] = []
    const holders = new Holders(vips)
    const emit = (e: TimelineEvent): void => {
      events.push(e)
      holders.apply(e)
    }
    for (const n of nodes) {
      const h = hosts.get(n.name)!
      streams.push(await watchAddresses(h, n.name, vips, emit))
      for (const v of await heldVips(h, vips)) holders.map.get(v)?.add(n.name)
    }
    const running = runningConfigs(facts)
    const result: FailoverResult = {cluster: cluster.cluster, instance: inst.name, vrid: inst.virtualRouterId, vips, nodes: nodes.map((n) => n.name), preempt, advertIntMs: advertMs, version, rounds: [], summary: [], findings: [], ok: false}

    const plan: FaultKind[] = []
    for (let r = 0; r < opts.rounds; r++) for (const f of opts.faults) plan.push(f)
    for (const [i, fault] of plan.entries()) {
      if (opts.signal?.aborted) break
      // settle: one owner before every round
      await until(() => holders.soleHolder() !== undefined, masterDownMs(version, 1, advertMs) * 3 + 5000, opts.signal)
      const sole = holders.soleHolder()
      if (!sole) {
        const snapshot = holders.snapshot()
        if (!opts.force) throw new HalError('FAILOVER_UNSETTLED', `round ${i + 1}: no single holder of ${vips.join(', ')} before the fault: ${JSON.stringify(snapshot)}`, {exitCode: ExitCode.Finding})
        // --force on a broken cluster: no fault on top of it; the round fails and says why
        const rr = unhealthyRound(i + 1, fault, snapshot, knownCauses(running, cluster, inst.name))
        result.rounds.push(rr)
        opts.onRound?.(rr)
        continue
      }
      const master = sole
      const masterNode = nodes.find((n) => n.name === master) as DesiredNode
      const backups = nodes.filter((n) => n.name !== master)
      const backupPriority = Math.max(...backups.map((n) => n.config.instances.find((x) => x.name === inst.name)?.priority ?? 100))
      const masterInst = masterNode.config.instances.find((x) => x.name === inst.name)
      const track = masterInst?.trackScript?.[0]
      const script = masterNode.config.scripts.find((s) => s.name === track?.name)
      const faultPlan = planFault(fault, {
        node: master,
        init: facts.get(master)?.init ?? 'none',
        interface: masterNode.interface,
        trackScript: script?.script.replace(/^"|"$/g, '').split(/\s+/)[0],
        linkDownSeconds: Math.ceil((masterDownMs(version, backupPriority, advertMs) * 2 + 2000) / 1000),
      })
      const expectation = expectTakeover(fault, {
        version,
        advertInt: inst.advertInt ?? 1,
        backupPriority,
        scriptDetectMs: script ? ((script.interval ?? 1) * (script.fall ?? 1) + (script.timeout ?? 0)) * 1000 : undefined,
        scriptWeight: track?.weight ?? script?.weight ?? 0,
        masterPriority: masterInst?.priority,
        preempt,
      })
      // capture on a backup: it sees both routers' adverts even when the master's are blocked on the way out
      const capHost = hosts.get(backups[0].name)!
      capture = captureAdverts(capHost, backups[0].interface, nodeByAddress, await clockOffsetMs(capHost), emit)
      if (probe) prober = startProbing(probe, opts.probeIntervalMs ?? 20, emit)
      const roundStart = nowMs()
      const initialHolders = holders.snapshot()
      const from = events.length
      await sleep(Math.max(2 * advertMs, 500), opts.signal)

      // 3. inject
      progress(`round ${i + 1}/${plan.length}: ${faultPlan.description} on ${master}`)
      const mh = hosts.get(master)!
      pending = {plan: faultPlan, host: mh}
      const tStart = nowMs()
      for (const argv of faultPlan.inject) {
        const r = await mh.exec(argv, {sudo: !mh.isRoot, timeoutMs: 15_000 + (faultPlan.selfRestoresAfterMs ?? 0)})
        if (r.code !== 0) throw new HalError('FAILOVER_INJECT', `could not inject ${fault} on ${master}: ${r.stderr.trim() || `exit ${r.code}`}`, {exitCode: ExitCode.Remote, where: master})
      }
      // the fault took effect after the command started and before it returned (a clean stop under
      // systemd returns only once the daemon exited, after its priority 0 advert): the measurement
      // refines the time from the wire
      emit({t: tStart, kind: 'fault', node: master, fault, phase: 'inject', until: nowMs()})

      // 4. wait for the takeover (or the dual hold, for block; or the time it would take, when none is expected)
      const moved = (): boolean => backups.some((b) => holders.holdsAll(b.name))
      if (expectation.takeover) await until(moved, expectation.maxMs * 2 + 3000, opts.signal)
      else await sleep(expectation.maxMs, opts.signal)
      await sleep(opts.holdMs ?? Math.max(1000, 2 * advertMs), opts.signal)
      if (faultPlan.selfRestoresAfterMs) await sleep(Math.max(0, tStart + faultPlan.selfRestoresAfterMs + 500 - nowMs()), opts.signal)

      // 5. restore and watch what the spec says should happen
      progress(`round ${i + 1}/${plan.length}: restoring ${fault} on ${master}`)
      // a self-restoring fault (link) ended when its timer on the node ran out, before our restore
      const tRestore = faultPlan.selfRestoresAfterMs ? Math.min(nowMs(), tStart + faultPlan.selfRestoresAfterMs) : nowMs()
      await restore()
      emit({t: tRestore, kind: 'fault', node: master, fault, phase: 'restore'})
      const mdi = masterDownMs(version, backupPriority, advertMs)
      const startupMs = fault === 'stop' || fault === 'kill' ? 3000 : 0
      const newHolder = backups.find((b) => holders.holdsAll(b.name))
      const back = returnAfterRestore(fault, preempt, masterInst?.priority ?? 0, newHolder ? (newHolder.config.instances.find((x) => x.name === inst.name)?.priority ?? 0) : 0)
      if (back.expected) {
        await until(() => holders.holdsAll(master) && !holders.onOthers(master), 2 * mdi + (inst.preemptDelay ?? 0) * 1000 + startupMs + 5000, opts.signal)
      } else {
        await sleep(2 * mdi + startupMs, opts.signal)
      }
      await until(() => holders.soleHolder() !== undefined, 2 * mdi + 3000, opts.signal)
      const endAt = nowMs()
      await prober?.stop()
      prober = undefined
      await capture.stop()
      result.findings.push(...capture.findings())
      capture = undefined

      const roundEvents = events.slice(from).filter((e) => e.t >= roundStart - 1)
      const measurement = measureRound(roundEvents, {vrid: inst.virtualRouterId, vips, originalMaster: master, initialHolders}, endAt)
      const verdict = judgeRound(measurement, expectation, {fault, preempt, returnExpected: back.expected, returnBasis: back.basis, knownCauses: knownCauses(running, cluster, inst.name), handoverMs: advertMs + 250})
      const rr: RoundResult = {index: i + 1, fault, description: faultPlan.description, originalMaster: master, newMaster: measurement.newMaster, expectation, measurement, verdict, events: roundEvents, initialHolders}
      result.rounds.push(rr)
      opts.onRound?.(rr)
    }
    if (opts.signal?.aborted) throw new HalError('INTERRUPTED', 'interrupted: the fault was undone', {exitCode: ExitCode.Interrupted})
    result.summary = opts.faults.map((fault) => {
      const rs = result.rounds.filter((r) => r.fault === fault)
      return {
        fault,
        rounds: rs.length,
        passed: rs.filter((r) => r.verdict.ok).length,
        vipMovedMs: stats(rs.map((r) => r.measurement.vipMovedMs)),
        firstAdvertMs: stats(rs.map((r) => r.measurement.firstAdvertMs)),
        downtimeMs: probe ? stats(rs.map((r) => r.measurement.probes.downtimeMs)) : undefined,
        dualHoldMs: stats(rs.map((r) => r.measurement.dualHoldMs)),
      }
    })
    result.ok = result.rounds.length > 0 && result.rounds.every((r) => r.verdict.ok)
    return result
  } finally {
    await restore()
    await prober?.stop().catch(() => undefined)
    await capture?.stop().catch(() => undefined)
    for (const s of streams) await s.stop().catch(() => undefined)
    for (const l of locks) await l.release()
    for (const h of hosts.values()) await h.close().catch(() => undefined)
    await reader.close()
  }
}
