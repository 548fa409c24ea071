import {HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost, SshTarget, Transport} from '../remote/types.js'
import {applyNodePlan, type StepListener, type StepRecord} from './apply.js'
import type {DesiredCluster, DesiredNode} from './desired.js'
import {gatherFacts, type FirewallKind, type NodeFacts} from './facts.js'
import {withDeadlines} from './remote-ops.js'
import {clusterVips, holdsAnyVip, planNode, rolloutOrder, type Change, type NodePlan} from './plan.js'

export type NodeStatus = 'planned' | 'unchanged' | 'deployed' | 'failed' | 'rolled-back' | 'rollback-failed' | 'skipped'

export interface NodeReport {
  node: string
  status: NodeStatus
  changes: Change[]
  steps: StepRecord[]
  /** where the previous /etc/keepalived was copied */
  backup?: string
  error?: {code: string; message: string; hint?: string; step: string}
  rollback?: string[]
  /** what the operator should know beyond the changes (e.g. new keepalived args wait for its next start) */
  notes?: string[]
}

export interface DeployResult {
  cluster: string
  dryRun: boolean
  ok: boolean
  /** number of changes planned (dry run) or applied */
  changes: number
  /** the order nodes were (or would be) deployed in */
  order: string[]
  nodes: NodeReport[]
  durationMs: number
  error?: {code: string; message: string; hint?: string; exitCode: number}
}

export interface DeployOptions {
  /** deploy only these nodes (by name) */
  nodes?: string[]
  dryRun?: boolean
  /** how many nodes to deploy at once (the current master always goes last, alone) */
  parallel?: number
  sshConfigFile?: string
  knownHostsFile?: string
  acceptNew?: boolean
  /** use this firewall instead of the detected one (a host with both nft and iptables-legacy rules) */
  firewall?: FirewallKind
  /** bound on the wait for a node to converge after its service step */
  convergeTimeoutMs?: number
  connectTimeoutMs?: number
  /** bound on one remote call (file read/write; exec gets its own timeout plus a margin) */
  callTimeoutMs?: number
  /** clock for the backup timestamp */
  now?: () => Date
  onStep?: StepListener
  /** called once the plan is known (before anything is changed) */
  onPlan?: (order: string[], plans: NodePlan[]) => void
}

export function sshTargetFor(node: DesiredNode, opts: DeployOptions): SshTarget {
  return {
    name: node.name,
    host: node.ssh.host,
    port: node.ssh.port,
    user: node.ssh.user,
    identityFile: node.ssh.identityFile,
    sshConfigFile: opts.sshConfigFile,
    knownHostsFile: opts.knownHostsFile,
    acceptNew: opts.acceptNew,
    readyTimeoutMs: opts.connectTimeoutMs ?? 10_000,
  }
}

export function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

const errorOf = (e: unknown, step: string): NonNullable<NodeReport['error']> =>
  isHalError(e) ? {code: e.code, message: e.message, hint: e.hint, step} : {code: 'REMOTE_ERROR', message: e instanceof Error ? e.message : String(e), step}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Push a rendered cluster to its nodes: connect, read facts, plan (nothing is
 * touched until every selected node is reachable and fit), then roll out
 * backups first and the current master last, each node converged before the
 * next. A failure stops the rollout: the failing node is rolled back, nodes not
 * yet touched are left alone, and the result says what happened per node.
 * (On a fresh cluster, with no VIP holder yet, the intended master goes first.)
 */
