import type {Destination, VirtualServerPool} from '../pool.js'

export interface ListenAddress {
  address: string
  port: number
}

/** What a listener needs from its virtual server. */
export interface ProxyContext {
  pool: VirtualServerPool
  /** a connection found no server (IPVS would drop it) */
  onRefused(): void
  /** a connection to a chosen server failed before it was established */
  onBackendError(d: Destination, error: string): void
}

export interface Listener {
  listen(): Promise<void>
  /** stop accepting; live connections/flows stay until they end */
  close(): Promise<void>
  /** close every live connection/flow too */
  destroy(): void
  readonly listening: boolean
  /** bytes moved so far on live connections, per destination key: [in, out] */
  liveBytes(): Map<string, [number, number]>
}
