import dgram from 'node:dgram'
import net from 'node:net'
import type {Destination} from '../pool.js'
import type {ListenAddress, Listener, ProxyContext} from './types.js'

/** IPVS's default UDP timeout (ipvsadm --set: 300 s). */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 300_000

interface UdpFlow {
  client: {ip: string; port: number}
  dest: Destination
  socket: dgram.Socket
  lastSeen: number
  bytesIn: number
  bytesOut: number
  /** datagrams waiting for the flow's socket to connect */
  pending?: Buffer[]
}

/**
 * UDP on VIP:port: one flow per client address:port, each with its own socket
 * to the chosen server so replies find their way back; a flow ends after
 * `idleTimeoutMs` without a datagram either way. Flows count as inactive
 * connections, as IPVS counts UDP.
 */
export class UdpProxy implements Listener {
  private server?: dgram.Socket
  private readonly flows = new Map<string, UdpFlow>()
  private sweeper?: NodeJS.Timeout

  constructor(
    private readonly bind: ListenAddress,
    private readonly ctx: ProxyContext,
    private readonly idleTimeoutMs = DEFAULT_UDP_IDLE_TIMEOUT_MS,
  ) {}

  get listening(): boolean {
    return this.server !== undefined
  }

  listen(): Promise<void> {
    if (this.server) return Promise.resolve()
    const type = net.isIPv6(this.bind.address) ? 'udp6' : 'udp4'
    const server = dgram.createSocket({type, reuseAddr: true})
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.bind({address: this.bind.address, port: this.bind.port, exclusive: true}, () => {
        server.off('error', reject)
        server.on('message', (msg, rinfo) => this.fromClient(msg, rinfo))
        server.on('error', () => {})
        this.server = server
        const period = Math.max(50, Math.min(1000, this.idleTimeoutMs / 4))
        this.sweeper = setInterval(() => this.sweep(Date.now()), period)
        resolve()
      })
    })
  }

  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`
    let flow = this.flows.get(key)
    const now = Date.now()
    if (!flow) {
      const client = {ip: rinfo.address, port: rinfo.port}
      const dest = this.ctx.pool.pick(client, now)
      if (!dest) {
        this.ctx.onRefused()
        return
      }
      const socket = dgram.createSocket(net.isIPv6(dest.ip) ? 'udp6' : 'udp4')
      const f: UdpFlow = {client, dest, socket, lastSeen: now, bytesIn: 0, bytesOut: 0, pending: []}
      socket.on('message', (reply) => {
        f.lastSeen = Date.now()
        f.bytesOut += reply.length
        this.server?.send(reply, rinfo.port, rinfo.address)
      })
      socket.on('error', (e: NodeJS.ErrnoException) => this.ctx.onBackendError(dest, e.code ?? e.message))
      socket.connect(dest.port, dest.ip, () => {
        for (const m of f.pending ?? []) socket.send(m)
        f.pending = undefined
      })
      this.flows.set(key, f)
      flow = f
    }
    flow.lastSeen = now
    flow.bytesIn += msg.length
    if (flow.pending) flow.pending.push(msg)
    else flow.socket.send(msg)
  }

  private sweep(now: number): void {
    for (const [key, f] of this.flows) {
      if (now - f.lastSeen < this.idleTimeoutMs) continue
      this.endFlow(key, f, now)
    }
  }

  private endFlow(key: string, f: UdpFlow, now: number): void {
    this.flows.delete(key)
    f.socket.close()
    this.ctx.pool.closed(f.dest, f.client, false, f.bytesIn, f.bytesOut, now)
  }

  close(): Promise<void> {
    const server = this.server
    this.server = undefined
    clearInterval(this.sweeper)
    if (!server) return Promise.resolve()
    // without the listening socket no reply can reach a client: flows end with it
    for (const [key, f] of this.flows) this.endFlow(key, f, Date.now())
    return new Promise((resolve) => server.close(() => resolve()))
  }

  destroy(): void {
    void this.close()
  }

  liveBytes(): Map<string, [number, number]> {
    const m = new Map<string, [number, number]>()
    for (const f of this.flows.values()) {
      const cur = m.get(f.dest.key) ?? [0, 0]
      m.set(f.dest.key, [cur[0] + f.bytesIn, cur[1] + f.bytesOut])
    }
    return m
  }
}
