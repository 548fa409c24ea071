import {HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost, Transport} from '../remote/types.js'
import {describeOwner, lockNodes, newRunId, type NodeLock} from '../remote/lock.js'
import {readKeepalivedData} from '../status/keepalived-data.js'
import {applyNodePlan, type NodeObservation, type StepListener, type StepRecord} from './apply.js'
import {selectedNodes, type DesiredCluster, type DesiredNode} from '../host/desired.js'
import {gatherFacts, type FirewallKind, type NodeFacts} from '../host/facts.js'
import {sshTargetFor} from '../host/connect.js'
import {withDeadlines} from './remote-ops.js'
import {clusterVips, holdsAnyVip, planNode, rolloutOrder, type Change, type NodePlan} from './plan.js'
import {bareAddress} from '../net/address.js'

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
  /** aborted by a signal: no step starts after the current one, the node in flight is undone, the nodes not yet touched are skipped */
  signal?: AbortSignal
  /**
   * the changes shown to (and approved by) the operator, per node: applied only
   * if the nodes, read again under the lock, still plan exactly these
   */
  expectPlan?: Record<string, Change[]>
  /** called once the plan is known (before anything is changed) */
  onPlan?: (order: string[], plans: NodePlan[]) => void
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
  const wanted = selectedNodes(cluster, opts.nodes)
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
  const failPreflight = (message: string, hint: string, code = 'DEPLOY_PREFLIGHT'): DeployResult =>
    finish([], {code, message, hint, exitCode: ExitCode.Remote})
  const locks = new Map<string, NodeLock>()
  const interrupted = (): boolean => opts.signal?.aborted === true

  try {
    // 1. connect and read facts everywhere, before touching anything
    await Promise.all(
      selected.map(async (n) => {
        const rep = reports.get(n.name) as NodeReport
        try {
          const h = withDeadlines(await transport.connect(sshTargetFor(n, opts)), opts.callTimeoutMs ?? 60_000)
          hosts.set(n.name, h)
          facts.set(n.name, await gatherFacts(h, n.name, n.scripts.map((s) => s.path), {readLogging: n.logging !== undefined, firewall: opts.firewall, daemon: n.daemon}))
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
    if (interrupted()) return finish([], {code: 'DEPLOY_INTERRUPTED', message: 'interrupted before any change', hint: 'no node was changed', exitCode: ExitCode.Interrupted})

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

    // 3. one writer per node: every selected node's lock, before the first change (none when nothing changes)
    if (selected.some((n) => (plans.get(n.name) as NodePlan).changes.length > 0)) try {
      for (const l of await lockNodes(selected.map((n) => ({node: n.name, host: hosts.get(n.name) as RemoteHost})), 'deploy', newRunId())) {
        locks.set(l.node, l)
        const rep = reports.get(l.node) as NodeReport
        if (l.tookOver) rep.notes = [...(rep.notes ?? []), `took over the lock of a run that died: ${describeOwner(l.tookOver)}`]
      }
    } catch (e) {
      const err = errorOf(e, 'lock')
      const rep = reports.get(isHalError(e) && e.where ? e.where : '')
      if (rep) Object.assign(rep, {status: 'failed', error: err})
      return failPreflight(err.message, err.hint ?? 'no node was changed', isHalError(e) ? e.code : 'DEPLOY_PREFLIGHT')
    }
    if (interrupted()) return finish(order, {code: 'DEPLOY_INTERRUPTED', message: 'interrupted before any change', hint: 'no node was changed', exitCode: ExitCode.Interrupted})

    // 4. apply the plan that was made (and shown): read every node again under its lock, refuse one that changed since
    if (locks.size) {
      const moved: string[] = []
      await Promise.all(
        selected.map(async (n) => {
          const rep = reports.get(n.name) as NodeReport
          const want = opts.expectPlan?.[n.name] ?? (plans.get(n.name) as NodePlan).changes
          try {
            const f = await gatherFacts(hosts.get(n.name) as RemoteHost, n.name, n.scripts.map((x) => x.path), {readLogging: n.logging !== undefined, firewall: opts.firewall, daemon: n.daemon})
            const p = planNode(n, f)
            const diff = planDifference(want, p.changes)
            if (diff) {
              moved.push(n.name)
              Object.assign(rep, {status: 'failed', error: {code: 'PLAN_CHANGED', message: `${n.name} changed since it was planned: ${diff}`, step: 'plan'}})
            } else {
              facts.set(n.name, f)
              plans.set(n.name, p)
            }
          } catch (e) {
            moved.push(n.name)
            Object.assign(rep, {status: 'failed', error: errorOf(e, 'facts')})
          }
        }),
      )
      if (moved.length) {
        return failPreflight(
          moved.map((m) => (reports.get(m) as NodeReport).error?.message).join('; '),
          'no node was changed; run deploy again to plan from what the nodes run now',
          'PLAN_CHANGED',
        )
      }
    }

    // 5. roll out
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
          // the lock died with the old connection: take it again (refused if another run took it meanwhile)
          await locks.get(name)?.renew(h)
          return h
        },
        converge: (h) => waitConverged(h, n, expectedVips(n, cluster.nodes, live), opts.convergeTimeoutMs ?? 20_000, interrupted),
        observe: (h) => observeNode(h, n, allVips),
        verifyTimeoutMs: opts.convergeTimeoutMs ?? 20_000,
        interrupted,
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
        while (!failed && !interrupted() && queue.length) await deployOne(queue.shift() as string)
      }),
    )
    if (!failed && !interrupted() && alone && holder) await deployOne(alone)

    if (interrupted()) {
      const undone = [...reports.values()].filter((r) => r.status === 'rolled-back' || r.status === 'rollback-failed')
      const rbFailed = undone.filter((r) => r.status === 'rollback-failed')
      return finish(order, {
        code: 'DEPLOY_INTERRUPTED',
        message: `interrupted${undone.length ? `: ${undone.map((r) => `${r.node} undone (${(r.rollback ?? []).join('; ') || 'nothing had been changed'})`).join('; ')}` : ''}`,
        hint: rbFailed.length
          ? `the undo did not finish on ${rbFailed.map((r) => r.node).join(', ')}: run halctl status, then deploy again; the previous files are in ${rbFailed[0].backup ?? 'the backup directory'}`
          : 'nodes marked "deployed" run the new config, "rolled-back" ones their previous config, "skipped" ones were not touched; deploy again to finish',
        exitCode: rbFailed.length ? ExitCode.Remote : ExitCode.Interrupted,
      })
    }

    const bad = [...reports.values()].filter((r) => r.status === 'rolled-back' || r.status === 'rollback-failed')
    if (bad.length) {
      const rbFailed = bad.some((r) => r.status === 'rollback-failed')
      return finish(order, {
        code: rbFailed ? 'DEPLOY_ROLLBACK_FAILED' : 'DEPLOY_FAILED',
        message: bad.map((r) => `${r.node}: ${r.error?.step}: ${r.error?.message}`).join('; '),
        hint: rbFailed
          ? `the rollback did not finish on ${bad.filter((r) => r.status === 'rollback-failed').map((r) => r.node).join(', ')} (see each undo's result in the report); the previous files are in ${bad[0].backup ?? 'the backup directory'}: restore them, check with keepalived -t -f /etc/keepalived/keepalived.conf on the node, reload keepalived, then run halctl status`
          : [`${bad.map((r) => r.node).join(', ')} went back to the previous config; nodes marked "skipped" were not touched`, ...new Set(bad.flatMap((r) => (r.error?.hint ? [r.error.hint] : [])))].join('; '),
        exitCode: ExitCode.Remote,
      })
    }
    return finish(order)
  } finally {
    await Promise.all([...locks.values()].map((l) => l.release()))
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
    if (rivals.every((r) => prio(r) < prio(node))) out.push(...inst.virtualIpaddress.map((v) => bareAddress(v.address)))
  }
  return out
}

