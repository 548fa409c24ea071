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
  /** our FIN is owed to this side (by a shutdown libuv may not have made yet, or by close()) */
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
  /** the server end; while connecting, the attempt in progress */
  backend!: Side
  /** the connect timer */
  timer: NodeJS.Timeout | undefined = undefined
  /** servers tried so far, created on the first failed attempt */
  tried: Set<string> | undefined = undefined
  reset = false
  /** bytes from the client / to the client */
  bytesIn = 0
  bytesOut = 0
  /** index in the proxy's ConnectionList, -1 once out of it */
  slot = -1

  constructor(
    readonly proxy: HandleTcpProxy,
    client: TcpHandle,
    public dest: Destination,
    readonly peer: Endpoint,
  ) {
    this.client = new Side(this, client)
  }
}

/**
 * The live connections of a proxy: an array where the last one takes the
 * slot of one that leaves, cheaper per connection than a Set's hashing.
 */
class ConnectionList {
  readonly items: HandleConnection[] = []

  add(conn: HandleConnection): void {
    conn.slot = this.items.length
    this.items.push(conn)
  }

  remove(conn: HandleConnection): void {
    if (conn.slot < 0) return
    const last = this.items.pop()!
    if (last !== conn) {
      this.items[conn.slot] = last
      last.slot = conn.slot
    }
    conn.slot = -1
  }
}

/** The address family from an address the config parser validated: only IPv6 has colons (net.isIPv6 runs a regular expression). */
const isIPv6 = (ip: string): boolean => ip.includes(':')

/* ---- libuv callbacks shared by all connections (no closures per connection) ---- */

function onConnection(this: TcpHandle, err: number, client: TcpHandle | undefined): void {
  // accept errors (EMFILE...) leave the connection in the backlog for the next try
  if (err === 0 && client) (this.side as HandleTcpProxy).accept(client)
}

/** the connect made on `handle` is still the one this connection waits for */
const isConnecting = (conn: HandleConnection, handle: TcpHandle): boolean => conn.phase === Phase.Connecting && conn.backend.handle === handle

function afterConnect(this: ConnectReq, status: number, handle: TcpHandle): void {
  const conn = this.conn as HandleConnection
  // a connect that timed out or was given up on completes as cancelled
  if (isConnecting(conn, handle)) conn.proxy.connectDone(conn, status)
}