export async function deployCluster(cluster: DesiredCluster, transport: Transport, opts: DeployOptions = {}): Promise<DeployResult> {
  const t0 = Date.now()
  const wanted = opts.nodes?.length ? opts.nodes : undefined
  for (const n of wanted ?? []) {
    if (!cluster.nodes.some((x) => x.name === n)) {
      throw new HalError('UNKNOWN_NODE', `node ${n} is not in the spec (nodes: ${cluster.nodes.map((x) => x.name).join(', ')})`, {hint: 'use --node with a name from the spec'})
    }
  }
  const selected = cluster.nodes.filter((n) => !wanted || wanted.includes(n.name))
  const reports = new Map<string, NodeReport>(selected.map((n) => [n.name, {node: n.name, status: 'skipped', changes: [], steps: []}]))
  const hosts = new Map<string, RemoteHost>()
  const facts = new Map<string, NodeFacts>()
  const finish = (order: string[], error?: DeployResult['error']): DeployResult => {
    const nodes = selected.map((n) => reports.get(n.name) as NodeReport)
    // outside a dry run, a node still "planned" at the end was never touched
    if (!opts.dryRun) for (const r of nodes) if (r.status === 'planned') r.status = 'skipped'
    const ok = !error && nodes.every((r) => ['planned', 'unchanged', 'deployed'].includes(r.status))
    const counted = opts.dryRun ? nodes : nodes.filter((r) => r.status === 'deployed')
    const changes = counted.reduce((a, r) => a + r.changes.length, 0)
    return {cluster: cluster.cluster, dryRun: Boolean(opts.dryRun), ok, changes, order, nodes, durationMs: Date.now() - t0, error}
  }
  const failPreflight = (message: string, hint: string): DeployResult =>
    finish([], {code: 'DEPLOY_PREFLIGHT', message, hint, exitCode: ExitCode.Remote})

  try {
    // 1. connect and read facts everywhere, before touching anything
    await Promise.all(
      selected.map(async (n) => {
        const rep = reports.get(n.name) as NodeReport
        try {
          const h = withDeadlines(await transport.connect(sshTargetFor(n, opts)), opts.callTimeoutMs ?? 60_000)
          hosts.set(n.name, h)
          facts.set(n.name, await gatherFacts(h, n.name, n.scripts.map((s) => s.path), {readLogging: n.logging !== undefined, firewall: opts.firewall}))
        } catch (e) {
          rep.status = 'failed'
          rep.error = errorOf(e, hosts.has(n.name) ? 'facts' : 'connect')
        }
      }),
    )
    const unreachable = [...reports.values()].filter((r) => r.status === 'failed')
    if (unreachable.length) {
      return failPreflight(
        `cannot read ${unreachable.map((r) => r.node).join(', ')}: ${unreachable.map((r) => r.error?.message).join('; ')}`,
        'no node was changed; fix SSH access (halctl deploy needs every selected node) or deploy the others with --node',
      )
    }

    // 2. plan
    const plans = new Map(selected.map((n) => [n.name, planNode(n, facts.get(n.name) as NodeFacts)]))
    for (const [name, p] of plans) {
      const rep = reports.get(name) as NodeReport
      rep.changes = p.changes
      if (p.notes.length) rep.notes = p.notes
      rep.status = p.changes.length ? 'planned' : 'unchanged'
      if (p.problems.length) {
        rep.status = 'failed'
        rep.error = {code: 'NODE_UNFIT', message: p.problems.join('; '), step: 'plan'}
      }
    }
    const unfit = [...reports.values()].filter((r) => r.status === 'failed')
    const allVips = [...clusterVips(cluster).values()].flat()
    const {order, holder} = rolloutOrder(selected, facts, allVips)
    opts.onPlan?.(order, order.map((n) => plans.get(n) as NodePlan))
    if (unfit.length) {
      return failPreflight(
        unfit.map((r) => `${r.node}: ${r.error?.message}`).join('; '),
        'no node was changed; make the spec match the nodes (interface, address) or fix the nodes',
      )
    }
    if (opts.dryRun) return finish(order)

    // 3. roll out
    const stamp = timestamp((opts.now ?? (() => new Date()))())
    // nodes left out with --node are unknown: count them as running, so nobody waits for a VIP they may keep
    const live = new Set([
      ...selected.filter((n) => facts.get(n.name)?.keepalived.running).map((n) => n.name),
      ...cluster.nodes.filter((n) => !selected.includes(n)).map((n) => n.name),
    ])
    const todo = order.filter((n) => (plans.get(n) as NodePlan).changes.length > 0)
    // the node that holds the VIPs goes alone and last; on a fresh cluster the intended master goes alone and first
    const alone = todo.length > 1 ? (holder ? (todo[todo.length - 1] === holder ? holder : undefined) : todo[0]) : undefined
    const wave = todo.filter((n) => n !== alone)
    let failed = false

    const deployOne = async (name: string): Promise<void> => {
      const n = selected.find((x) => x.name === name) as DesiredNode
      const rep = reports.get(name) as NodeReport
      live.add(name)
      const out = await applyNodePlan({
        node: n,
        plan: plans.get(name) as NodePlan,
        facts: facts.get(name) as NodeFacts,
        stamp,
        host: hosts.get(name) as RemoteHost,
        reconnect: async () => {
          await hosts.get(name)?.close()
          const h = withDeadlines(await transport.connect(sshTargetFor(n, opts)), opts.callTimeoutMs ?? 60_000)
          hosts.set(name, h)
          return h
        },
        converge: (h) => waitConverged(h, n, expectedVips(n, cluster.nodes, live), opts.convergeTimeoutMs ?? 20_000),
        onStep: opts.onStep,
      })
      rep.steps = out.steps
      rep.backup = out.backup
      rep.status = out.status
      rep.error = out.error
      rep.rollback = out.rollback
      if (out.status !== 'deployed') {
        failed = true
        if (!facts.get(name)?.keepalived.running) live.delete(name)
      }
    }

    const parallel = Math.max(1, opts.parallel ?? 1)
    if (alone && !holder) await deployOne(alone)
    const queue = [...wave]
    await Promise.all(
      Array.from({length: Math.min(parallel, queue.length)}, async () => {
        while (!failed && queue.length) await deployOne(queue.shift() as string)
      }),
    )
    if (!failed && alone && holder) await deployOne(alone)

    const bad = [...reports.values()].filter((r) => r.status === 'rolled-back' || r.status === 'rollback-failed')
    if (bad.length) {
      const rbFailed = bad.some((r) => r.status === 'rollback-failed')
      return finish(order, {
        code: rbFailed ? 'DEPLOY_ROLLBACK_FAILED' : 'DEPLOY_FAILED',
        message: bad.map((r) => `${r.node}: ${r.error?.step}: ${r.error?.message}`).join('; '),
        hint: rbFailed
          ? `the rollback did not finish on ${bad.filter((r) => r.status === 'rollback-failed').map((r) => r.node).join(', ')}; the previous files are in ${bad[0].backup ?? 'the backup directory'}`
          : `${bad.map((r) => r.node).join(', ')} went back to the previous config; nodes marked "skipped" were not touched`,
        exitCode: ExitCode.Remote,
      })
    }
    return finish(order)
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)))
  }
}

