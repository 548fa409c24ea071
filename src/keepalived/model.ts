/**
 * keepalived.conf as data: the one model that `init` renders, and that `lint`
 * and `run` get back from the parser. Field names follow keepalived's keywords
 * in camelCase; units are keepalived's (seconds for advert_int and timers).
 *
 * Parsed objects carry `loc` (where the block or keyword started) so findings
 * can point at file:line; rendered-from-spec objects leave it out. Compare
 * models with `stripLocations()`.
 */

export interface SourceLoc {
  file: string
  line: number
}

/** A keyword the model does not know, kept verbatim (the spec's `raw` escape hatch, or unknown parsed keywords). */
export interface RawStatement {
  keyword: string
  args: string[]
  /** present when the keyword opens a `{ }` block */
  block?: RawStatement[]
  loc?: SourceLoc
}

interface Node {
  loc?: SourceLoc
  /** per-keyword locations for parsed configs, keyed by keepalived keyword (e.g. "priority") */
  keyLocs?: Record<string, SourceLoc>
  /** keywords kept verbatim, rendered at the end of the block */
  extra?: RawStatement[]
}

export interface KeepalivedConfig extends Node {
  globalDefs?: GlobalDefs
  /** static_ipaddress { ... } */
  staticIpaddress?: VirtualAddress[]
  scripts: VrrpScript[]
  syncGroups: SyncGroup[]
  instances: VrrpInstance[]
  virtualServers: VirtualServer[]
}

export interface ScriptUser {
  user: string
  group?: string
}

export interface GlobalDefs extends Node {
  routerId?: string
  notificationEmail?: string[]
  notificationEmailFrom?: string
  smtpServer?: string
  smtpServerPort?: number
  smtpConnectTimeout?: number
  vrrpMcastGroup4?: string
  vrrpMcastGroup6?: string
  vrrpSkipCheckAdvAddr?: boolean
  vrrpStrict?: boolean
  /** seconds */
  vrrpGarpInterval?: number
  /** seconds */
  vrrpGnaInterval?: number
  vrrpGarpMasterDelay?: number
  vrrpGarpMasterRepeat?: number
  vrrpGarpMasterRefresh?: number
  vrrpGarpMasterRefreshRepeat?: number
  vrrpVersion?: 2 | 3
  enableScriptSecurity?: boolean
  scriptUser?: ScriptUser
}

/** One line of virtual_ipaddress / static_ipaddress / virtual_ipaddress_excluded. */
export interface VirtualAddress {
  /** address with optional /prefix, as written: "192.168.1.10/24", "fd00::10/64" */
  address: string
  brd?: string
  dev?: string
  scope?: string
  label?: string
  /** remaining words kept verbatim (e.g. "no_track") */
  extra?: string[]
  loc?: SourceLoc
}

export interface VrrpScript extends Node {
  name: string
  /** full command line, as keepalived takes it (quoted when it has spaces) */
  script: string
  /** seconds */
  interval?: number
  /** seconds */
  timeout?: number
  weight?: number
  /** `weight N reverse` */
  weightReverse?: boolean
  rise?: number
  fall?: number
  user?: ScriptUser
  initFail?: boolean
}

export interface TrackRef {
  name: string
  /** per-track weight override (`chk_nginx weight 20`) */
  weight?: number
  weightReverse?: boolean
  loc?: SourceLoc
}

export interface NotifyScripts {
  notifyMaster?: string
  notifyBackup?: string
  notifyFault?: string
  notifyStop?: string
  notify?: string
  smtpAlert?: boolean
}

export interface SyncGroup extends Node, NotifyScripts {
  name: string
  group: string[]
  trackScript?: TrackRef[]
  trackInterface?: TrackRef[]
}

export type VrrpState = 'MASTER' | 'BACKUP'

export interface VrrpAuth {
  type: 'PASS' | 'AH'
  /** the secret itself; never logged (see lib/redact) */
  pass: string
}

