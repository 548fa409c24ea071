import type {Destination, VirtualServerPool} from '../pool.js'
import type {Endpoint} from '../schedulers/types.js'

export interface TcpProxyOptions {
  /** how long a closed connection still counts as inactive: IPVS's TIME_WAIT (after FINs) and CLOSE (after a reset) */
  linger: {timeWaitMs: number; closeMs: number}
  /** give up on a server that has not accepted the connection in this time */
  connectTimeoutMs: number
  /** servers tried for one client connection before it is reset */
  maxConnectAttempts: number
  /**
   * what moves the bytes: `handles` relays between Node's libuv TCP handles
   * (about half the CPU per connection), `sockets` through net.Socket streams;
   * `handles` falls back to `sockets` where this Node lacks them
   */
  relay: 'handles' | 'sockets'
}

export const DEFAULT_TCP_PROXY_OPTIONS: TcpProxyOptions = {
  linger: {timeWaitMs: 120_000, closeMs: 10_000},
  connectTimeoutMs: 3000,
  maxConnectAttempts: 3,
  relay: 'handles',
}

/** The peer a connection is scheduled as when neither the scheduler nor persistence looks at it. */
export const ANY_CLIENT: Endpoint = {ip: '0.0.0.0', port: 0}

/**
 * The server to try after `tried` refused a client connection (or did not
 * answer): another one from the table while attempts remain, else the
 * sorry_server; undefined when the connection must be reset.
 */
export function nextDestination(pool: VirtualServerPool, peer: Endpoint, tried: ReadonlySet<string>, opts: TcpProxyOptions): Destination | undefined {
  return (tried.size < opts.maxConnectAttempts ? pool.repick(peer, tried, Date.now()) : undefined) ?? pool.sorryFallback(tried)
}
