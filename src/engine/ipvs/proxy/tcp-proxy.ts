import net from 'node:net'
import type {Destination} from '../pool.js'
import type {ListenAddress, Listener, ProxyContext} from './types.js'

interface TcpFlow {
  client: net.Socket
  backend: net.Socket
  dest: Destination
  state: 'connecting' | 'active' | 'closing'
}

/**
 * TCP on VIP:port: each accepted connection gets a server from the pool and is
 * spliced to it; half-closes pass through. Counters follow IPVS: inactive
 * while connecting and after the first FIN, active while established.
 */
/** IPVS's TCP timeouts for a closed connection: TIME_WAIT after FINs, CLOSE after a reset. */
export const DEFAULT_TCP_LINGER = {timeWaitMs: 120_000, closeMs: 10_000}

export class TcpProxy implements Listener {
  private server?: net.Server
  private readonly flows = new Set<TcpFlow>()

  constructor(
    private readonly bind: ListenAddress,
    private readonly ctx: ProxyContext,
    private readonly linger = DEFAULT_TCP_LINGER,
  ) {}

  get listening(): boolean {
    return this.server?.listening ?? false
  }

  listen(): Promise<void> {
    if (this.server?.listening) return Promise.resolve()
    const server = net.createServer({allowHalfOpen: true, noDelay: true}, (c) => this.accept(c))
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
    const peer = {ip: client.remoteAddress ?? '0.0.0.0', port: client.remotePort ?? 0}
    const {pool} = this.ctx
    const dest = pool.pick(peer, Date.now())
    if (!dest) {
      this.ctx.onRefused()
      client.resetAndDestroy()
      return
    }
    const backend = net.connect({host: dest.ip, port: dest.port, allowHalfOpen: true, noDelay: true})
    const flow: TcpFlow = {client, backend, dest, state: 'connecting'}
    this.flows.add(flow)
    client.setNoDelay(true)
    client.pipe(backend)
    backend.pipe(client)
    backend.once('connect', () => {
      if (flow.state !== 'connecting') return
      flow.state = 'active'
      pool.established(dest)
    })
    const toClosing = (): void => {
      if (flow.state !== 'active') return
      flow.state = 'closing'
      pool.closing(dest)
    }
    client.once('end', toClosing)
    backend.once('end', toClosing)
    backend.once('error', (e: NodeJS.ErrnoException) => {
      if (flow.state === 'connecting') this.ctx.onBackendError(dest, e.code ?? e.message)
      client.resetAndDestroy()
    })
    let reset = false
    backend.once('error', () => (reset = true))
    client.once('error', () => {
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
      const lingerMs = flow.state === 'connecting' || reset ? this.linger.closeMs : this.linger.timeWaitMs
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
