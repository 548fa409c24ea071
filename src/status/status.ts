import {isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost, Transport} from '../remote/types.js'
import {sshTargetFor} from '../host/connect.js'
import {selectedNodes, type DesiredCluster, type DesiredNode} from '../host/desired.js'
import {gatherFacts, sha256, type FirewallKind, type NodeFacts} from '../host/facts.js'
import {missingFirewalldRules} from '../host/firewall.js'
import {facilityOfArgs, renderRsyslogDropIn} from '../host/logging.js'
import {KEEPALIVED_CONF} from '../host/paths.js'
import {sameMeaningAsNode} from '../deploy/plan.js'
import {readKeepalivedData, type DumpedInstance} from './keepalived-data.js'
import {bareKey as bare} from '../net/address.js'

/** What one node told us (or why it could not). */
export interface NodeObservation {
  node: string
  reachable: boolean
  error?: string
  facts?: NodeFacts
  /** keepalived's own view, from its data dump; undefined when unavailable */
  dump?: DumpedInstance[]
}

export interface NodeStatusRow {
  node: string
  reachable: boolean
  error?: string
  running: boolean
  /** firewall rules for VRRP present (true when the node has no firewall) */
  firewall: boolean | null
  /** files that differ from the spec (missing or different content/mode) */
  drift: string[]
  instances: Array<{name: string; state: string; priority?: number; effectivePriority?: number; source: 'keepalived' | 'vips'}>
}

export interface InstanceStatusRow {
  name: string
  vips: Array<{address: string; holders: string[]}>
  /** the one node holding every VIP of the instance; undefined when none or several */
  holder?: string
  /** unknown: a VIP is on no node that could be read, and some node could not be read (it may hold it) */
  problem?: 'split-brain' | 'no-owner' | 'partial' | 'unknown'
  /** --node: the instance's VIPs are on none of the nodes read; its other nodes were not asked */
  elsewhere?: string[]
}

export interface StatusFinding {
  severity: 'error' | 'warning'
  code: string
  message: string
}

export interface StatusResult {
  cluster: string
  /** the nodes read: every node of the spec, or those named with --node */
  selected: string[]
  at: string
  ok: boolean
  instances: InstanceStatusRow[]
  nodes: NodeStatusRow[]
  findings: StatusFinding[]
}

function firewallPresent(node: DesiredNode, f: NodeFacts): boolean | null {
  switch (f.firewall) {
    case 'none':
      return null
    // "missing" only when the ruleset would drop VRRP: an empty or accept-only ruleset lets it in
    case 'nftables':
      return f.firewallState.nftTable || f.firewallState.mayDropVrrp === false
    case 'iptables':
      return (f.firewallState.iptablesChain && f.firewallState.iptablesJump) || f.firewallState.mayDropVrrp === false
    case 'firewalld':
      return missingFirewalldRules(node.config, f.firewallState.firewalld).length === 0
  }
}

function drift(node: DesiredNode, f: NodeFacts): string[] {
  const conf = f.daemon?.config ?? KEEPALIVED_CONF
  const want = [{path: conf, content: node.text}, ...node.scripts, ...(node.logging ? [renderRsyslogDropIn(node.logging)] : [])]
  // a keepalived.conf that says the same as the spec in another form (a hand-written, imported cluster) is no drift
  return want.filter((w) => f.files[w.path]?.sha256 !== sha256(w.content) && !(w.path === conf && sameMeaningAsNode(f, node))).map((w) => w.path)
}

/**
 * Observations -> per-instance holders, per-node rows, findings. Pure. With `only` (--node),
 * just those nodes are judged: a VIP on none of them may be on a node not asked, so it is
 * reported as elsewhere, not as without owner, and "keepalived runs nowhere" is not claimed.
 */
