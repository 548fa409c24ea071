/**
 * What the engine runs, derived from the keepalived.conf model: one entry per
 * vrrp_instance with keepalived's defaults resolved (version, advert interval,
 * multicast group, garp settings, script weights, nopreempt only with state
 * BACKUP). Pure; errors are HalErrors that point at the file:line.
 */
import type {KeepalivedConfig, NotifyScripts, RawStatement, SourceLoc, VirtualAddress, VrrpInstance, VrrpScript} from '../keepalived/model.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {advertIntervalMs, type VrrpVersion} from '../vrrp/timers.js'
import {unsupportedKeywords, type ConfigWarning} from './unsupported.js'

export interface TrackSpec {
  kind: 'script' | 'interface' | 'file'
  name: string
  weight: number
  reverse: boolean
}

export interface GarpSettings {
  /** second burst after becoming master, ms (0 = none); keepalived default 5 s */
  delayMs: number
  /** GARPs per address per burst; keepalived default 5 */
  repeat: number
  /** periodic refresh while master, ms (0 = none) */
  refreshMs: number
  refreshRepeat: number
  /** gap between two GARPs / NAs of a burst, ms */
  intervalMs: number
}

export interface EngineInstance {
  name: string
  iface: string
  vrid: number
  version: VrrpVersion
  family: 4 | 6
  priority: number
  advertIntMs: number
  initialState: 'MASTER' | 'BACKUP'
  nopreempt: boolean
  preemptDelayMs: number
  /** v2 simple password, cut to 8 bytes as keepalived does */
  authPass?: string
  /** addresses advertised and added (virtual_ipaddress) */
  vips: VirtualAddress[]
  /** added on MASTER but not advertised (virtual_ipaddress_excluded) */
  excludedVips: VirtualAddress[]
  mcastGroup: string
  unicastPeers: string[]
  /** source address override (unicast_src_ip / mcast_src_ip) */
  srcIp?: string
  /** adverts leave with the virtual MAC as source instead of the interface MAC */
  useVmac: boolean
  /** use_vmac: the macvlan (00:00:5e:00:01:VRID) made at start on the interface, home of the VIPs that name no dev */
  vmacIface?: string
  garp: GarpSettings
  tracks: TrackSpec[]
  /** virtual_routes and virtual_rules as `ip route` / `ip rule` arguments: added on MASTER, removed when leaving it */
  routes: string[][]
  rules: string[][]
  notify: NotifyScripts
  syncGroup?: string
  loc?: SourceLoc
}

export interface EngineScript {
  name: string
  script: string
  intervalMs: number
  timeoutMs: number
  rise: number
  fall: number
  weight: number
  reverse: boolean
  /** init_fail: failing until its first successes (keepalived's default: OK until a result says otherwise) */
  initFail?: boolean
}

/** vrrp_track_file: a file holding a number (keepalived reads it on every change) */
export interface EngineTrackFile {
  name: string
  path: string
  /** keepalived's default weight for a track file is 1 */
  weight: number
  reverse: boolean
}

export interface EngineSyncGroup {
  name: string
  members: string[]
  notify: NotifyScripts
}

export interface EngineConfig {
  instances: EngineInstance[]
  scripts: EngineScript[]
  /** the vrrp_track_file blocks an instance tracks */
  files: EngineTrackFile[]
  syncGroups: EngineSyncGroup[]
  staticAddresses: VirtualAddress[]
  /** static_routes / static_rules as `ip route` / `ip rule` arguments: added at start, removed at stop */
  staticRoutes: string[][]
  staticRules: string[][]
  /** what keepalived would only warn about, the engine too (it runs without the part in question) */
  warnings: ConfigWarning[]
}

export type {ConfigWarning} from './unsupported.js'

function where(loc?: SourceLoc): string | undefined {
  return loc ? `${loc.file}:${loc.line}` : undefined
}

function bad(message: string, loc: SourceLoc | undefined, hint: string): HalError {
  return new HalError('ENGINE_CONFIG', message, {where: where(loc), hint, exitCode: ExitCode.BadInput})
}

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4
}

const notifyKeys = ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notify'] as const