function onConnectTimeout(conn: HandleConnection, handle: TcpHandle): void {
  if (isConnecting(conn, handle)) conn.proxy.connectFailed(conn, `connect timeout after ${conn.proxy.opts.connectTimeoutMs} ms`)
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

function afterWrite(this: WriteReq, status: number, handle: TcpHandle): void {
  const side = handle.side as Side
  this.buffer = undefined
  if (side.closed) return
  if (status < 0) side.conn.proxy.failed(side)
  else side.conn.proxy.drained(side)
}

function afterShutdown(this: ShutdownReq, _status: number, handle: TcpHandle): void {
  const side = handle.side as Side
  side.shut = true
  side.conn.proxy.maybeClose(side)
}

/** The relay between Node's libuv TCP handles (see tcp-proxy.ts and libuv-tcp.ts). */
export class HandleTcpProxy implements Listener {
  private server?: TcpHandle
  private readonly conns = new ConnectionList()
  /**
   * a write request whose write completed at once (the usual case), so that
   * Node never bound it: the next write reuses it instead of allocating one
   */
  private spareWrite: WriteReq | undefined = undefined

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
    let err = isIPv6(address) ? server.bind6(address, port, 0) : server.bind(address, port)
    // Linux copies TCP_NODELAY from the listening socket to the sockets it
    // accepts: one setsockopt(2) here instead of one per client connection
    if (err === 0) err = server.setNoDelay(true)
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
    // set before connect(): libuv applies it to the socket it creates
    handle.setNoDelay(true)
    const backend = new Side(conn, handle)
    backend.other = conn.client
    conn.client.other = backend
    conn.backend = backend
    const req = this.uv.newConnectReq()
    req.oncomplete = afterConnect
    req.conn = conn
    const err = isIPv6(ip) ? handle.connect6(req, ip, port) : handle.connect(req, ip, port)
    if (err !== 0) {
      // fail on the next tick, as a refused connect would
      setImmediate(afterConnect.bind(req), err, handle)
      return
    }
    // Reading the server from now on costs nothing more: libuv delivers no
    // read before the connect completes, and registers the socket with epoll
    // once for both. Started after the connect, the read would cost a failing
    // EPOLL_CTL_ADD and an EPOLL_CTL_MOD (libuv forgets the socket is still
    // registered once the connect's watch stops).
    handle.onread = onRead
    handle.readStart()
    conn.timer = setTimeout(onConnectTimeout, this.opts.connectTimeoutMs, conn, handle)
  }

  connectDone(conn: HandleConnection, status: number): void {
    clearTimeout(conn.timer)
    conn.timer = undefined
    if (status < 0) return this.connectFailed(conn, uvError(status, 'connect').code!)
    this.ctx.pool.established(conn.dest)
    conn.phase = Phase.Active
    const {handle} = conn.client
    handle.onread = onRead
    handle.readStart()
  }

  /** The chosen server refused or did not answer: try another one, or give up. */
  connectFailed(conn: HandleConnection, error: string): void {
    const {pool} = this.ctx
    const d = conn.dest
    clearTimeout(conn.timer)
    conn.timer = undefined
    conn.backend.closed = true
    conn.backend.handle.close()
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
    this.conns.remove(conn)
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
    const req = this.spareWrite ?? this.newWriteReq()
    this.spareWrite = undefined
    if (to.handle.writeBuffer(req, data) !== 0) return this.failed(to)
    if (!this.uv.lastWriteWasAsync()) {
      this.spareWrite = req
      return
    }
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

  private newWriteReq(): WriteReq {
    const req = this.uv.newWriteReq()
    req.oncomplete = afterWrite
    return req
  }

  /** FIN from `side`: the other side gets ours (after what is queued to it); the first FIN makes the connection inactive. */
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
      // when `to` is done too with nothing queued, maybeClose() closes it now and close() sends the FIN
      if (!to.eof || to.handle.writeQueueSize > 0) this.shutdown(to)
      this.maybeClose(to)
    }
    this.maybeClose(side)
  }

  /**
   * libuv makes the shutdown(2) once this pass's events are handled (or once
   * what is queued is written). A close() before then cancels it, and
   * maybeClose() does close a side whose FIN came in the meantime: a client
   * closing as soon as it has the reply, in the same pass as the server's FIN,
   * costs no shutdown(2), watcher update or callback.
   */
  private shutdown(side: Side): void {
    const req = this.uv.newShutdownReq()
    req.oncomplete = afterShutdown
    if (side.handle.shutdown(req) !== 0) side.shut = true
  }

  /**
   * A side is closed once both of its directions are finished: its FIN came
   * and ours is sent, or owed with nothing queued before it, which close()
   * then sends (all was read, so no reset).
   */
  maybeClose(side: Side): void {
    if (side.closed || !side.eof) return
    if (!side.shut && !(side.shutRequested && side.handle.writeQueueSize === 0)) return
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
    this.conns.remove(conn)
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
    for (const conn of [...this.conns.items]) {
      if (conn.phase === Phase.Connecting) {
        clearTimeout(conn.timer)
        this.ctx.pool.connectFailed(conn.dest)
        conn.phase = Phase.Done
        this.conns.remove(conn)
      }
      for (const s of [conn.client, conn.backend]) {
        if (s.closed) continue
        s.closed = true
        s.handle.close()
      }
      this.done(conn)
    }
  }

  liveBytes(): Map<string, [number, number]> {
    const m = new Map<string, [number, number]>()
    for (const c of this.conns.items) {
      if (c.phase === Phase.Connecting) continue
      const cur = m.get(c.dest.key) ?? [0, 0]
      m.set(c.dest.key, [cur[0] + c.bytesIn, cur[1] + c.bytesOut])
    }
    return m
  }
}