export function analyzeStatus(cluster: DesiredCluster, obs: NodeObservation[], at = new Date(), only?: string[]): StatusResult {
  const findings: StatusFinding[] = []
  const byNode = new Map(obs.map((o) => [o.node, o]))
  const asked = cluster.nodes.filter((n) => !only || only.includes(n.name))
  const nodes: NodeStatusRow[] = asked.map((n) => {
    const o = byNode.get(n.name)
    const f = o?.facts
    if (!o || !o.reachable || !f) {
      findings.push({severity: 'error', code: 'UNREACHABLE', message: `${n.name}: cannot be read: ${o?.error ?? 'no answer'}`})
      return {node: n.name, reachable: false, error: o?.error, running: false, firewall: null, drift: [], instances: []}
    }
    const have = new Set(f.interfaces.flatMap((i) => i.addresses.map(bare)))
    const instances = n.config.instances.map((inst) => {
      const d = o.dump?.find((x) => x.name === inst.name)
      if (d) return {name: inst.name, state: d.state, priority: d.priority, effectivePriority: d.effectivePriority, source: 'keepalived' as const}
      const holds = inst.virtualIpaddress.length > 0 && inst.virtualIpaddress.every((v) => have.has(bare(v.address)))
      return {name: inst.name, state: !f.keepalived.running ? 'STOPPED' : holds ? 'MASTER' : 'BACKUP', priority: inst.priority, source: 'vips' as const}
    })
    const row: NodeStatusRow = {node: n.name, reachable: true, running: f.keepalived.running, firewall: firewallPresent(n, f), drift: drift(n, f), instances}
    if (!row.running) findings.push({severity: 'warning', code: 'NOT_RUNNING', message: `${n.name}: keepalived is not running`})
    if (row.firewall === false) findings.push({severity: 'warning', code: 'FIREWALL_MISSING', message: `${n.name}: no firewall rule lets VRRP in (${f.firewall}); expect split brain`})
    // args are read from the running keepalived's command line
    const logArgs = n.logging && f.keepalived.args ? facilityOfArgs(f.keepalived.args) : undefined
    if (n.logging && f.keepalived.args && logArgs !== n.logging.facility) {
      findings.push({
        severity: 'warning',
        code: 'LOG_ARGS',
        message: `${n.name}: keepalived runs ${logArgs === undefined ? 'without -S' : `with -S ${logArgs}`}, the spec logs to local${n.logging.facility} (${n.logging.file}): restart keepalived on the node to apply it`,
      })
    }
    if (f.daemon?.problem) findings.push({severity: 'warning', code: 'OTHER_CONFIG', message: `${n.name}: ${f.daemon.problem}`})
    if (row.drift.length) findings.push({severity: 'warning', code: 'DRIFT', message: `${n.name}: differs from the spec: ${row.drift.join(', ')} (run halctl deploy)`})
    return row
  })

  const reachable = obs.filter((o) => o.reachable && o.facts)
  const unknown = nodes.filter((n) => !n.reachable).map((n) => n.node)
  if (!only && nodes.every((n) => !n.running)) {
    findings.push({
      severity: 'error',
      code: 'NOT_RUNNING_ANYWHERE',
      message: unknown.length ? `keepalived runs on no node that could be read (${unknown.join(', ')} could not be read)` : 'keepalived runs on no node: nothing fails over',
    })
  }
  const seen = new Map<string, InstanceStatusRow>()
  for (const n of asked) {
    for (const inst of n.config.instances) {
      if (seen.has(inst.name)) continue
      // --node: the instance's nodes that were not asked (they may hold its VIPs)
      const notAsked = cluster.nodes.filter((x) => !asked.includes(x) && x.config.instances.some((i) => i.name === inst.name)).map((x) => x.name)
      const vips = inst.virtualIpaddress.map((v) => ({
        address: v.address,
        holders: reachable.filter((o) => o.facts?.interfaces.some((i) => i.addresses.some((a) => bare(a) === bare(v.address)))).map((o) => o.node),
      }))
      const row: InstanceStatusRow = {name: inst.name, vips}
      const all = new Set(vips.flatMap((v) => v.holders))
      if (vips.some((v) => v.holders.length > 1)) {
        row.problem = 'split-brain'
        const v = vips.find((x) => x.holders.length > 1) as InstanceStatusRow['vips'][number]
        findings.push({severity: 'error', code: 'SPLIT_BRAIN', message: `SPLIT BRAIN: ${inst.name}: ${v.address} is on ${v.holders.join(' AND ')}`})
      } else if (unknown.length && vips.some((v) => v.holders.length === 0)) {
        row.problem = 'unknown'
        const unseen = vips.filter((v) => v.holders.length === 0).map((v) => v.address)
        findings.push({
          severity: 'error',
          code: 'VIP_UNKNOWN',
          message: `${inst.name}: ${unseen.join(', ')} is on no node that could be read; ${unknown.join(', ')} could not be read and may hold it`,
        })
      } else if (vips.length && vips.every((v) => v.holders.length === 0) && notAsked.length) {
        row.elsewhere = notAsked
      } else if (vips.length && vips.every((v) => v.holders.length === 0)) {
        row.problem = 'no-owner'
        findings.push({severity: 'error', code: 'NO_OWNER', message: `NO OWNER: ${inst.name}: no node holds ${vips.map((v) => v.address).join(', ')}`})
      } else if (all.size > 1 || vips.some((v) => v.holders.length === 0)) {
        row.problem = 'partial'
        findings.push({severity: 'error', code: 'VIPS_SPLIT', message: `${inst.name}: its VIPs are not on one node: ${vips.map((v) => `${v.address}@${v.holders.join('+') || 'nobody'}`).join(', ')}`})
      } else row.holder = [...all][0]
      seen.set(inst.name, row)
    }
  }
  const instances = [...seen.values()]
  return {cluster: cluster.cluster, selected: asked.map((n) => n.name), at: at.toISOString(), ok: !findings.some((f) => f.severity === 'error'), instances, nodes, findings}
}

