import net from 'node:net'
import type {Destination} from '../pool.js'
import type {Endpoint} from '../schedulers/types.js'
import {ANY_CLIENT, nextDestination, type TcpProxyOptions} from './tcp-options.js'
import type {ListenAddress, Listener, ProxyContext} from './types.js'

/*
 * The TCP relay through net.Socket streams: the fallback where Node does not
 * expose its libuv handles (tcp-handle-relay.ts), and `tcp.relay: 'sockets'`.
 */

const enum Phase {
  /** waiting for a server to accept; the client is paused */
  Connecting,
  /** spliced, no FIN seen yet (IPVS: ESTABLISHED, counted active) */
  Active,
  /** a side sent FIN (IPVS: FIN_WAIT/CLOSE_WAIT, counted inactive) */
  Closing,
  /** given up before a server accepted */
  Abandoned,
}

/** The connection a socket belongs to, kept on the socket itself. */
const kConn = Symbol('ipvs.tcp.connection')
type ConnSocket = net.Socket & {[kConn]?: TcpConnection}

/**
 * One client connection from accept to close. The socket event handlers
 * below are shared by all connections (no closures per connection): each
 * finds its connection through the socket.
 */
class TcpConnection {
  phase = Phase.Connecting
  backend: ConnSocket | undefined = undefined
  clientGone = false
  reset = false
  closedSides = 0
  /** servers tried so far, created on the first failed attempt */
  tried: Set<string> | undefined = undefined

  constructor(
    readonly proxy: SocketTcpProxy,
    readonly client: ConnSocket,
    public dest: Destination,
    readonly peer: Endpoint,
  ) {}

  /** the other end of the splice from `s` */
  other(s: net.Socket): net.Socket {
    return s === this.client ? this.backend! : this.client
  }
}

/* ---- shared socket handlers (`this` is the socket) ---- */

function onClientError(this: ConnSocket): void {
  const conn = this[kConn]!
  if (conn.phase === Phase.Connecting) conn.clientGone = true
  else if (conn.phase !== Phase.Abandoned) {
    conn.reset = true
    conn.backend!.destroy()
  }
}

function onClientClose(this: ConnSocket): void {
  const conn = this[kConn]!
  if (conn.phase === Phase.Connecting) conn.clientGone = true
  else if (conn.phase !== Phase.Abandoned) conn.proxy.sideClosed(conn)
}

function onBackendConnect(this: ConnSocket): void {
  const conn = this[kConn]!
  if (this !== conn.backend) return
  this.setTimeout(0)
  conn.proxy.connected(conn)
}

function onBackendTimeout(this: ConnSocket): void {
  const conn = this[kConn]!
  if (this !== conn.backend || conn.phase !== Phase.Connecting) return
  conn.proxy.connectFailed(conn, `connect timeout after ${conn.proxy.opts.connectTimeoutMs} ms`)
}

function onBackendError(this: ConnSocket, e: NodeJS.ErrnoException): void {
  const conn = this[kConn]!
  if (this !== conn.backend) return
  if (conn.phase === Phase.Connecting) conn.proxy.connectFailed(conn, e.code ?? e.message)
  else if (conn.phase !== Phase.Abandoned) {
    conn.reset = true
    conn.client.resetAndDestroy()
  }
}

function onBackendClose(this: ConnSocket): void {
  const conn = this[kConn]!
  if (this === conn.backend && (conn.phase === Phase.Active || conn.phase === Phase.Closing)) conn.proxy.sideClosed(conn)
}

/** Copy to the other side with backpressure. */
function onData(this: ConnSocket, chunk: Buffer): void {
  if (!this[kConn]!.other(this).write(chunk)) this.pause()
}

/** The other side took what was queued: read again from this side's peer. */
function onDrain(this: ConnSocket): void {
  const from = this[kConn]!.other(this)
  if (from.isPaused()) from.resume()
}

