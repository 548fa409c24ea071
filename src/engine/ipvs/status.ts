import type {LbKind} from '../../keepalived/model.js'

export interface CheckerStatus {
  type: 'HTTP_GET' | 'SSL_GET' | 'TCP_CHECK' | 'MISC_CHECK'
  up: boolean
  checks: number
  failures: number
  lastError?: string
  /** ISO time of the last finished attempt */
  lastCheckAt?: string
}

export interface RealServerStatus {
  ip: string
  port: number
  role: 'real' | 'sorry'
  /** weight in the table now (0: drained or inhibited) */
  weight: number
  configuredWeight: number
  /** listed in the table (ipvsadm -Ln would show it) */
  inTable: boolean
  healthy: boolean
  /** removed from the config by a reload; live connections are draining */
  draining: boolean
  activeConns: number
  inactiveConns: number
  /** connections scheduled to it since start */
  connections: number
  /** bytes from clients to the server */
  bytesIn: number
  /** bytes from the server to clients */
  bytesOut: number
  checkers: CheckerStatus[]
}

export interface VirtualServerStatus {
  /** "TCP 192.0.2.10:80" */
  id: string
  protocol: 'TCP' | 'UDP'
  address: string
  port: number
  scheduler: string
  lbKind: LbKind
  persistenceTimeout?: number
  /** VRRP instances whose virtual_ipaddress holds this address; empty: not VRRP-managed, always served */
  vrrpInstances: string[]
  /** told to serve (master for its instance, or not VRRP-managed) */
  active: boolean
  listening: boolean
  listenError?: string
  quorum: {up: boolean; liveWeight: number; quorum: number; hysteresis: number}
  sorryServerActive: boolean
  /** new connections that found no server */
  refused: number
  /** connection attempts a server refused or did not answer (retried on another server when one is left) */
  backendErrors: number
  notes: string[]
  realServers: RealServerStatus[]
}

export interface SkippedVirtualServer {
  /** how the block names itself: "fwmark 1", "group web", "SCTP 192.0.2.1:80" */
  id: string
  reason: string
}

export interface IpvsStatus {
  virtualServers: VirtualServerStatus[]
  skipped: SkippedVirtualServer[]
}

const FORWARD: Record<LbKind, string> = {NAT: 'Masq', DR: 'Route', TUN: 'Tunnel'}

const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)

/**
 * `ipvsadm -Ln` as text, same columns and spacing; the Forward column shows the
 * configured lb_kind even though userspace always proxies. With `stats`, the
 * counters (like `ipvsadm -Ln --stats`, with bytes and no packet counts).
 */
export function renderIpvsTable(status: IpvsStatus, opts: {stats?: boolean} = {}): string {
  const lines: string[] = []
  lines.push('IP Virtual Server (halctl userspace proxy)')
  if (opts.stats) {
    lines.push('Prot LocalAddress:Port               Conns    InBytes   OutBytes')
    lines.push('  -> RemoteAddress:Port')
  } else {
    lines.push('Prot LocalAddress:Port Scheduler Flags')
    lines.push('  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn')
  }
  for (const vs of status.virtualServers) {
    const name = hostPort(vs.address, vs.port)
    const table = vs.realServers.filter((r) => r.inTable)
    if (opts.stats) {
      const sum = (f: (r: RealServerStatus) => number): number => vs.realServers.reduce((a, r) => a + f(r), 0)
      lines.push(`${vs.protocol}  ${name.padEnd(32)} ${col(sum((r) => r.connections), 8)} ${col(sum((r) => r.bytesIn), 10)} ${col(sum((r) => r.bytesOut), 10)}`)
      for (const r of table) {
        lines.push(`  -> ${hostPort(r.ip, r.port).padEnd(30)} ${col(r.connections, 8)} ${col(r.bytesIn, 10)} ${col(r.bytesOut, 10)}`)
      }
      continue
    }
    const flags = vs.persistenceTimeout ? ` persistent ${vs.persistenceTimeout}` : ''
    lines.push(`${vs.protocol}  ${name} ${vs.scheduler}${flags}`)
    for (const r of table) {
      const fwd = FORWARD[vs.lbKind]
      lines.push(`  -> ${hostPort(r.ip, r.port).padEnd(28)} ${fwd.padEnd(7)} ${String(r.weight).padEnd(6)} ${String(r.activeConns).padEnd(10)} ${String(r.inactiveConns).padEnd(10)}`.trimEnd())
    }
  }
  return lines.join('\n') + '\n'
}

const col = (n: number, width: number): string => String(n).padStart(width)
