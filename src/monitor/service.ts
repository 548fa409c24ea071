/**
 * `halctl monitor` as a service: runs the capture sources (each node of every spec over SSH,
 * and/or a local interface) until the signal fires, feeds the model, serves /metrics, the page
 * and its events, and sends deduplicated alerts. Logs go to `log` (text or NDJSON by the caller).
 *
 * Exports: `MonitorOptions`, `MonitorSummary` (the --json result at exit), `runMonitor(opts)`,
 * `specSources(paths)` (the sources and instance names of cluster specs).
 */
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {alertSinks} from './alert-sinks.js'
import type {AlertEvent} from './alerts.js'
import {MonitorMetrics} from './metrics.js'
import {MonitorModel, type InstanceInfo, type SourceHealth} from './model.js'
import {monitorPageHtml} from './page.js'
import {startServer, type Listen} from './server.js'
import {localSource, nodeSource, runSessions, type MonitorSource} from './sessions.js'

export type LogLevel = 'info' | 'warn' | 'error'
export type MonitorLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void

export interface MonitorOptions {
  sources: MonitorSource[]
  instances?: InstanceInfo[]
  listen: Listen
  onFinding?: string
  webhook?: string
  signal: AbortSignal
  log: MonitorLog
  /** called once the listener is up, with its host:port */
  onListening?: (address: string) => void
  /** how often the page gets the state (default 250 ms) */
  pushMs?: number
  /** after a source reconnects: how long it has to report a finding again before it resolves (default 10 s) */
  sweepMs?: number
  title?: string
  /** how often keepalived's own view is read on each node (0: never; default 10 s) */
  keepalivedMs?: number
}

export interface MonitorSummary {
  type: 'summary'
  listen: string
  uptimeSeconds: number
  sources: SourceHealth[]
  /** alert events sent (firing, resolved, event) */
  alerts: number
  /** findings still firing at exit */
  firing: Array<{key: string; code: string; vrid: number | null; sources: string[]}>
}

/** the capture sources (each node over SSH, on its VRRP interface) and instances of cluster specs */
export async function specSources(paths: string[]): Promise<{sources: MonitorSource[]; instances: InstanceInfo[]; title: string}> {
  const {loadSpec, renderCluster, assignVrids} = await import('../spec/index.js')
  const sources: MonitorSource[] = []
  const instances: InstanceInfo[] = []
  const names: string[] = []
  for (const p of paths) {
    const spec = await loadSpec(p)
    names.push(spec.cluster)
    const vrids = assignVrids(spec)
    for (const i of spec.instances) instances.push({cluster: spec.cluster, name: i.name, vrid: vrids.get(i.name)!, vips: i.vips.map((v) => (typeof v === 'string' ? v : v.address).split('/')[0])})
    for (const n of renderCluster(spec).nodes) sources.push(nodeSource(p, n.name, n.interface, n.config.globalDefs?.routerId))
  }
  const seen = new Set<string>()
  for (const s of sources) {
    if (seen.has(s.name)) throw new HalError('MONITOR_DUPLICATE_NODE', `node ${s.name} is in more than one spec`, {hint: 'give each spec its own node names', exitCode: ExitCode.BadInput})
    seen.add(s.name)
  }
  return {sources, instances, title: `halctl monitor: ${names.join(', ')}`}
}

export {localSource}

export async function runMonitor(opts: MonitorOptions): Promise<MonitorSummary> {
  const started = Date.now()
  const model = new MonitorModel({instances: opts.instances})
  const metrics = new MonitorMetrics(model)
  const sinks = alertSinks({command: opts.onFinding, webhook: opts.webhook, log: opts.log})
  let alertCount = 0
  const server = await startServer({
    listen: opts.listen,
    page: monitorPageHtml(opts.title ?? 'halctl monitor'),
    state: () => model.state(Date.now()),
    metrics: async () => ({body: await metrics.render(), contentType: metrics.contentType}),
  })
  opts.log('info', `listening on http://${server.address}/ (metrics: /metrics)`, {listen: server.address})
  opts.onListening?.(server.address)

  const emit = (alerts: AlertEvent[]) => {
    for (const a of alerts) {
      alertCount++
      metrics.observe(a)
      opts.log(a.status === 'firing' && a.finding.severity === 'error' ? 'error' : 'info', `${a.status}: ${a.finding.code}${a.finding.vrid === null ? '' : ` (VRID ${a.finding.vrid})`}: ${a.finding.message}`, {alert: a})
      sinks.send(a)
    }
    if (alerts.length) server.push()
  }
  const timers = new Set<NodeJS.Timeout>()
  const pusher = setInterval(() => server.push(), opts.pushMs ?? 250)
  for (const s of opts.sources) model.addSource(s.name, started)
  const loops = opts.sources.map((src) =>
    runSessions(
      src,
      {
        up(now) {
          model.sourceUp(src.name, now)
          opts.log('info', `source ${src.name} up`, {source: src.name, up: true})
          const t = setTimeout(() => {
            timers.delete(t)
            emit(model.sweep(src.name, Date.now()))
          }, opts.sweepMs ?? 10_000)
          timers.add(t)
          server.push()
        },
        down(now, error) {
          model.sourceDown(src.name, now, error, opts.signal.aborted)
          if (error) opts.log('warn', `source ${src.name} down: ${error}`, {source: src.name, up: false, error})
          server.push()
        },
        finding(event, f) {
          emit(model.finding(src.name, event, f, Date.now()))
        },
        update(tracker) {
          model.view(src.name, tracker.vrids(), tracker.findings(), Date.now())
        },
        keepalived(instances, now) {
          if (src.node) model.keepalivedView(src.name, src.node, instances, now)
        },
        keepalivedMs: opts.keepalivedMs ?? 10_000,
      },
      opts.signal,
    ),
  )
  await Promise.all(loops)
  clearInterval(pusher)
  for (const t of timers) clearTimeout(t)
  await sinks.drain()
  await server.close()
  const now = Date.now()
  opts.log('info', 'stopped', {})
  return {
    type: 'summary',
    listen: server.address,
    uptimeSeconds: Math.round((now - started) / 100) / 10,
    sources: model.sources(now),
    alerts: alertCount,
    firing: model.firing().map((f) => ({key: f.key, code: f.finding.code, vrid: f.finding.vrid, sources: f.sources})),
  }
}
