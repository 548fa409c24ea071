import net from 'node:net'
import type {Destination} from '../pool.js'
import type {Endpoint} from '../schedulers/types.js'
import {uvError, type ConnectReq, type LibuvTcp, type ShutdownReq, type TcpHandle, type WriteReq} from './libuv-tcp.js'
import {ANY_CLIENT, nextDestination, type TcpProxyOptions} from './tcp-options.js'
import type {ListenAddress, Listener, ProxyContext} from './types.js'

/** Bytes queued towards one side before the other side is no longer read (net.Socket's default high-water mark is 16 KiB). */
const HIGH_WATER = 64 * 1024

const enum Phase {
  /** waiting for a server to accept; nothing is read from the client */
  Connecting,
  /** spliced, no FIN seen yet (IPVS: ESTABLISHED, counted active) */
  Active,
  /** a side sent FIN (IPVS: FIN_WAIT/CLOSE_WAIT, counted inactive) */
  Closing,
  /** both sides closed, counted */
  Done,
}

/** One end of a spliced connection. */
class Side {
  other!: Side
  /** the peer sent FIN */
  eof = false
  /** our FIN to this side is sent (or it cannot take one any more) */
  shut = false
  shutRequested = false
  closed = false
  /** not read because the other side has too much queued */
  paused = false

  constructor(
    readonly conn: HandleConnection,
    readonly handle: TcpHandle,
  ) {
    handle.side = this
  }
}

/** One client connection from accept to close. */
class HandleConnection {
  phase = Phase.Connecting
  readonly client: Side
  backend: Side | undefined = undefined
  /** the connect in progress and its timer */
  connecting: TcpHandle | undefined = undefined
  timer: NodeJS.Timeout | undefined = undefined
  /** servers tried so far, created on the first failed attempt */
  tried: Set<string> | undefined = undefined
  reset = false
  /** bytes from the client / to the client */
  bytesIn = 0
  bytesOut = 0

  constructor(
    readonly proxy: HandleTcpProxy,
    client: TcpHandle,
    public dest: Destination,
    readonly peer: Endpoint,
  ) {
    this.client = new Side(this, client)
  }
}

/* ---- libuv callbacks shared by all connections (no closures per connection) ---- */

function onConnection(this: TcpHandle, err: number, client: TcpHandle | undefined): void {
  // accept errors (EMFILE...) leave the connection in the backlog for the next try
  if (err === 0 && client) (this.side as HandleTcpProxy).accept(client)
}

function afterConnect(this: ConnectReq, status: number, handle: TcpHandle): void {
  const conn = this.conn as HandleConnection
  // a connect that timed out or was given up on completes as cancelled
  if (conn.connecting !== handle) return
  conn.proxy.connectDone(conn, status)
}

function onConnectTimeout(conn: HandleConnection, handle: TcpHandle): void {
  if (conn.connecting === handle) conn.proxy.connectFailed(conn, `connect timeout after ${conn.proxy.opts.connectTimeoutMs} ms`)
}

function onRead(this: TcpHandle, buf: ArrayBuffer | undefined): void {
  const side = this.side as Side
  if (side.closed) return
  const {proxy} = side.conn
  const nread = proxy.uv.readResult()
  if (nread > 0) proxy.forward(side, new Uint8Array(buf!, proxy.uv.readOffset(), nread))
  else if (nread === proxy.uv.UV_EOF) proxy.gotEof(side)
  else if (nread < 0) proxy.failed(side)
}

function afterWrite(this: WriteReq, status: number): void {
  const side = this.side as Side
  if (side.closed) return
  if (status < 0) side.conn.proxy.failed(side)
  else side.conn.proxy.drained(side)
}

function afterShutdown(this: ShutdownReq): void {
  const side = this.side as Side
  side.shut = true
  side.conn.proxy.maybeClose(side)
}

/** The relay between Node's libuv TCP handles (see tcp-proxy.ts and libuv-tcp.ts). */
export class HandleTcpProxy implements Listener {
  private server?: TcpHandle
  private readonly conns = new Set<HandleConnection>()

