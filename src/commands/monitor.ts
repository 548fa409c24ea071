import {Flags} from '@oclif/core'
import {BaseCommand} from '../lib/base-command.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {parseListen} from '../monitor/server.js'
import {localSource, runMonitor, specSources, type LogLevel, type MonitorSummary} from '../monitor/service.js'
import type {MonitorSource} from '../monitor/sessions.js'
import type {InstanceInfo} from '../monitor/model.js'

export type MonitorResult = MonitorSummary

export default class Monitor extends BaseCommand {
  static override summary = 'Watch clusters all the time: VRRP from the wire (each node over SSH, or a local interface), Prometheus /metrics, alerts, and a live page.'
  static override description = `Runs until SIGTERM or Ctrl-C. Sources: each node of every spec (-s, repeatable) over SSH, where tcpdump captures VRRP on its interface (as \`halctl sniff --node\`: the only way to see unicast), and/or a local interface (-i, needs root: passive, everything VRRP on the segment). keepalived's own view of each node (state, base and effective priority per instance) is read through the same SSH connection from its data dump, as \`halctl status\` reads it, every --keepalived-interval seconds. A source that ends (SSH lost, tcpdump gone) is restarted with backoff (1 s doubling to 30 s); the gap is a metric and shown on the page.
On --listen (default 127.0.0.1:9650): /metrics (Prometheus text format; every metric is listed in the README), / (live page: who holds each VIP, routers, findings, a timeline of the last hour, updated by server-sent events from /events), /api/state (the same as JSON), /healthz.
Alerts: every finding of \`halctl sniff\` (split brain, master silent, takeover, mismatches, ...) deduplicated across sources: a lasting one fires once and resolves once, a one-shot one (takeover) is one event. --on-finding runs a command with the alert as JSON on stdin; --webhook POSTs it.
Logs: text on stderr, or one JSON object per line on stdout with --json (then the summary at exit).`

  static override examples = [
    '<%= config.bin %> monitor -s cluster.yaml',
    '<%= config.bin %> monitor -s web.yaml -s db.yaml --listen 0.0.0.0:9650 --json',
    'sudo <%= config.bin %> monitor -i eth0',
    "<%= config.bin %> monitor -s cluster.yaml --on-finding 'logger -t halctl' --webhook https://hooks.example/alert",
  ]

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec: capture on each of its nodes over SSH (repeatable)', multiple: true}),
    interface: Flags.string({char: 'i', summary: 'also capture on this local interface (root or CAP_NET_RAW)'}),
    listen: Flags.string({summary: 'HOST:PORT of /metrics and the page', default: '127.0.0.1:9650'}),
    'on-finding': Flags.string({summary: 'run this shell command per alert event, the event as JSON on stdin'}),
    webhook: Flags.string({summary: 'POST each alert event as JSON to this URL'}),
    'keepalived-interval': Flags.integer({summary: "read keepalived's own view on each node (its data dump) every this many seconds; 0: never", default: 10, min: 0}),
  }

  protected override logJson(json: unknown): void {
    // NDJSON: the summary is one line like the log records before it
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<MonitorResult> {
    const {flags} = await this.parse(Monitor)
    const json = this.jsonEnabled()
    const listen = parseListen(flags.listen)
    if (flags.webhook !== undefined && !/^https?:\/\//.test(flags.webhook)) {
      throw new HalError('BAD_FLAG', '--webhook: not an http:// or https:// URL', {hint: 'e.g. --webhook https://hooks.example/alert', exitCode: ExitCode.BadInput})
    }
    const sources: MonitorSource[] = []
    let instances: InstanceInfo[] = []
    let title = 'halctl monitor'
    if (flags.spec?.length) {
      const s = await specSources(flags.spec)
      sources.splice(0, sources.length, ...s.sources)
      instances = s.instances
      title = s.title
    }
    if (flags.interface) sources.push(localSource(flags.interface))
    if (sources.length === 0) {
      throw new HalError('MONITOR_NO_SOURCE', 'nothing to watch: give -s SPEC (repeatable) and/or -i IFACE', {hint: 'e.g. halctl monitor -s cluster.yaml', exitCode: ExitCode.BadInput})
    }
    const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
      if (json) process.stdout.write(`${JSON.stringify({type: 'log', time: new Date().toISOString(), level, message, ...fields})}\n`)
      else process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`)
    }
    const ac = new AbortController()
    const stop = () => ac.abort()
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    try {
      return await runMonitor({sources, instances, title, listen, onFinding: flags['on-finding'], webhook: flags.webhook, signal: ac.signal, log, keepalivedMs: flags['keepalived-interval'] * 1000})
    } finally {
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
    }
  }
}
