/**
 * Observers of a failover round, each turning what it sees into timeline
 * events: VRRP adverts (remote capture), VIP additions/removals (`ip monitor
 * address` on every node) and client probes through the VIP.
 */
import {request} from 'node:http'
import {connect} from 'node:net'
import {parseFrame} from '../capture/frame.js'
import {remoteSource} from '../capture/sources.js'
import type {RemoteHost, StreamHandle} from '../remote/types.js'
import type {Finding} from '../sniff/findings.js'
import {SniffTracker} from '../sniff/tracker.js'
import type {TimelineEvent} from './timeline.js'
import {bareKey as bare} from '../net/address.js'

/** Wall-clock milliseconds with sub-millisecond resolution. */
export const nowMs = (): number => performance.timeOrigin + performance.now()

/** One line of `ip -o monitor address` -> an address event, when it is one. */
export function parseMonitorLine(line: string): {present: boolean; iface: string; address: string} | undefined {
  const m = /^(Deleted\s+)?\d+:\s+(\S+)\s+inet6?\s+([0-9a-fA-F.:]+)(?:\/\d+)?/.exec(line.trim())
  if (!m) return undefined
  return {present: !m[1], iface: m[2], address: m[3].toLowerCase()}
}

/** Watch a node's addresses; VIP changes become `vip` events stamped on arrival. */
export async function watchAddresses(host: RemoteHost, node: string, vips: string[], emit: (e: TimelineEvent) => void): Promise<StreamHandle> {
  const wanted = new Set(vips.map(bare))
  let rest = ''
  return host.stream(['ip', '-o', 'monitor', 'address'], (chunk) => {
    const t = nowMs()
    const lines = (rest + chunk.toString('utf8')).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) {
      const ev = parseMonitorLine(l)
      if (ev && wanted.has(ev.address)) emit({t, kind: 'vip', node, address: ev.address, present: ev.present})
    }
  })
}

/** Which of the VIPs a node holds now (`ip -j addr`). */
export async function heldVips(host: RemoteHost, vips: string[]): Promise<string[]> {
  const r = await host.exec(['ip', '-j', 'addr', 'show'])
  if (r.code !== 0) throw new Error(`ip addr failed on ${host.name}: ${r.stderr.trim()}`)
  const have = new Set<string>()
  for (const link of JSON.parse(r.stdout) as Array<{addr_info?: Array<{local?: string}>}>) {
    for (const a of link.addr_info ?? []) if (a.local) have.add(a.local.toLowerCase())
  }
  return vips.map(bare).filter((v) => have.has(v))
}

/**
 * Offset of a node's clock from ours (remote - local, ms); capture timestamps
 * are shifted by it. Five `date` round trips, the tightest one counts; an
 * offset smaller than that round trip's half cannot be told from zero, and
 * is taken as zero (same clock, or synchronised ones).
 */
export async function clockOffsetMs(host: RemoteHost, samples = 5): Promise<number> {
  let best: {rtt: number; offset: number} | undefined
  for (let i = 0; i < samples; i++) {
    const t0 = nowMs()
    const r = await host.exec(['date', '+%s.%N'])
    const t1 = nowMs()
    const remote = Number(r.stdout.trim()) * 1000
    if (!Number.isFinite(remote)) continue
    const s = {rtt: t1 - t0, offset: remote - (t0 + t1) / 2}
    if (!best || s.rtt < best.rtt) best = s
  }
  if (!best || Math.abs(best.offset) <= best.rtt / 2) return 0
  return best.offset
}

export interface AdvertCapture {
  stop(): Promise<void>
  findings(): Finding[]
  /** adverts decoded so far */
  count(): number
}

/**
 * Capture VRRP on a node over SSH (tcpdump -U -w -), decode it with the sniff
 * codec, emit `advert` events (on our clock) and keep sniff's findings.
 */
export function captureAdverts(
  host: RemoteHost,
  iface: string,
  nodeByAddress: Map<string, string>,
  offsetMs: number,
  emit: (e: TimelineEvent) => void,
): AdvertCapture {
  const tracker = new SniffTracker()
  const ac = new AbortController()
  let n = 0
  const running = remoteSource(host, iface)
    .run((rec) => {
      const t = rec.tsSec * 1000 + rec.tsNsec / 1e6
      const f = parseFrame(rec.data, rec.linkType)
      tracker.observe(n, t, iface, f)
      const p = f.vrrp?.packet
      if (!p || !f.ip || f.vrrp?.kind !== 'vrrp') return
      n++
      emit({t: t - offsetMs, kind: 'advert', node: nodeByAddress.get(f.ip.src.toLowerCase()), src: f.ip.src, vrid: p.vrid, priority: p.priority})
    }, ac.signal)
    .catch(() => undefined)
  return {
    async stop() {
      ac.abort()
      await running
    },
    findings: () => tracker.findings(),
    count: () => n,
  }
}

export interface ProbeTarget {
  kind: 'http' | 'tcp'
  host: string
  port: number
  path: string
}

export function parseProbe(spec: string): ProbeTarget | undefined {
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(spec)
  if (tcp) return {kind: 'tcp', host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]), path: '/'}
  try {
    const u = new URL(spec)
    if (u.protocol !== 'http:') return undefined
    return {kind: 'http', host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), path: `${u.pathname}${u.search}`}
  } catch {
    return undefined
  }
}

/** One probe on a fresh connection: resolves ok/error, never rejects. */
export function probeOnce(t: ProbeTarget, timeoutMs: number): Promise<{ok: boolean; error?: string}> {
  return new Promise((resolve) => {
    let done = false
    const finish = (r: {ok: boolean; error?: string}): void => {
      if (!done) (done = true), resolve(r)
    }
    if (t.kind === 'tcp') {
      const s = connect({host: t.host, port: t.port})
      s.setTimeout(timeoutMs, () => (s.destroy(), finish({ok: false, error: 'timeout'})))
      s.once('connect', () => (s.destroy(), finish({ok: true})))
      s.once('error', (e) => finish({ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message}))
      return
    }
    const req = request({host: t.host, port: t.port, path: t.path, agent: false, timeout: timeoutMs, headers: {connection: 'close'}}, (res) => {
      res.resume()
      res.once('end', () => finish(res.statusCode !== undefined && res.statusCode < 500 ? {ok: true} : {ok: false, error: `HTTP ${res.statusCode}`}))
      res.once('error', (e) => finish({ok: false, error: e.message}))
    })
    req.once('timeout', () => (req.destroy(), finish({ok: false, error: 'timeout'})))
    req.once('error', (e) => finish({ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message}))
    req.end()
  })
}

/** Probe every intervalMs until stopped; each probe becomes a `probe` event at its start time. */
export function startProbing(t: ProbeTarget, intervalMs: number, emit: (e: TimelineEvent) => void): {stop(): Promise<void>} {
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const start = nowMs()
      const r = await probeOnce(t, Math.max(100, intervalMs * 4))
      emit({t: start, kind: 'probe', ok: r.ok, latencyMs: nowMs() - start, error: r.error})
      const wait = intervalMs - (nowMs() - start)
      if (wait > 0) await new Promise((res) => setTimeout(res, wait))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
    },
  }
}