function pickNotify(n: NotifyScripts): NotifyScripts {
  const out: NotifyScripts = {}
  for (const k of notifyKeys) if (n[k]) out[k] = n[k]
  return out
}

function script(s: VrrpScript): EngineScript {
  const intervalMs = Math.max(10, Math.round((s.interval ?? 1) * 1000))
  return {
    name: s.name,
    script: s.script,
    intervalMs,
    timeoutMs: Math.max(10, Math.round((s.timeout ?? s.interval ?? 1) * 1000)),
    rise: Math.max(1, s.rise ?? 1),
    fall: Math.max(1, s.fall ?? 1),
    weight: s.weight ?? 0,
    reverse: s.weightReverse ?? false,
    ...(s.initFail ? {initFail: true} : {}),
  }
}

function instance(cfg: KeepalivedConfig, vi: VrrpInstance, scripts: Map<string, EngineScript>, files: Map<string, EngineTrackFile>, warnings: ConfigWarning[], syncGroup?: string): EngineInstance {
  const g = cfg.globalDefs ?? {}
  const version: VrrpVersion = vi.version ?? g.vrrpVersion ?? 2
  const at = vi.keyLocs?.virtual_router_id ?? vi.loc
  if (!Number.isInteger(vi.virtualRouterId) || vi.virtualRouterId < 1 || vi.virtualRouterId > 255)
    throw bad(`${vi.name}: virtual_router_id ${vi.virtualRouterId} is not 1..255`, at, 'pick a VRID from 1 to 255, the same on every peer')
  const priority = vi.priority ?? 100
  if (priority < 1 || priority > 255) throw bad(`${vi.name}: priority ${priority} is not 1..255`, vi.keyLocs?.priority ?? vi.loc, 'use 1..254, or 255 for the address owner')
  // keepalived runs an instance without addresses (it only warns)
  if (vi.virtualIpaddress.length === 0) warnings.push({message: `${vi.name}: no virtual_ipaddress; the instance elects but adds no address`, loc: vi.loc})
  const family = familyOf(vi.virtualIpaddress[0]?.address ?? vi.unicastSrcIp ?? vi.mcastSrcIp ?? '0.0.0.0')
  if (vi.virtualIpaddress.some((v) => familyOf(v.address) !== family))
    throw bad(`${vi.name}: virtual_ipaddress mixes IPv4 and IPv6`, vi.loc, 'put the IPv6 addresses in virtual_ipaddress_excluded or in a second instance')
  if (version === 2 && family === 6) throw bad(`${vi.name}: IPv6 needs VRRP version 3`, vi.loc, 'add `version 3` to the instance (keepalived does the same)')
  const advertIntMs = advertIntervalMs(version, vi.advertInt)
  if (version === 2 && vi.advertInt !== undefined && Math.round(vi.advertInt) !== vi.advertInt)
    throw bad(`${vi.name}: VRRPv2 advert_int must be whole seconds (got ${vi.advertInt})`, vi.keyLocs?.advert_int ?? vi.loc, 'use version 3 for sub-second intervals')
  // vrrp_strict: what keepalived 2.2.7 changes in the instance, with its warnings
  const strict = Boolean(g.vrrpStrict)
  const strictNote = (key: string, what: string) =>
    warnings.push({message: `${vi.name}: vrrp_strict: ${what}, as keepalived does`, loc: vi.keyLocs?.[key] ?? vi.loc})
  if (strict && vi.authentication) strictNote('authentication', 'authentication is not allowed; ignored')
  if (strict && vi.preemptDelay) strictNote('preempt_delay', 'preempt_delay is incompatible; reset to 0')
  if (strict && vi.state === 'MASTER' && priority !== 255) strictNote('state', 'state MASTER needs the address owner (priority 255); starting as BACKUP')
  if (vi.authentication?.type === 'AH') throw bad(`${vi.name}: auth_type AH is not supported by the embedded engine`, vi.loc, 'use auth_type PASS or no authentication')
  const tracks: TrackSpec[] = []
  for (const t of vi.trackScript ?? []) {
    const s = scripts.get(t.name)
    if (!s) {
      // keepalived: "track script ... not found, ignoring"
      warnings.push({message: `${vi.name}: track_script ${t.name} has no usable vrrp_script block; ignored`, loc: t.loc ?? vi.loc})
      continue
    }
    tracks.push({kind: 'script', name: t.name, weight: t.weight ?? s.weight, reverse: t.weight !== undefined ? (t.weightReverse ?? false) : s.reverse})
  }
  for (const t of rawTracks(vi.extra, 'track_file')) {
    const f = files.get(t.name)
    if (!f) {
      warnings.push({message: `${vi.name}: track_file ${t.name} has no vrrp_track_file block with a file; ignored`, loc: t.loc ?? vi.loc})
      continue
    }
    tracks.push({kind: 'file', name: t.name, weight: t.weight ?? f.weight, reverse: t.weight !== undefined ? t.reverse : f.reverse})
  }
  for (const t of vi.trackInterface ?? []) tracks.push({kind: 'interface', name: t.name, weight: t.weight ?? 0, reverse: t.weightReverse ?? false})
  if (!vi.dontTrackPrimary && !tracks.some((t) => t.kind === 'interface' && t.name === vi.interface))
    tracks.push({kind: 'interface', name: vi.interface, weight: 0, reverse: false})
  const mcastGroup = family === 4 ? (g.vrrpMcastGroup4 ?? '224.0.0.18') : (g.vrrpMcastGroup6 ?? 'ff02::12')
  return {
    name: vi.name,
    iface: vi.interface,
    vrid: vi.virtualRouterId,
    version,
    family,
    priority,
    advertIntMs,
    initialState: strict && priority !== 255 ? 'BACKUP' : (vi.state ?? 'BACKUP'),
    nopreempt: (vi.nopreempt ?? false) && (vi.state ?? 'BACKUP') === 'BACKUP',
    preemptDelayMs: strict ? 0 : Math.round((vi.preemptDelay ?? 0) * 1000),
    authPass: !strict && version === 2 && vi.authentication?.type === 'PASS' ? vi.authentication.pass.slice(0, 8) : undefined,
    vips: vi.virtualIpaddress,
    excludedVips: vi.virtualIpaddressExcluded ?? [],
    mcastGroup,
    unicastPeers: vi.unicastPeer ?? [],
    srcIp: vi.unicastSrcIp ?? vi.mcastSrcIp,
    useVmac: Boolean(vi.useVmac),
    vmacIface: vi.useVmac ? (typeof vi.useVmac === 'string' ? vi.useVmac : `vrrp.${vi.virtualRouterId}`) : undefined,
    garp: {
      delayMs: Math.round((vi.garpMasterDelay ?? g.vrrpGarpMasterDelay ?? 5) * 1000),
      repeat: Math.max(1, vi.garpMasterRepeat ?? g.vrrpGarpMasterRepeat ?? 5),
      refreshMs: Math.round((vi.garpMasterRefresh ?? g.vrrpGarpMasterRefresh ?? 0) * 1000),
      refreshRepeat: Math.max(1, vi.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat ?? 1),
      intervalMs: Math.round(((family === 4 ? g.vrrpGarpInterval : g.vrrpGnaInterval) ?? 0) * 1000),
    },
    tracks,
    routes: ipLines(vi.extra, 'virtual_routes'),
    rules: ipLines(vi.extra, 'virtual_rules'),
    notify: pickNotify(vi),
    syncGroup,
    loc: vi.loc,
  }
}