  constructor(
    private readonly bind: ListenAddress,
    readonly ctx: ProxyContext,
    readonly opts: TcpProxyOptions,
    readonly uv: LibuvTcp,
  ) {}

  get listening(): boolean {
    return this.server !== undefined
  }

  listen(): Promise<void> {
    if (this.server) return Promise.resolve()
    const {address, port} = this.bind
    const server = this.uv.newServer()
    let err = net.isIPv6(address) ? server.bind6(address, port, 0) : server.bind(address, port)
    if (err === 0) err = server.listen(4096)
    if (err !== 0) {
      server.close()
      return Promise.reject(uvError(err, 'listen', address, port))
    }
    server.side = this
    server.onconnection = onConnection
    this.server = server
    return Promise.resolve()
  }

  accept(handle: TcpHandle): void {
    const {pool} = this.ctx
    let peer = ANY_CLIENT
    // the peer address costs a getpeername(2): only asked for when something uses it
    if (pool.usesClientAddress) {
      const out: {address?: string; port?: number} = {}
      handle.getpeername(out)
      peer = {ip: out.address ?? '0.0.0.0', port: out.port ?? 0}
    }
    const dest = pool.pick(peer, Date.now())
    if (!dest) {
      this.ctx.onRefused()
      handle.reset()
      return
    }
    // the client is not read until a server accepted the connection, so a
    // refused connect can be retried elsewhere
    const conn = new HandleConnection(this, handle, dest, peer)
    this.conns.add(conn)
    this.attempt(conn)
  }

  private attempt(conn: HandleConnection): void {
    const {ip, port} = conn.dest
    const handle = this.uv.newSocket()
    const req = this.uv.newConnectReq()
    req.oncomplete = afterConnect
    req.address = ip
    req.port = port
    req.conn = conn
    conn.connecting = handle
    const err = net.isIPv6(ip) ? handle.connect6(req, ip, port) : handle.connect(req, ip, port)
    if (err !== 0) {
      // fail on the next tick, as a refused connect would
      setImmediate(afterConnect.bind(req), err, handle)
      return
    }
    conn.timer = setTimeout(onConnectTimeout, this.opts.connectTimeoutMs, conn, handle)
  }

  connectDone(conn: HandleConnection, status: number): void {
    clearTimeout(conn.timer)
    conn.timer = undefined
    if (status < 0) return this.connectFailed(conn, uvError(status, 'connect').code!)
    const handle = conn.connecting!
    conn.connecting = undefined
    const backend = new Side(conn, handle)
    conn.backend = backend
    backend.other = conn.client
    conn.client.other = backend
    this.ctx.pool.established(conn.dest)
    conn.phase = Phase.Active
    for (const h of [conn.client.handle, handle]) {
      h.setNoDelay(true)
      h.onread = onRead
      h.readStart()
    }
  }

  /** The chosen server refused or did not answer: try another one, or give up. */
  connectFailed(conn: HandleConnection, error: string): void {
    const {pool} = this.ctx
    const d = conn.dest
    clearTimeout(conn.timer)
    conn.timer = undefined
    conn.connecting?.close()
    conn.connecting = undefined
    this.ctx.onBackendError(d, error)
    pool.connectFailed(d)
    const tried = (conn.tried ??= new Set())
    tried.add(d.key)
    const next = nextDestination(pool, conn.peer, tried, this.opts)
    if (next) {
      conn.dest = next
      this.attempt(conn)
      return
    }
    conn.phase = Phase.Done
    this.conns.delete(conn)
    conn.client.closed = true
    conn.client.handle.reset()
  }

