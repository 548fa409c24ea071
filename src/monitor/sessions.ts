/**
 * The capture sources of `halctl monitor`, each run as `halctl sniff` runs it (runSniff with the
 * local live capture or a node's tcpdump over SSH) and restarted with backoff when it ends: an
 * SSH connection that drops, a tcpdump that dies, a node that does not answer. The time between
 * two sessions is a gap, recorded in the model (a metric, and shown on the page).
 *
 * Exports: `MonitorSource`, `localSource(iface)`, `nodeSource(specPath, node)`,
 * `backoffMs(attempt)`, `runSessions(source, hooks, signal)`.
 */
import {liveSource, remoteSource, type PacketSource} from '../capture/sources.js'
import type {Finding} from '../sniff/findings.js'
import {connectSpecNode} from '../sniff/remote-node.js'
import {runSniff} from '../sniff/service.js'
import type {FindingEvent, SniffTracker} from '../sniff/tracker.js'
import {readKeepalivedData, type DumpedInstance} from '../status/keepalived-data.js'

export interface MonitorSource {
  /** shown in metrics (label `source`) and on the page: IFACE, or NODE:IFACE */
  name: string
  /** the spec's node name (remote sources) */
  node?: string
  open(): Promise<{source: PacketSource; close(): Promise<void>; keepalived?: () => Promise<DumpedInstance[] | undefined>}>
}

export function localSource(iface: string): MonitorSource {
  return {name: iface, open: async () => ({source: liveSource(iface), close: async () => undefined})}
}

/**
 * a node of a spec: tcpdump over SSH, and keepalived's own view through the same connection
 * (its SIGUSR1 data dump, read as `halctl status` reads it: the keepalived of the pid file halctl
 * deploys, else the system's; only a dump whose router_id is the spec's for this node)
 */
export function nodeSource(specPath: string, node: string, iface: string, routerId?: string): MonitorSource {
  return {
    name: `${node}:${iface}`,
    node,
    async open() {
      const c = await connectSpecNode(specPath, node, iface)
      const keepalived = async () => (await readKeepalivedData(c.host, node, 'none', {routerId})) ?? (await readKeepalivedData(c.host, node, 'systemd', {routerId}))
      return {source: remoteSource(c.host, c.iface), close: c.close, keepalived}
    },
  }
}

/** wait before restart number `attempt` (0-based): 1 s doubling up to 30 s */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt))
}

/** a session that lasted this long resets the backoff */
const STABLE_MS = 30_000
/** findings kept after they are over, per session (the monitor stays bounded) */
const MAX_DONE_FINDINGS = 200

export interface SessionHooks {
  up(now: number): void
  down(now: number, error: string | null): void
  finding(event: FindingEvent, f: Finding): void
  update(tracker: SniffTracker): void
  /** keepalived's own view of the node (undefined: not readable), every keepalivedMs */
  keepalived?(instances: DumpedInstance[] | undefined, now: number): void
  keepalivedMs?: number
  /** test hook: the delay before a restart (default backoffMs) */
  backoff?: (attempt: number) => number
}

/** run sessions of one source until the signal fires */
export async function runSessions(src: MonitorSource, hooks: SessionHooks, signal: AbortSignal): Promise<void> {
  let attempt = 0
  while (!signal.aborted) {
    const started = Date.now()
    let error: string | null = null
    let wasUp = false
    let close: (() => Promise<void>) | undefined
    let poller: NodeJS.Timeout | undefined
    try {
      const opened = await src.open()
      close = opened.close
      const read = opened.keepalived
      if (read && hooks.keepalived && hooks.keepalivedMs) {
        let busy = false
        const poll = () => {
          if (busy) return
          busy = true
          read()
            .catch(() => undefined)
            .then((v) => !signal.aborted && hooks.keepalived!(v, Date.now()))
            .finally(() => (busy = false))
        }
        poll()
        poller = setInterval(poll, hooks.keepalivedMs)
      }
      await runSniff({
        source: opened.source,
        output: 'none',
        write: () => undefined,
        signal,
        maxDoneFindings: MAX_DONE_FINDINGS,
        onReady: () => {
          wasUp = true
          hooks.up(Date.now())
        },
        onFinding: (event, f) => hooks.finding(event, f),
        onUpdate: (t) => hooks.update(t),
      })
      if (!signal.aborted) error = 'capture ended'
    } catch (e) {
      error = e instanceof Error ? e.message : String(e)
    } finally {
      clearInterval(poller)
      await close?.().catch(() => undefined)
    }
    if (signal.aborted) {
      if (wasUp) hooks.down(Date.now(), null)
      return
    }
    hooks.down(Date.now(), error)
    if (wasUp && Date.now() - started >= STABLE_MS) attempt = 0
    await sleep((hooks.backoff ?? backoffMs)(attempt++), signal)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, {once: true})
  })
}