/**
 * VIPs a node should hold once it runs the new config: those of instances
 * (with preemption) where it has the highest priority among the nodes running
 * keepalived by then.
 */
export function expectedVips(node: DesiredNode, nodes: DesiredNode[], live: Set<string>): string[] {
  const out: string[] = []
  for (const inst of node.config.instances) {
    if (inst.nopreempt) continue
    const prio = (n: DesiredNode): number => n.config.instances.find((i) => i.name === inst.name)?.priority ?? 0
    const rivals = nodes.filter((n) => n.name !== node.name && live.has(n.name))
    if (rivals.every((r) => prio(r) < prio(node))) out.push(...inst.virtualIpaddress.map((v) => v.address.split('/')[0]))
  }
  return out
}

/** Poll facts until keepalived runs and holds `vips` (bounded); returns what was seen. */
async function waitConverged(host: RemoteHost, node: DesiredNode, vips: string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  for (let i = 0; i < 1000; i++) {
    const f = await gatherFacts(host, node.name, [], {readConfig: false})
    const holds = vips.length === 0 || vips.every((v) => holdsAnyVip(f, [v]))
    if (f.keepalived.running && holds) return vips.length ? `running, holds ${vips.join(', ')}` : 'running'
    last = !f.keepalived.running ? 'keepalived is not running' : `keepalived runs but does not hold ${vips.join(', ')}`
    if (Date.now() >= deadline) break
    await sleep(250)
  }
  throw new HalError('NOT_CONVERGED', `${node.name} did not converge within ${Math.round(timeoutMs / 1000)}s: ${last}`, {
    exitCode: ExitCode.Remote,
    hint: 'check the keepalived log on the node (journalctl -u keepalived, or syslog)',
  })
}
