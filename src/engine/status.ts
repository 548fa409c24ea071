/**
 * The engine's status as data (the JSON status endpoint, `halctl run --json`
 * and the live view all show this), and the endpoint itself: an HTTP server on
 * a unix socket or a loopback TCP port answering GET with the status JSON.
 */
import {createServer, type Server} from 'node:http'
import {rm} from 'node:fs/promises'
import type {VrrpSmState} from '../vrrp/state-machine.js'
import type {DropReason} from './receive.js'

export interface InstanceCounters {
  advertsSent: number
  advertsReceived: number
  becameMaster: number
  releasedMaster: number
  /** adverts dropped, by reason (wrong password, TTL, checksum, interval ...) */
  badPackets: Partial<Record<DropReason, number>>
}

export interface TransitionStatus {
  /** ISO time */
  at: string
  from: VrrpSmState
  to: VrrpSmState
  reason: string
}

export interface TrackerStatus {
  name: string
  weight: number
  /** undefined until the first result */
  ok?: boolean
  /** track_file: the number in the file */
  value?: number
}

export interface InstanceStatus {
  name: string
  interface: string
  vrid: number
  version: 2 | 3
  state: VrrpSmState
  priority: number
  effectivePriority: number
  /** ms */
  advertInterval: number
  /** ms: the master's interval (v3 adopts it) */
  masterAdvertInterval: number
  sourceIp: string
  masterIp?: string
  masterPriority?: number
  virtualIps: string[]
  syncGroup?: string
  lastTransition?: TransitionStatus
  trackers: TrackerStatus[]
  counters: InstanceCounters
  /** gaps between this node's adverts while MASTER (the last 1024), ms: how steady its timing is */
  advertGaps?: AdvertGapStats
}

export interface AdvertGapStats {
  count: number
  p50: number
  p99: number
  max: number
}

/** Nearest-rank percentiles of advert gaps. */
export function gapStats(gaps: readonly number[]): AdvertGapStats | undefined {
  if (gaps.length === 0) return undefined
  const s = [...gaps].sort((a, b) => a - b)
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
  const r = (x: number) => Math.round(x * 10) / 10
  return {count: s.length, p50: r(at(50)), p99: r(at(99)), max: r(s[s.length - 1])}
}

export interface EngineStatus {
  pid: number
  /** ISO time */
  startedAt: string
  configFile?: string
  running: boolean
  instances: InstanceStatus[]
  /** packets that matched no instance (unknown VRID, malformed before the VRID) */
  unmatchedBadPackets: Partial<Record<DropReason, number>>
  notifyFailures: number
}

export interface StatusEndpoint {
  /** "unix:/path" or "tcp:127.0.0.1:port" */
  address: string
  close(): Promise<void>
}

/** Serve `get()` as JSON on a unix socket path or a loopback port. */
export async function serveStatus(target: {socket: string} | {port: number}, get: () => unknown): Promise<StatusEndpoint> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end()
      return
    }
    const body = JSON.stringify(get(), null, 2) + '\n'
    res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}).end(body)
  })
  if ('socket' in target) await rm(target.socket, {force: true})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if ('socket' in target) server.listen(target.socket, resolve)
    else server.listen(target.port, '127.0.0.1', resolve)
  })
  const addr = server.address()
  const address = 'socket' in target ? `unix:${target.socket}` : `tcp:127.0.0.1:${typeof addr === 'object' && addr ? addr.port : target.port}`
  return {
    address,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if ('socket' in target) await rm(target.socket, {force: true})
    },
  }
}