/**
 * The lines of a virtual_/static_ routes or rules block as `ip route` / `ip rule`
 * arguments: keepalived's syntax is ip's, with `gw` for `via` and its own
 * `no_track` (not ip's; the engine does not track routes anyway) dropped.
 */
export function ipLines(extra: readonly RawStatement[] | undefined, block: 'virtual_routes' | 'virtual_rules' | 'static_routes' | 'static_rules'): string[][] {
  const out: string[][] = []
  for (const b of extra ?? []) {
    if (b.keyword !== block) continue
    for (const line of b.block ?? []) out.push([line.keyword, ...line.args].filter((w) => w !== 'no_track').map((w) => (w === 'gw' ? 'via' : w)))
  }
  return out
}

/** `NAME [weight W [reverse]]` lines of an instance's track block kept verbatim (track_file) */
function rawTracks(extra: readonly RawStatement[] | undefined, block: string): Array<{name: string; weight?: number; reverse: boolean; loc?: SourceLoc}> {
  const out: Array<{name: string; weight?: number; reverse: boolean; loc?: SourceLoc}> = []
  for (const b of extra ?? []) {
    if (b.keyword !== block) continue
    for (const line of b.block ?? []) {
      const w = line.args[0] === 'weight' && /^[+-]?\d+$/.test(line.args[1] ?? '') ? Number(line.args[1]) : undefined
      out.push({name: line.keyword, ...(w !== undefined ? {weight: w} : {}), reverse: w !== undefined && line.args[2] === 'reverse', loc: line.loc})
    }
  }
  return out
}