  /** Data read from `from`: queue it to the other side; stop reading while too much is queued. */
  forward(from: Side, data: Uint8Array): void {
    const to = from.other
    if (to.closed || to.shutRequested) return
    const conn = from.conn
    if (from === conn.client) conn.bytesIn += data.byteLength
    else conn.bytesOut += data.byteLength
    const req = this.uv.newWriteReq()
    req.oncomplete = afterWrite
    req.handle = to.handle
    req.side = to
    req.async = false
    const err = to.handle.writeBuffer(req, data)
    if (err !== 0) return this.failed(to)
    if (!this.uv.lastWriteWasAsync()) return
    req.buffer = data
    if (to.handle.writeQueueSize >= HIGH_WATER) {
      from.paused = true
      from.handle.readStop()
    }
  }

  /** A write to `side` completed: read its peer again once the queue is empty. */
  drained(side: Side): void {
    const from = side.other
    if (from.paused && side.handle.writeQueueSize === 0 && !from.closed) {
      from.paused = false
      from.handle.readStart()
    }
  }

  /** FIN from `side`: half-close the other side (after what is queued to it); the first FIN makes the connection inactive. */
  gotEof(side: Side): void {
    const conn = side.conn
    side.eof = true
    if (conn.phase === Phase.Active) {
      conn.phase = Phase.Closing
      this.ctx.pool.closing(conn.dest)
    }
    const to = side.other
    if (!to.closed && !to.shutRequested) {
      to.shutRequested = true
      if (to.eof && to.handle.writeQueueSize === 0) {
        // both directions are over and nothing is queued: close() sends the
        // FIN itself (all was read, so no reset); no separate shutdown(2)
        to.shut = true
      } else {
        const req = this.uv.newShutdownReq()
        req.oncomplete = afterShutdown
        req.handle = to.handle
        req.side = to
        if (to.handle.shutdown(req) !== 0) to.shut = true
      }
      this.maybeClose(to)
    }
    this.maybeClose(side)
  }

  /** A side is closed once both of its directions are finished. */
  maybeClose(side: Side): void {
    if (side.closed || !side.eof || !side.shut) return
    side.closed = true
    side.handle.close()
    if (side.other.closed) this.done(side.conn)
  }

  /**
   * A read or write on `side` failed (reset by the peer...): the connection
   * ends. A server's failure resets the client; a client's failure closes
   * the server connection.
   */
  failed(side: Side): void {
    const conn = side.conn
    if (conn.phase === Phase.Done) return
    conn.reset = true
    for (const s of [side, side.other]) {
      if (s.closed) continue
      s.closed = true
      if (s === conn.client && side !== conn.client) s.handle.reset()
      else s.handle.close()
    }
    this.done(conn)
  }

  private done(conn: HandleConnection): void {
    if (conn.phase === Phase.Done) return
    const wasActive = conn.phase === Phase.Active
    conn.phase = Phase.Done
    this.conns.delete(conn)
    const lingerMs = conn.reset ? this.opts.linger.closeMs : this.opts.linger.timeWaitMs
    this.ctx.pool.closed(conn.dest, conn.peer, wasActive, conn.bytesIn, conn.bytesOut, Date.now(), lingerMs)
  }

  close(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return Promise.resolve()
    return new Promise((resolve) => server.close(resolve))
  }

  destroy(): void {
    void this.close()
    for (const conn of this.conns) {
      if (conn.phase === Phase.Connecting) {
        clearTimeout(conn.timer)
        conn.connecting?.close()
        conn.connecting = undefined
        this.ctx.pool.connectFailed(conn.dest)
        conn.phase = Phase.Done
        conn.client.closed = true
        conn.client.handle.close()
        continue
      }
      for (const s of [conn.client, conn.backend!]) {
        if (s.closed) continue
        s.closed = true
        s.handle.close()
      }
      this.done(conn)
    }
    this.conns.clear()
  }

  liveBytes(): Map<string, [number, number]> {
    const m = new Map<string, [number, number]>()
    for (const c of this.conns) {
      if (c.phase === Phase.Connecting) continue
      const cur = m.get(c.dest.key) ?? [0, 0]
      m.set(c.dest.key, [cur[0] + c.bytesIn, cur[1] + c.bytesOut])
    }
    return m
  }
}