/** FIN from this side: half-close the other side; the first FIN makes the connection inactive. */
function onEnd(this: ConnSocket): void {
  const conn = this[kConn]!
  if (conn.phase === Phase.Active) {
    conn.phase = Phase.Closing
    conn.proxy.ctx.pool.closing(conn.dest)
  }
  const to = conn.other(this)
  if (!to.writableEnded) to.end()
}

/** The relay through net.Socket streams (see tcp-proxy.ts). */
export class SocketTcpProxy implements Listener {
  private server?: net.Server
  private readonly conns = new Set<TcpConnection>()

  constructor(
    private readonly bind: ListenAddress,
    readonly ctx: ProxyContext,
    readonly opts: TcpProxyOptions,
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

  private accept(client: ConnSocket): void {
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
    const conn = new TcpConnection(this, client, dest, peer)
    client[kConn] = conn
    client.on('error', onClientError)
    client.on('close', onClientClose)
    this.attempt(conn)
  }

  private attempt(conn: TcpConnection): void {
    const d = conn.dest
    // connects on the next tick: the handlers below are in place by then
    const backend: ConnSocket = net.connect({host: d.ip, port: d.port, allowHalfOpen: true, noDelay: true, timeout: this.opts.connectTimeoutMs})
    backend[kConn] = conn
    conn.backend = backend
    backend.on('connect', onBackendConnect).on('timeout', onBackendTimeout).on('error', onBackendError)
  }

  /** The chosen server refused or did not answer: try another one, or give up. */
  connectFailed(conn: TcpConnection, error: string): void {
    const {pool} = this.ctx
    const d = conn.dest
    conn.backend!.destroy()
    this.ctx.onBackendError(d, error)
    pool.connectFailed(d)
    const tried = (conn.tried ??= new Set())
    tried.add(d.key)
    const next = conn.clientGone ? undefined : nextDestination(pool, conn.peer, tried, this.opts)
    if (next) {
      conn.dest = next
      this.attempt(conn)
      return
    }
    conn.phase = Phase.Abandoned
    conn.backend = undefined
    conn.client.resetAndDestroy()
  }

  connected(conn: TcpConnection): void {
    const {pool} = this.ctx
    const {client, dest} = conn
    const backend = conn.backend!
    if (conn.clientGone) {
      conn.phase = Phase.Abandoned
      backend.destroy()
      pool.closed(dest, conn.peer, false, 0, 0, Date.now(), this.opts.linger.closeMs)
      return
    }
    pool.established(dest)
    conn.phase = Phase.Active
    this.conns.add(conn)
    backend.on('close', onBackendClose)
    client.on('data', onData).on('drain', onDrain).on('end', onEnd)
    backend.on('data', onData).on('drain', onDrain).on('end', onEnd)
    client.resume()
  }

  /** One side closed; when both have, the connection is counted as closed. */
  sideClosed(conn: TcpConnection): void {
    const {client} = conn
    const backend = conn.backend!
    if (++conn.closedSides === 1) {
      // one side is gone: the other cannot carry on
      if (client.destroyed && !backend.destroyed) backend.end()
      if (backend.destroyed && !client.destroyed) client.end()
      return
    }
    this.conns.delete(conn)
    const lingerMs = conn.reset ? this.opts.linger.closeMs : this.opts.linger.timeWaitMs
    this.ctx.pool.closed(conn.dest, conn.peer, conn.phase === Phase.Active, client.bytesRead, client.bytesWritten, Date.now(), lingerMs)
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
    for (const c of this.conns) {
      c.client.destroy()
      c.backend?.destroy()
    }
  }

  liveBytes(): Map<string, [number, number]> {
    const m = new Map<string, [number, number]>()
    for (const c of this.conns) {
      const cur = m.get(c.dest.key) ?? [0, 0]
      m.set(c.dest.key, [cur[0] + c.client.bytesRead, cur[1] + c.client.bytesWritten])
    }
    return m
  }
}
