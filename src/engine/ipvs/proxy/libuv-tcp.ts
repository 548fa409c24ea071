import {getSystemErrorMap} from 'node:util'

/**
 * Node's own libuv TCP handles (`process.binding('tcp_wrap')` and
 * `'stream_wrap'`): the objects every net.Socket wraps, without the stream
 * and event machinery around them. The relay moves bytes between two handles,
 * so it needs none of that machinery, and it is most of the CPU a proxied
 * connection costs in Node. Only what the relay uses is typed here; the
 * shapes are checked when loading and `loadLibuvTcp()` returns undefined if
 * this Node does not have them (the relay then uses net.Socket).
 */
export interface TcpHandle {
  /** JS property the relay hangs its per-socket state on */
  side?: unknown
  onread: ((this: TcpHandle, buf: ArrayBuffer | undefined) => void) | null
  onconnection: ((this: TcpHandle, err: number, client: TcpHandle | undefined) => void) | null
  readonly writeQueueSize: number
  bind(address: string, port: number): number
  bind6(address: string, port: number, flags: number): number
  listen(backlog: number): number
  connect(req: ConnectReq, address: string, port: number): number
  connect6(req: ConnectReq, address: string, port: number): number
  getpeername(out: {address?: string; port?: number; family?: string}): number
  setNoDelay(on: boolean): number
  readStart(): number
  readStop(): number
  writeBuffer(req: WriteReq, buf: Uint8Array): number
  shutdown(req: ShutdownReq): number
  /** close with RST (SO_LINGER 0) */
  reset(cb?: () => void): number
  close(cb?: () => void): void
}

export interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number, handle: TcpHandle) => void
  /** the relay's connection */
  conn?: unknown
}
/** Node calls a write's and a shutdown's oncomplete with the handle they were made on. */
export interface WriteReq {
  oncomplete: (this: WriteReq, status: number, handle: TcpHandle) => void
  /** the data of a write still queued, kept alive until it completes (libuv does not copy it) */
  buffer?: Uint8Array
}
export interface ShutdownReq {
  oncomplete: (this: ShutdownReq, status: number, handle: TcpHandle) => void
}

export interface LibuvTcp {
  newSocket(): TcpHandle
  newServer(): TcpHandle
  newConnectReq(): ConnectReq
  newWriteReq(): WriteReq
  newShutdownReq(): ShutdownReq
  /** bytes read (> 0) or a negative libuv error for the read just delivered to onread */
  readResult(): number
  /** offset of the data in the ArrayBuffer just delivered to onread */
  readOffset(): number
  /** the last writeBuffer could not complete at once: its oncomplete will run */
  lastWriteWasAsync(): boolean
  /** libuv's end-of-file read result */
  readonly UV_EOF: number
}

type Ctor<T> = new (arg?: number) => T

interface TcpWrapBinding {
  TCP: Ctor<TcpHandle>
  TCPConnectWrap: Ctor<ConnectReq>
  constants: {SOCKET: number; SERVER: number}
}
interface StreamWrapBinding {
  WriteWrap: Ctor<WriteReq>
  ShutdownWrap: Ctor<ShutdownReq>
  kReadBytesOrError: number
  kArrayBufferOffset: number
  kLastWriteWasAsync: number
  streamBaseState: Int32Array
}

let cached: LibuvTcp | null | undefined

/** The handles, or undefined when this Node does not expose them as expected. */
export function loadLibuvTcp(): LibuvTcp | undefined {
  if (cached !== undefined) return cached ?? undefined
  cached = null
  try {
    const binding = (process as unknown as {binding(name: string): unknown}).binding
    const tcp = binding('tcp_wrap') as TcpWrapBinding
    const stream = binding('stream_wrap') as StreamWrapBinding
    const {kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync, streamBaseState} = stream
    const UV_EOF = [...getSystemErrorMap()].find(([, [name]]) => name === 'EOF')?.[0]
    const proto = tcp.TCP?.prototype as Record<string, unknown> | undefined
    const methods = ['bind', 'bind6', 'listen', 'connect', 'connect6', 'getpeername', 'setNoDelay', 'readStart', 'readStop', 'writeBuffer', 'shutdown', 'reset', 'close']
    if (
      !proto ||
      methods.some((m) => typeof proto[m] !== 'function') ||
      typeof tcp.TCPConnectWrap !== 'function' ||
      typeof stream.WriteWrap !== 'function' ||
      typeof stream.ShutdownWrap !== 'function' ||
      !(streamBaseState instanceof Int32Array) ||
      ![kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync].every(Number.isInteger) ||
      UV_EOF === undefined
    )
      return undefined
    const {SOCKET, SERVER} = tcp.constants
    cached = {
      newSocket: () => new tcp.TCP(SOCKET),
      newServer: () => new tcp.TCP(SERVER),
      newConnectReq: () => new tcp.TCPConnectWrap(),
      newWriteReq: () => new stream.WriteWrap(),
      newShutdownReq: () => new stream.ShutdownWrap(),
      readResult: () => streamBaseState[kReadBytesOrError],
      readOffset: () => streamBaseState[kArrayBufferOffset],
      lastWriteWasAsync: () => streamBaseState[kLastWriteWasAsync] !== 0,
      UV_EOF,
    }
    return cached
  } catch {
    return undefined
  }
}

/** A libuv error number as Node reports it: code 'ECONNREFUSED', message 'connect ECONNREFUSED: connection refused 10.0.0.1:80'. */
export function uvError(errno: number, syscall: string, address?: string, port?: number): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(errno) ?? [`E${-errno}`, 'unknown error']
  const where = address === undefined ? '' : ` ${address.includes(':') ? `[${address}]` : address}${port === undefined ? '' : `:${port}`}`
  return Object.assign(new Error(`${syscall} ${code}: ${text}${where}`), {code, errno, syscall, address, port})
}
