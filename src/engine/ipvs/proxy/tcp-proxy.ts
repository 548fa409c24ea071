import net from 'node:net'
import type {Destination} from '../pool.js'
import type {ListenAddress, Listener, ProxyContext} from './types.js'

interface TcpFlow {
  client: net.Socket
  backend: net.Socket
  dest: Destination
  state: 'active' | 'closing'
}

/**
 * TCP on VIP:port: each accepted connection gets a server from the pool and is
 * spliced to it; half-closes pass through. Counters follow IPVS: inactive
 * while connecting and after the first FIN, active while established.
 * Unlike kernel IPVS, a server that refuses the connection (dead, not yet
 * removed by its checker) is not the client's problem: the connection is
 * retried on another server, up to maxConnectAttempts servers, and then on
 * the sorry_server if there is one.
 */
export interface TcpProxyOptions {
  /** how long a closed connection still counts as inactive: IPVS's TIME_WAIT (after FINs) and CLOSE (after a reset) */
  linger: {timeWaitMs: number; closeMs: number}
  /** give up on a server that has not accepted the connection in this time */
  connectTimeoutMs: number
  /** servers tried for one client connection before it is reset */
  maxConnectAttempts: number
}

export const DEFAULT_TCP_PROXY_OPTIONS: TcpProxyOptions = {
  linger: {timeWaitMs: 120_000, closeMs: 10_000},
  connectTimeoutMs: 3000,
  maxConnectAttempts: 3,
}

const ANY_CLIENT = {ip: '0.0.0.0', port: 0}

/** Copy from -> to with backpressure; the end of from half-closes to. */
function relay(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause()
      to.once('drain', () => from.resume())
    }
  })
  from.once('end', () => to.end())
}

export class TcpProxy implements Listener {
  private server?: net.Server
  private readonly flows = new Set<TcpFlow>()

  constructor(
    private readonly bind: ListenAddress,
    private readonly ctx: ProxyContext,
    private readonly opts: TcpProxyOptions = DEFAULT_TCP_PROXY_OPTIONS,
  ) {}

  get listening(): boolean {
    return this.server?.listening ?? false
  }

  listen(): Promise<void> {
    if (this.server?.listening) return Promise.resolve()
    const server = net.createServer({allowHalfOpen: true, noDelay: true, pauseOnConnect: true}, (c) => this.accept(c))
    this.server = server
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => {
        this.server = undefined
        reject(e)
      }
      server.once('error', onError)
      server.listen({host: this.bind.address, port: this.bind.port, backlog: 4096}, () => {
        server.off('error', onError)
        resolve()
      })
    })
  }

  private accept(client: net.Socket): void {
    const {pool} = this.ctx
    // the peer address costs a getpeername(2): only asked for when something uses it
    const peer = pool.usesClientAddress ? {ip: client.remoteAddress ?? '0.0.0.0', port: client.remotePort ?? 0} : ANY_CLIENT
    const dest = pool.pick(peer, Date.now())
    if (!dest) {
      this.ctx.onRefused()
      client.resetAndDestroy()
      return
    }
    // the server accepts paused: nothing is read from the client until a server
    // accepted the connection, so a refused connect can be retried elsewhere
    let clientGone = false
    const onEarlyError = (): void => {
      clientGone = true
    }
    client.once('error', onEarlyError)
    client.once('close', onEarlyError)
    const tried = new Set<string>()
    const attempt = (d: Destination): void => {
      tried.add(d.key)
      const backend = net.connect({host: d.ip, port: d.port, allowHalfOpen: true, noDelay: true, timeout: this.opts.connectTimeoutMs})
      const fail = (error: string): void => {
        backend.destroy()
        this.ctx.onBackendError(d, error)
        pool.connectFailed(d)
        const next = clientGone
          ? undefined
          : (tried.size < this.opts.maxConnectAttempts ? pool.repick(peer, tried, Date.now()) : undefined) ?? pool.sorryFallback(tried)
        if (next) return attempt(next)
        client.resetAndDestroy()
      }
      backend.once('timeout', () => fail(`connect timeout after ${this.opts.connectTimeoutMs} ms`))
      backend.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message))
      backend.once('connect', () => {
        backend.removeAllListeners('timeout')
        backend.removeAllListeners('error')
        backend.setTimeout(0)
        client.off('error', onEarlyError)
        client.off('close', onEarlyError)
        if (clientGone) {
          backend.destroy()
          pool.closed(d, peer, false, 0, 0, Date.now(), this.opts.linger.closeMs)
          return
        }
        pool.established(d)
        this.splice(client, backend, d, peer)
      })
    }
    attempt(dest)
  }

  private splice(client: net.Socket, backend: net.Socket, dest: Destination, peer: {ip: string; port: number}): void {
    const {pool} = this.ctx
    const flow: TcpFlow = {client, backend, dest, state: 'active'}
    this.flows.add(flow)
    relay(client, backend)
    relay(backend, client)
    client.resume()
    const toClosing = (): void => {
      if (flow.state !== 'active') return
      flow.state = 'closing'
      pool.closing(dest)
    }
    client.once('end', toClosing)
    backend.once('end', toClosing)
    let reset = false
    backend.on('error', () => {
      reset = true
      client.resetAndDestroy()
    })
    client.on('error', () => {
      reset = true
      backend.destroy()
    })
    let closedCount = 0
    const onClose = (): void => {
      if (++closedCount === 1) {
        // one side is gone: the other cannot carry on
        if (client.destroyed && !backend.destroyed) backend.end()
        if (backend.destroyed && !client.destroyed) client.end()
        return
      }
      this.flows.delete(flow)
      const lingerMs = reset ? this.opts.linger.closeMs : this.opts.linger.timeWaitMs
      pool.closed(dest, peer, flow.state === 'active', client.bytesRead, client.bytesWritten, Date.now(), lingerMs)
    }
    client.once('close', onClose)
    backend.once('close', onClose)
  }

  close(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return Promise.resolve()
    return new Promise((resolve) => {
      server.close(() => resolve())
      // server.close waits for live connections; resolve once it stops accepting
      setImmediate(resolve)
    })
  }

  destroy(): void {
    void this.close()
    for (const f of this.flows) {
      f.client.destroy()
      f.backend.destroy()
    }
  }

  liveBytes(): Map<string, [number, number]> {
    const m = new Map<string, [number, number]>()
    for (const f of this.flows) {
      const cur = m.get(f.dest.key) ?? [0, 0]
      m.set(f.dest.key, [cur[0] + f.client.bytesRead, cur[1] + f.client.bytesWritten])
    }
    return m
  }
}