/** vrrp_track_file blocks (kept verbatim by the parser): file, weight [reverse] */
function trackFiles(extra: readonly RawStatement[] | undefined, warnings: ConfigWarning[]): Map<string, EngineTrackFile> {
  const out = new Map<string, EngineTrackFile>()
  for (const b of extra ?? []) {
    if (b.keyword !== 'vrrp_track_file' || !b.args[0]) continue
    const line = (k: string) => b.block?.find((l) => l.keyword === k)
    const path = line('file')?.args[0]?.replace(/^"(.*)"$/, '$1')
    if (!path) {
      warnings.push({message: `vrrp_track_file ${b.args[0]} has no file; dropped`, loc: b.loc})
      continue
    }
    const w = line('weight')
    const weight = w && /^[+-]?\d+$/.test(w.args[0] ?? '') ? Number(w.args[0]) : 1
    out.set(b.args[0], {name: b.args[0], path, weight, reverse: w?.args[1] === 'reverse'})
  }
  return out
}

export function engineConfig(cfg: KeepalivedConfig): EngineConfig {
  const warnings: ConfigWarning[] = []
  const scripts = new Map<string, EngineScript>()
  for (const s of cfg.scripts) {
    // keepalived drops a vrrp_script without a command (and the tracks on it)
    if (!s.script?.trim()) warnings.push({message: `vrrp_script ${s.name} has no script; dropped`, loc: s.loc})
    else scripts.set(s.name, script(s))
  }
  const groupOf = new Map<string, string>()
  for (const g of cfg.syncGroups) for (const m of g.group) groupOf.set(m, g.name)
  const files = trackFiles(cfg.extra, warnings)
  const instances = cfg.instances.map((vi) => instance(cfg, vi, scripts, files, warnings, groupOf.get(vi.name)))
  const seen = new Map<string, EngineInstance>()
  for (const i of instances) {
    const key = `${i.iface}/${i.family}/${i.vrid}`
    const other = seen.get(key)
    if (other) throw bad(`${i.name} and ${other.name} both use VRID ${i.vrid} on ${i.iface}`, i.loc, 'each instance on an interface needs its own virtual_router_id per address family')
    seen.set(key, i)
  }
  const names = new Set(instances.map((i) => i.name))
  const syncGroups: EngineSyncGroup[] = []
  for (const g of cfg.syncGroups) {
    const missing = g.group.filter((m) => !names.has(m))
    if (missing.length) throw bad(`vrrp_sync_group ${g.name}: unknown instance ${missing.join(', ')}`, g.loc, 'list vrrp_instance names in group { }')
    syncGroups.push({name: g.name, members: [...g.group], notify: pickNotify(g)})
  }
  warnings.push(...unsupportedKeywords(cfg))
  const used = new Set(instances.flatMap((i) => i.tracks.filter((t) => t.kind === 'script').map((t) => t.name)))
  const usedFiles = new Set(instances.flatMap((i) => i.tracks.filter((t) => t.kind === 'file').map((t) => t.name)))
  return {
    instances,
    scripts: [...scripts.values()].filter((s) => used.has(s.name)),
    files: [...files.values()].filter((f) => usedFiles.has(f.name)),
    syncGroups,
    staticAddresses: cfg.staticIpaddress ?? [],
    staticRoutes: ipLines(cfg.extra, 'static_routes'),
    staticRules: ipLines(cfg.extra, 'static_rules'),
    warnings,
  }
}
