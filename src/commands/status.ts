import {Flags} from '@oclif/core'
import type {FirewallKind} from '../host/facts.js'
import {loadCluster} from '../deploy/from-spec.js'
import {getTransport} from '../deploy/transport.js'
import {BaseCommand} from '../lib/base-command.js'
import {StatusReader, statusExitCode, type StatusResult} from '../status/status.js'

export type StatusCommandResult = StatusResult

export default class Status extends BaseCommand {
  static override summary = 'Show who holds each VIP, keepalived state and priority per node, firewall and drift from the spec.'
  static override description = `Reads every node of the spec over SSH: which node holds each VIP (ip -j addr), keepalived's state and effective priority (from its SIGUSR1 data dump, else guessed from the VIPs), whether keepalived runs, whether the VRRP firewall rule is there, and whether the config or scripts differ from the spec.
A VIP on two nodes (split brain) or on none is flagged loudly; with a node that could not be read, a VIP seen nowhere is "unknown", not "no owner". The firewall is "missing" only when the ruleset could drop VRRP.
Exit code: 0 healthy, 3 split brain, a VIP without owner or keepalived running nowhere, 4 a node could not be read (what it holds is unknown). --node NAME (repeatable) reads only those nodes. With --watch, the view refreshes until interrupted (--json: one JSON document per line).`

  static override examples = ['<%= config.bin %> status -s cluster.yaml', '<%= config.bin %> status -s cluster.yaml --json', '<%= config.bin %> status -s cluster.yaml --node lb1 --node lb2', '<%= config.bin %> status -s cluster.yaml --watch --interval 1']

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec (YAML)', required: true}),
    node: Flags.string({summary: 'read only this node (repeatable); a VIP on none of them is reported as elsewhere, not as without owner', multiple: true}),
    // -w was --watch here; it is --write in sniff (as tcpdump's -w), so it stays only as a deprecated alias
    watch: Flags.boolean({summary: 'refresh until interrupted', charAliases: ['w'], deprecateAliases: true}),
    interval: Flags.integer({summary: 'seconds between refreshes with --watch', default: 2, min: 1, max: 3600}),
    count: Flags.integer({char: 'c', summary: 'with --watch: stop after N refreshes', min: 1}),
    firewall: Flags.string({summary: 'firewall to check (default: detected, as deploy does)', options: ['firewalld', 'nftables', 'iptables', 'none']}),
    'accept-new': Flags.boolean({summary: 'accept and record unknown SSH host keys (a changed key is always refused)'}),
  }

  async run(): Promise<StatusCommandResult> {
    const {flags} = await this.parse(Status)
    const loaded = await loadCluster(flags.spec)
    const reader = new StatusReader(loaded.cluster, getTransport(), {
      sshConfigFile: loaded.sshConfigFile,
      knownHostsFile: loaded.knownHostsFile,
      acceptNew: flags['accept-new'],
      firewall: flags.firewall as FirewallKind | undefined,
      nodes: flags.node,
    })
    // ink is loaded only for a person's output
    const ui = this.jsonEnabled() ? undefined : await import('../ui/status-output.js')
    try {
      let result = await reader.read()
      if (flags.watch) {
        let live: {update: (r: StatusResult) => void; stop: () => void} | undefined
        const stop = this.abortOnSignals({signals: ['SIGINT']})
        try {
          for (let round = 1; ; round++) {
            const last = stop.signal.aborted || (flags.count !== undefined && round >= flags.count)
            // with --json the last round is the command's result, printed once by the base command
            if (this.jsonEnabled()) {
              if (!last) process.stdout.write(`${JSON.stringify(this.toSuccessJson(result))}\n`)
            } else if (process.stdout.isTTY) {
              if (live) live.update(result)
              else live = ui?.liveStatus(result)
            } else this.log(ui?.statusText(result) ?? '')
            if (last) break
            await new Promise((r) => setTimeout(r, flags.interval * 1000))
            result = await reader.read()
          }
        } finally {
          stop.release()
          live?.stop()
        }
      } else if (ui) this.log(ui.statusText(result))
      this.resultExitCode = statusExitCode(result)
      return result
    } finally {
      await reader.close()
    }
  }
}