/** What the node runs now: keepalived's state (its data dump) and the cluster VIPs it holds. */
export async function observeNode(host: RemoteHost, node: DesiredNode, vips: string[]): Promise<NodeObservation> {
  const f = await gatherFacts(host, node.name, [], {readConfig: false, daemon: node.daemon})
  // keepalived writes its dump to a /tmp other keepalived on the machine may share: only this node's (its router_id) counts
  const dump = f.keepalived.running ? await readKeepalivedData(host, node.name, f.init, {routerId: node.config.globalDefs?.routerId}).catch(() => undefined) : undefined
  return {running: f.keepalived.running, ...(dump ? {dump} : {}), holds: vips.filter((v) => holdsAnyVip(f, [v]))}
}

/**
 * Poll until keepalived runs, holds `vips` and no instance is in FAULT (from
 * its data dump), and stays so for a settle window (a track script that fails
 * takes an interval or two to put an instance in FAULT). Bounded; returns
 * what was seen.
 */
async function waitConverged(host: RemoteHost, node: DesiredNode, vips: string[], timeoutMs: number, interrupted: () => boolean): Promise<string> {
  const deadline = Date.now() + timeoutMs
  const advert = Math.max(1, ...node.config.instances.map((i) => i.advertInt ?? 1))
  const settleMs = Math.min(timeoutMs / 2, Math.max(2000, 2 * advert * 1000))
  let last = 'no answer'
  let goodSince: number | undefined
  for (let i = 0; i < 1000 && !interrupted(); i++) {
    const o = await observeNode(host, node, vips)
    const fault = o.dump?.filter((d) => d.state === 'FAULT').map((d) => d.name) ?? []
    const holds = vips.every((v) => o.holds.includes(v))
    if (o.running && holds && fault.length === 0) {
      goodSince ??= Date.now()
      if (Date.now() - goodSince >= settleMs) return vips.length ? `running, holds ${vips.join(', ')}` : 'running'
    } else goodSince = undefined
    last = !o.running ? 'keepalived is not running' : fault.length ? `keepalived runs ${fault.join(', ')} in FAULT state (a track script or interface it tracks fails)` : `keepalived runs but does not hold ${vips.join(', ')}`
    if (Date.now() >= deadline) break
    await sleep(250)
  }
  if (interrupted()) throw new HalError('INTERRUPTED', `interrupted while waiting for ${node.name} to converge`, {exitCode: ExitCode.Interrupted})
  throw new HalError('NOT_CONVERGED', `${node.name} did not converge within ${Math.round(timeoutMs / 1000)}s: ${last}`, {
    exitCode: ExitCode.Remote,
    hint: 'check the keepalived log on the node (journalctl -u keepalived, or syslog)',
  })
}

/** What differs between the changes planned before and now ("" when none). Pure. */
export function planDifference(before: Change[], now: Change[]): string {
  const key = (c: Change): string => JSON.stringify([c.kind, c.summary, c.diff ?? ''])
  const was = new Set(before.map(key))
  const is = new Set(now.map(key))
  const gone = before.filter((c) => !is.has(key(c))).map((c) => c.summary)
  const added = now.filter((c) => !was.has(key(c))).map((c) => c.summary)
  return [...gone.map((g) => `no longer planned: ${g}`), ...added.map((a) => `${before.some((c) => c.summary === a) ? 'now different' : 'newly needed'}: ${a}`)].join('; ')
}
