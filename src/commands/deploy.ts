import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'
import {deployCluster, type DeployOptions, type DeployResult} from '../deploy/deploy.js'
import {loadCluster} from '../deploy/from-spec.js'
import type {NodePlan} from '../deploy/plan.js'
import {getTransport} from '../deploy/transport.js'
import {BaseCommand} from '../lib/base-command.js'
import {formatHalError, HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {NodeProgress} from '../ui/deploy-view.js'

export type DeployCommandResult = DeployResult

export default class Deploy extends BaseCommand {
  static override summary = 'Push a cluster spec to its nodes over SSH: install, back up, validate on target, firewall, sysctl, start or reload.'
  static override description = `Reads facts from every node first (OS, package manager, init system, firewall, keepalived, interfaces, current files) and plans per node; nothing is touched unless every selected node is reachable and has the spec's interface and address.
Then, node by node (backups first, the current master last, each converged before the next): install keepalived when missing, back up /etc/keepalived, upload the new config and scripts to a staging directory, run keepalived -t on the node, and only then move them into place atomically; open the firewall for VRRP (protocol 112, and 51 with AH) with firewalld, nftables or iptables; set the sysctls the config needs; start keepalived, or reload it when it runs (never a restart).
The plan shown (--dry-run, the confirmation prompt) is the plan applied: every node is locked (one writer per node) and read again first, and a node that changed since is refused. A failure, SIGINT, SIGTERM or SIGHUP stops the rollout after the current step: the node in flight gets its previous files back, then keepalived is brought to the state they describe, and the result is verified from keepalived's own data dump; the nodes not yet touched are left alone. A second run of the same deploy makes 0 changes.
Exit code: 0 deployed (or nothing to do), 2 bad spec or flags, 4 a node failed (see the per-node report) or is locked by another run, 5 no SSH transport, 130 interrupted (the node in flight was undone).`

  static override examples = [
    '<%= config.bin %> deploy -s cluster.yaml --dry-run',
    '<%= config.bin %> deploy -s cluster.yaml --yes',
    '<%= config.bin %> deploy -s cluster.yaml --node lb2 --json',
    '<%= config.bin %> deploy -s lab.yaml --parallel 4 --yes',
  ]

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec (YAML)', required: true}),
    node: Flags.string({summary: 'deploy only this node (repeatable)', multiple: true}),
    'dry-run': Flags.boolean({summary: 'print the plan with unified diffs and exit without changing anything'}),
    yes: Flags.boolean({char: 'y', summary: 'do not ask for confirmation on a terminal'}),
    parallel: Flags.integer({summary: 'deploy up to K backup nodes at once (the current master always goes last, alone)', default: 1, min: 1, max: 64}),
    'accept-new': Flags.boolean({summary: 'accept and record unknown SSH host keys (a changed key is always refused)'}),
    firewall: Flags.string({summary: 'firewall to open VRRP in (default: detected: firewalld if running, else nftables, else iptables)', options: ['firewalld', 'nftables', 'iptables', 'none']}),
    'converge-timeout': Flags.integer({summary: 'seconds to wait for each node to converge', default: 20, min: 1, max: 600}),
  }

  async run(): Promise<DeployCommandResult> {
    const {flags} = await this.parse(Deploy)
    const loaded = await loadCluster(flags.spec)
    const transport = getTransport()
    const interactive = !this.jsonEnabled() && Boolean(process.stdout.isTTY)
    // ink is loaded only for a person's output
    const ui = this.jsonEnabled() ? undefined : await import('../ui/deploy-output.js')
    const rows: NodeProgress[] = []
    let live: {update: () => void; stop: () => void} | undefined
    const common: DeployOptions = {
      nodes: flags.node,
      parallel: flags.parallel,
      sshConfigFile: loaded.sshConfigFile,
      knownHostsFile: loaded.knownHostsFile,
      acceptNew: flags['accept-new'],
      firewall: flags.firewall as DeployOptions['firewall'],
      convergeTimeoutMs: flags['converge-timeout'] * 1000,
    }

    // SIGINT, SIGTERM and a lost terminal (SIGHUP): stop after the current step, undo the node in flight
    const stop = new AbortController()
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      live?.stop()
      live = undefined
      // on stderr also with --json (stdout keeps the one JSON document)
      if (signals === 1) {
        stop.abort(sig)
        process.stderr.write(`${sig}: stopping after the current step, then undoing the node in flight (nodes not yet touched stay as they are)\n`)
      } else process.stderr.write(`${sig}: still undoing; halctl exits once the node in flight runs what it ran before\n`)
    }
    const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
    for (const sig of sigs) process.on(sig, onSignal)
    try {
      // confirmation on a terminal: show the plan, ask, then apply that plan (refused on a node that changed since)
      let expectPlan: DeployOptions['expectPlan']
      if (interactive && !flags.yes && !flags['dry-run']) {
        const plan = await deployCluster(loaded.cluster, transport, {...common, dryRun: true, signal: stop.signal})
        this.log(ui?.planText(plan) ?? '')
        if (!plan.ok || plan.changes === 0 || stop.signal.aborted) return this.finish(plan)
        const rl = createInterface({input: process.stdin, output: process.stdout})
        rl.on('SIGINT', () => onSignal('SIGINT'))
        const answer = await rl.question(`apply ${plan.changes} change(s) to ${plan.nodes.filter((n) => n.changes.length).length} node(s)? [y/N] `, {signal: stop.signal}).catch(() => '')
        rl.close()
        if (!/^y(es)?$/i.test(answer.trim())) throw new HalError('ABORTED', 'nothing was changed', {exitCode: ExitCode.Interrupted})
        expectPlan = Object.fromEntries(plan.nodes.map((n) => [n.node, n.changes]))
      }

      const result = await deployCluster(loaded.cluster, transport, {
        ...common,
        dryRun: flags['dry-run'],
        signal: stop.signal,
        expectPlan,
        onPlan: (order: string[], _plans: NodePlan[]) => {
          rows.push(...order.map((node): NodeProgress => ({node, state: 'waiting'})))
          if (interactive && !flags['dry-run'] && !stop.signal.aborted) live = ui?.liveProgress(rows)
        },
        onStep: (node, step, state, detail) => {
          const r = rows.find((x) => x.node === node)
          if (r) Object.assign(r, {step, state, detail})
          live?.update()
        },
      })
      live?.stop()
      if (ui) {
        if (result.dryRun) this.log(ui.planText(result))
        this.log(ui.tableText(result))
      }
      return this.finish(result)
    } finally {
      for (const sig of sigs) process.removeListener(sig, onSignal)
    }
  }

  private finish(result: DeployResult): DeployResult {
    if (result.error) {
      this.resultExitCode = result.error.exitCode
      if (!this.jsonEnabled()) {
        this.logToStderr(formatHalError(new HalError(result.error.code, result.error.message, {hint: result.error.hint})))
      }
    }
    return result
  }
}
