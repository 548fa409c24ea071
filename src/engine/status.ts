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