/**
 * Exit code of a status result: 3 what was seen is broken (split brain, no
 * owner, keepalived running nowhere), 4 a node could not be read and what was
 * seen is not enough to say (unknown, not broken), else 0. A split brain seen
 * on two readable nodes is 3 whatever else could not be read.
 */
export function statusExitCode(r: StatusResult): number {
  if (r.instances.some((i) => i.problem === 'split-brain')) return ExitCode.Finding
  if (r.nodes.some((n) => !n.reachable)) return ExitCode.Remote
  if (r.instances.some((i) => i.problem) || r.findings.some((f) => f.code === 'NOT_RUNNING_ANYWHERE')) return ExitCode.Finding
  return ExitCode.Ok
}

/** A reusable connection pool for status rounds (--watch keeps connections open). */
export class StatusReader {
  private hosts = new Map<string, RemoteHost>()

  constructor(
    private readonly cluster: DesiredCluster,
    private readonly transport: Transport,
    private readonly opts: {sshConfigFile?: string; knownHostsFile?: string; acceptNew?: boolean; connectTimeoutMs?: number; firewall?: FirewallKind; nodes?: string[]} = {},
  ) {
    this.only = selectedNodes(cluster, opts.nodes)
  }

  /** --node: the nodes to read (undefined: all) */
  private readonly only: string[] | undefined

  private async host(n: DesiredNode): Promise<RemoteHost> {
    const h = this.hosts.get(n.name)
    if (h) return h
    const c = await this.transport.connect(sshTargetFor(n, this.opts))
    this.hosts.set(n.name, c)
    return c
  }

  async observe(): Promise<NodeObservation[]> {
    const obs = await Promise.all(
      this.cluster.nodes.filter((n) => !this.only || this.only.includes(n.name)).map(async (n): Promise<NodeObservation> => {
        try {
          const h = await this.host(n)
          return {node: n.name, reachable: true, facts: await gatherFacts(h, n.name, n.scripts.map((s) => s.path), {firewall: this.opts.firewall, daemon: n.daemon})}
        } catch (e) {
          const h = this.hosts.get(n.name)
          this.hosts.delete(n.name)
          await h?.close().catch(() => undefined)
          return {node: n.name, reachable: false, error: isHalError(e) ? e.message : e instanceof Error ? e.message : String(e)}
        }
      }),
    )
    // lab nodes on one machine may share keepalived's dump directory: ask one node at a time
    for (const o of obs) {
      if (!o.facts?.keepalived.running) continue
      try {
        const routerId = this.cluster.nodes.find((n) => n.name === o.node)?.config.globalDefs?.routerId
        o.dump = await readKeepalivedData(this.hosts.get(o.node) as RemoteHost, o.node, o.facts.init, {routerId})
      } catch {
        o.dump = undefined
      }
    }
    return obs
  }

  async read(): Promise<StatusResult> {
    return analyzeStatus(this.cluster, await this.observe(), new Date(), this.only)
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close().catch(() => undefined)))
    this.hosts.clear()
  }
}
