import type {ListenAddress, Listener, ProxyContext} from './types.js'
import {loadLibuvTcp} from './libuv-tcp.js'
import {HandleTcpProxy} from './tcp-handle-relay.js'
import {DEFAULT_TCP_PROXY_OPTIONS, type TcpProxyOptions} from './tcp-options.js'
import {SocketTcpProxy} from './tcp-socket-relay.js'

export {DEFAULT_TCP_PROXY_OPTIONS, type TcpProxyOptions} from './tcp-options.js'

/**
 * TCP on VIP:port: each accepted connection gets a server from the pool and is
 * spliced to it; half-closes pass through. Counters follow IPVS: inactive
 * while connecting and after the first FIN, active while established.
 * Unlike kernel IPVS, a server that refuses the connection (dead, not yet
 * removed by its checker) is not the client's problem: nothing is read from
 * the client until a server accepted, the connection is retried on another
 * server, up to maxConnectAttempts servers, and then on the sorry_server if
 * there is one.
 *
 * Two relays with the same behaviour: libuv handles (default) and net.Socket.
 */
export function createTcpProxy(bind: ListenAddress, ctx: ProxyContext, opts: TcpProxyOptions = DEFAULT_TCP_PROXY_OPTIONS): Listener {
  const uv = opts.relay === 'handles' ? loadLibuvTcp() : undefined
  return uv ? new HandleTcpProxy(bind, ctx, opts, uv) : new SocketTcpProxy(bind, ctx, opts)
}