export interface VrrpInstance extends Node, NotifyScripts {
  name: string
  state?: VrrpState
  interface: string
  virtualRouterId: number
  priority?: number
  /** seconds (v3 accepts fractions, e.g. 0.05) */
  advertInt?: number
  version?: 2 | 3
  nopreempt?: boolean
  /** seconds */
  preemptDelay?: number
  authentication?: VrrpAuth
  virtualIpaddress: VirtualAddress[]
  virtualIpaddressExcluded?: VirtualAddress[]
  unicastSrcIp?: string
  unicastPeer?: string[]
  mcastSrcIp?: string
  trackScript?: TrackRef[]
  trackInterface?: TrackRef[]
  garpMasterDelay?: number
  garpMasterRepeat?: number
  garpMasterRefresh?: number
  garpMasterRefreshRepeat?: number
  useVmac?: boolean | string
  vmacXmitBase?: boolean
  nativeIpv6?: boolean
  dontTrackPrimary?: boolean
  noAccept?: boolean
  accept?: boolean
}

export type LbAlgo = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'sh' | 'mh' | 'dh' | 'sed' | 'nq' | 'fo' | 'ovf'
export type LbKind = 'NAT' | 'DR' | 'TUN'

export interface HttpUrl {
  path: string
  digest?: string
  /** "200", "200-299" or a list "200 204" as keepalived writes it */
  statusCode?: string
  loc?: SourceLoc
}

interface CheckerCommon extends Node {
  connectIp?: string
  connectPort?: number
  bindto?: string
  bindPort?: number
  /** seconds */
  connectTimeout?: number
  /** keepalived's `retry` (older configs: nb_get_retry) */
  retry?: number
  /** seconds */
  delayBeforeRetry?: number
  warmup?: number
}

export interface HttpChecker extends CheckerCommon {
  type: 'HTTP_GET' | 'SSL_GET'
  urls: HttpUrl[]
  virtualhost?: string
}

export interface TcpChecker extends CheckerCommon {
  type: 'TCP_CHECK'
}

export interface MiscChecker extends Node {
  type: 'MISC_CHECK'
  miscPath: string
  /** seconds */
  miscTimeout?: number
  miscDynamic?: boolean
  user?: ScriptUser
  warmup?: number
}

export type Checker = HttpChecker | TcpChecker | MiscChecker

export interface RealServer extends Node {
  ip: string
  port?: number
  weight?: number
  inhibitOnFailure?: boolean
  notifyUp?: string
  notifyDown?: string
  /** seconds; overrides the virtual_server's delay_loop */
  delayLoop?: number
  checkers: Checker[]
}

export interface VirtualServer extends Node {
  /** exactly one of address+port, fwmark, group */
  address?: string
  port?: number
  fwmark?: number
  group?: string
  /** seconds */
  delayLoop?: number
  lbAlgo?: LbAlgo
  lbKind?: LbKind
  protocol?: 'TCP' | 'UDP' | 'SCTP'
  /** seconds */
  persistenceTimeout?: number
  persistenceGranularity?: string
  virtualhost?: string
  sorryServer?: {ip: string; port?: number}
  sorryServerInhibit?: boolean
  quorum?: number
  hysteresis?: number
  quorumUp?: string
  quorumDown?: string
  alpha?: boolean
  omega?: boolean
  inhibitOnFailure?: boolean
  realServers: RealServer[]
}

/** A config with no blocks. */
export function emptyConfig(): KeepalivedConfig {
  return {scripts: [], syncGroups: [], instances: [], virtualServers: []}
}

/** Deep copy without `loc` and `keyLocs`, for comparing a parsed model with a rendered one. */
export function stripLocations<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) {
        if (k === 'loc' || k === 'keyLocs' || x === undefined) continue
        o[k] = walk(x)
      }
      return o
    }
    return v
  }
  return walk(value) as T
}
