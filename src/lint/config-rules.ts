import {DEFAULT_MTU, maxVips} from '../keepalived/limits.js'
import type {KeepalivedConfig, SourceLoc, VirtualAddress, VrrpInstance} from '../keepalived/model.js'
import {DEFAULT_LB_ALGO, DEFAULT_LB_KIND, rangeOf, type BlockName} from '../keepalived/keywords.js'
import {addressKey, bareAddress, familyOf, isHostOrIp, isIp, isMulticast, isProblem, parseAddress, type Family} from '../net/address.js'
import type {Finding, Severity} from './types.js'

/**
 * Rules over one keepalived.conf (one node): what keepalived -t rejects or
 * silently changes, and the known traps. Pure: model in, findings out.
 */

export const DEFAULT_PRIORITY = 100
export const AUTH_PASS_MAX = 8

interface Located {
  loc?: SourceLoc
  keyLocs?: Record<string, SourceLoc>
}

class Collector {
  readonly findings: Finding[] = []
  constructor(private readonly file: string) {}

  add(severity: Severity, rule: string, message: string, at: SourceLoc | undefined, fix?: string): void {
    const f: Finding = {rule, severity, message, file: at?.file ?? this.file}
    if (at?.line) f.line = at.line
    if (fix) f.fix = fix
    this.findings.push(f)
  }

  /** where a keyword of a block is (its line), else the block itself */
  static at(node: Located, keyword?: string): SourceLoc | undefined {
    return (keyword && node.keyLocs?.[keyword]) || node.loc
  }

  range(node: Located, block: BlockName, keyword: string, value: number | undefined, what = keyword): void {
    if (value === undefined || Number.isNaN(value)) return
    const {min, max} = rangeOf(block, keyword)
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      this.add(
        'error',
        `${keyword.replace(/_/g, '-')}-range`,
        `${what} ${value} is outside [${min ?? '-∞'}, ${max ?? '∞'}]`,
        Collector.at(node, keyword),
        `use a value from ${min ?? '-∞'} to ${max ?? '∞'}`,
      )
    }
  }
}

const instanceRanges: [keyof VrrpInstance, string][] = [
  ['priority', 'priority'],
  ['advertInt', 'advert_int'],
  ['preemptDelay', 'preempt_delay'],
  ['garpMasterDelay', 'garp_master_delay'],
  ['garpMasterRepeat', 'garp_master_repeat'],
  ['garpMasterRefresh', 'garp_master_refresh'],
  ['garpMasterRefreshRepeat', 'garp_master_refresh_repeat'],
]

/** Family of an instance: its first valid VIP's (keepalived's rule), else IPv4. */
export function instanceFamily(vi: VrrpInstance): Family {
  for (const a of vi.virtualIpaddress) {
    const f = familyOf(a.address)
    if (f) return f
  }
  return vi.nativeIpv6 ? 'inet6' : 'inet'
}

function checkAddressList(c: Collector, list: VirtualAddress[], owner: string, family: Family | undefined): void {
  for (const a of list) {
    const p = parseAddress(a.address)
    if (isProblem(p)) {
      if (p.problem === 'invalid') {
        c.add('error', 'invalid-address', `${owner}: "${a.address}" is not an IP address; keepalived skips it`, a.loc, 'write an IPv4 or IPv6 address, optionally with /prefix')
      } else {
        c.add('error', 'invalid-prefix', `${owner}: prefix /${p.prefix} of ${a.address} is outside [0, ${p.max}]`, a.loc, `use a prefix from 0 to ${p.max}`)
      }
      continue
    }
    if (family && p.family !== family) {
      c.add('error', 'address-family', `${owner}: ${a.address} is ${p.family === 'inet' ? 'IPv4' : 'IPv6'} but the instance is ${family === 'inet' ? 'IPv4' : 'IPv6'}; keepalived ignores it`, a.loc, 'put IPv4 and IPv6 VIPs in separate instances (or use virtual_ipaddress_excluded)')
    }
    if (a.brd !== undefined && !isIp(a.brd) && a.brd !== '+' && a.brd !== '-') {
      c.add('error', 'invalid-address', `${owner}: brd "${a.brd}" is not an address`, a.loc)
    }
    const dangling = a.extra?.find((w) => ['dev', 'brd', 'scope', 'label'].includes(w))
    if (dangling) c.add('error', 'missing-value', `${owner}: "${dangling}" has no value for ${a.address}`, a.loc, `write "${dangling} VALUE" or remove it`)
  }
}

function lintInstance(c: Collector, vi: VrrpInstance, cfg: KeepalivedConfig): void {
  const name = `vrrp_instance ${vi.name}`
  const at = (k?: string) => Collector.at(vi, k)
  const strict = cfg.globalDefs?.vrrpStrict === true
  const version = vi.version ?? cfg.globalDefs?.vrrpVersion ?? 2
  if (!vi.interface && !vi.keyLocs?.interface) {
    c.add('error', 'missing-interface', `${name} has no interface`, at(), 'add "interface NAME" (the NIC the VIPs live on)')
  }
  if (!vi.keyLocs?.virtual_router_id) {
    c.add('error', 'missing-vrid', `${name} has no virtual_router_id; keepalived refuses the instance`, at(), 'add "virtual_router_id N" (1-255, the same on every node of this instance)')
  } else {
    c.range(vi, 'vrrp_instance', 'virtual_router_id', vi.virtualRouterId, `${name}: virtual_router_id`)
  }
  for (const [field, kw] of instanceRanges) c.range(vi, 'vrrp_instance', kw, vi[field] as number | undefined, `${name}: ${kw}`)
  if (vi.advertInt !== undefined && version === 2 && !Number.isInteger(vi.advertInt)) {
    c.add('warning', 'advert-int-fraction', `${name}: VRRPv2 advert_int must be whole seconds; keepalived rounds ${vi.advertInt}`, at('advert_int'), 'use an integer, or version 3 for sub-second adverts')
  }
  if (vi.advertInt !== undefined && version === 3 && vi.advertInt > 40.95) {
    c.add('warning', 'advert-int-v3', `${name}: VRRPv3 advert_int ${vi.advertInt} is over 40.95 s (12-bit centiseconds); keepalived uses 40.95`, at('advert_int'), 'use at most 40.95')
  }
  if (vi.nopreempt && vi.preemptDelay !== undefined) {
    c.add('warning', 'preempt-delay-nopreempt', `${name}: preempt_delay has no effect with nopreempt; keepalived drops it`, at('preempt_delay'), 'remove one of them')
  }
  if (vi.priority === 255 && vi.state !== 'MASTER') {
    c.add('warning', 'priority-owner', `${name}: priority 255 means address owner, but the state is ${vi.state ?? 'BACKUP'}`, at('priority'), 'use 1-254 unless this node owns the VIP addresses')
  }
  if (vi.nopreempt && vi.priority === 255) {
    c.add('warning', 'nopreempt-owner', `${name}: nopreempt does not work with priority 255 (the address owner always preempts); keepalived clears it`, at('nopreempt'), 'use a priority below 255 with nopreempt')
  }
  if (vi.nopreempt && vi.state === 'MASTER') {
    c.add('warning', 'nopreempt-master', `${name}: nopreempt does not work with state MASTER; keepalived clears it`, at('nopreempt'), 'use state BACKUP on every node with nopreempt')
  }
  const auth = vi.authentication
  if (auth) {
    // a password longer than keepalived keeps is reported where it is read (the keyword table's maxLength)
    if (version === 3) c.add('warning', 'v3-auth', `${name}: VRRPv3 has no authentication; keepalived ignores it`, at('authentication'), 'remove the authentication block')
    if (strict) c.add('warning', 'strict-auth', `${name}: vrrp_strict does not allow authentication; keepalived ignores it`, at('authentication'), 'remove vrrp_strict or the authentication block')
    if (auth.type === 'AH' && vi.state === 'MASTER') {
      c.add('warning', 'ah-master', `${name}: initial state MASTER is incompatible with AH authentication; keepalived starts it as BACKUP`, at('state'), 'use state BACKUP with AH')
    }
  }
  if (strict && vi.state === 'MASTER' && vi.priority !== 255) {
    c.add('warning', 'strict-master-owner', `${name}: with vrrp_strict, state MASTER is for the address owner (priority 255); keepalived starts it as BACKUP`, at('state'), 'use state BACKUP (the highest priority still wins), or priority 255 on the owner')
  }
  for (const ref of vi.trackInterface ?? []) {
    if (ref.name === vi.interface) c.add('info', 'track-own-interface', `${name}: tracking its own interface ${ref.name} is implicit; keepalived ignores this entry`, ref.loc ?? at('track_interface'), 'remove it')
  }
  if (strict && (vi.unicastPeer?.length ?? 0) > 0) {
    c.add('warning', 'strict-unicast', `${name}: vrrp_strict is meant for multicast VRRP (RFC); unicast peers break strict compliance`, at('unicast_peer'), 'remove vrrp_strict or the unicast peers')
  }
  // native_ipv6 read after IPv4 VIPs is what keepalived rejects (before them, it rejects the VIPs)
  const nativeLine = vi.keyLocs?.native_ipv6?.line ?? 0
  const vipLine = vi.keyLocs?.virtual_ipaddress?.line ?? Infinity
  const lateNative = vi.nativeIpv6 === true && nativeLine > vipLine && instanceFamily({...vi, nativeIpv6: false}) === 'inet'
  if (lateNative) c.add('warning', 'address-family', `${name}: native_ipv6 with IPv4 virtual addresses; keepalived ignores native_ipv6`, at('native_ipv6'), 'remove native_ipv6 or use IPv6 VIPs')
  const family = vi.nativeIpv6 && !lateNative ? 'inet6' : instanceFamily({...vi, nativeIpv6: false})
  if (!vi.virtualIpaddress.some((a) => !isProblem(parseAddress(a.address)))) {
    c.add('warning', 'no-vip', `${name} has no ${vi.virtualIpaddress.length ? 'valid ' : ''}virtual_ipaddress`, at('virtual_ipaddress'), 'add the VIP(s) this instance moves')
  }
  checkAddressList(c, vi.virtualIpaddress, name, family)
  if (vi.virtualIpaddressExcluded) checkAddressList(c, vi.virtualIpaddressExcluded, name, undefined)
  const count = vi.virtualIpaddress.filter((a) => familyOf(bareAddress(a.address)) === family).length
  const max = maxVips(family === 'inet6' ? 6 : 4)
  if (count > max) {
    c.add('error', 'vip-count', `${name} has ${count} ${family === 'inet6' ? 'IPv6' : 'IPv4'} VIPs; keepalived -t refuses more than ${max} in one instance (one advert carries them all, MTU ${DEFAULT_MTU})`, at('virtual_ipaddress'), 'split the VIPs over several instances, or move the extra ones to virtual_ipaddress_excluded')
  }
  const own = new Set([vi.unicastSrcIp, vi.mcastSrcIp].filter((x): x is string => x !== undefined).map((x) => addressKey(bareAddress(x))))
  for (const a of vi.virtualIpaddress) {
    if (own.has(addressKey(bareAddress(a.address)))) {
      c.add('warning', 'vip-own-address', `${name}: VIP ${a.address} is this node's own address; the backup would remove it from the node when it loses the VIP`, a.loc ?? at('virtual_ipaddress'), 'use an address no node has as its own')
    }
  }
  for (const [kw, ip] of [['unicast_src_ip', vi.unicastSrcIp], ['mcast_src_ip', vi.mcastSrcIp]] as const) {
    if (ip === undefined) continue
    if (!isIp(ip)) {
      const p = parseAddress(ip)
      if (!isProblem(p)) c.add('warning', 'address-prefix', `${name}: ${kw} ${ip} should be a bare address`, at(kw), `write ${bareAddress(ip)}`)
      else c.add('warning', 'invalid-address', `${name}: ${kw} "${ip}" is not an IP address (keepalived does not check it)`, at(kw))
    }
  }
  const src = vi.unicastSrcIp?.split('/')[0]
  const peerFamilies = (vi.unicastPeer ?? []).map((p) => familyOf(bareAddress(p)))
  // any of these makes keepalived expect unicast peers (unicast_fault_no_peer: it goes to fault instead)
  const unicastConfigured = ['unicast_peer', 'check_unicast_src', 'old_unicast_checksum'].some((k) => vi.keyLocs?.[k]) && !vi.keyLocs?.unicast_fault_no_peer
  if ((vi.unicastSrcIp !== undefined || unicastConfigured) && !peerFamilies.some((f) => f === family)) {
    c.add('warning', 'unicast-no-peer', `${name}: ${vi.unicastSrcIp !== undefined ? 'unicast_src_ip' : 'unicast configured'} without a usable unicast_peer; keepalived falls back to multicast`, at(vi.unicastSrcIp !== undefined ? 'unicast_src_ip' : 'unicast_peer'), 'list the other nodes in unicast_peer, or remove unicast_src_ip')
  }
  if (vi.keyLocs?.unicast_ttl && (vi.unicastPeer?.length ?? 0) === 0) {
    c.add('warning', 'unicast-ttl-no-peer', `${name}: unicast_ttl without unicast peers; keepalived resets it`, at('}'), 'remove unicast_ttl or add unicast_peer')
  }
  for (const [i, peer] of (vi.unicastPeer ?? []).entries()) {
    const pf = peerFamilies[i]
    if (pf && pf !== family) {
      c.add('error', 'address-family', `${name}: unicast_peer ${peer} is ${pf === 'inet' ? 'IPv4' : 'IPv6'} but the instance is ${family === 'inet' ? 'IPv4' : 'IPv6'}; keepalived skips it`, vi.keyLocs?.[`unicast_peer[${i}]`] ?? at('unicast_peer'), 'use peers of the instance address family')
    }
    if (src && bareAddress(peer) === src) {
      c.add('warning', 'unicast-self-peer', `${name}: unicast_peer lists this node's own unicast_src_ip ${src}`, vi.keyLocs?.[`unicast_peer[${i}]`] ?? at('unicast_peer'), 'list only the other nodes')
    }
    if (!isIp(bareAddress(peer))) c.add('error', 'invalid-address', `${name}: unicast_peer "${peer}" is not an IP address`, vi.keyLocs?.[`unicast_peer[${i}]`] ?? at('unicast_peer'))
  }
  const scripts = new Map(cfg.scripts.map((s) => [s.name, s]))
  for (const ref of vi.trackScript ?? []) {
    const script = scripts.get(ref.name)
    if (!script) {
      c.add('error', 'script-undefined', `${name} tracks vrrp_script ${ref.name}, which is not defined; keepalived ignores it`, ref.loc ?? at('track_script'), `define "vrrp_script ${ref.name} { script ... }" or fix the name`)
    } else if (!script.script) {
      c.add('error', 'script-undefined', `${name} tracks vrrp_script ${ref.name}, which has no script line; keepalived drops it`, ref.loc ?? at('track_script'), `add a script line to vrrp_script ${ref.name}`)
    }
    checkWeight(c, ref.weight, ref.loc ?? at('track_script'), `${name}: track_script ${ref.name} weight`)
  }
  for (const ref of vi.trackInterface ?? []) checkWeight(c, ref.weight, ref.loc ?? at('track_interface'), `${name}: track_interface ${ref.name} weight`)
}

function checkWeight(c: Collector, w: number | undefined, at: SourceLoc | undefined, what: string): void {
  if (w !== undefined && (w < -253 || w > 253)) c.add('error', 'weight-range', `${what} ${w} is outside [-253, 253]`, at, 'use a weight from -253 to 253')
}

function lintScripts(c: Collector, cfg: KeepalivedConfig): void {
  const used = new Set<string>()
  for (const x of [...cfg.instances, ...cfg.syncGroups]) for (const r of x.trackScript ?? []) used.add(r.name)
  const seen = new Set<string>()
  for (const s of cfg.scripts) {
    const name = `vrrp_script ${s.name}`
    // keepalived -t accepts it; a tracking reference finds one of the two
    if (seen.has(s.name)) c.add('warning', 'duplicate-name', `${name} is defined twice; only one definition is used`, s.loc, 'rename or remove one')
    seen.add(s.name)
    if (!s.script) {
      c.add('error', 'script-missing-command', `${name} has no script line; keepalived removes it`, Collector.at(s, '}'), 'add "script \\"/path/to/check args\\""')
    }
    for (const kw of ['interval', 'timeout', 'rise', 'fall'] as const) c.range(s, 'vrrp_script', kw, s[kw], `${name}: ${kw}`)
    checkWeight(c, s.weight, Collector.at(s, 'weight'), `${name}: weight`)
    if (!used.has(s.name)) c.add('warning', 'script-unused', `${name} is defined but no instance or sync group tracks it`, s.loc, `add it to a track_script block or remove it`)
    if (s.timeout !== undefined && s.interval !== undefined && s.timeout > s.interval) {
      c.add('info', 'script-timeout', `${name}: timeout ${s.timeout}s is longer than interval ${s.interval}s`, Collector.at(s, 'timeout'))
    }
  }
  const runsScripts =
    cfg.scripts.length > 0 ||
    [...cfg.instances, ...cfg.syncGroups].some((x) => x.notify || x.notifyMaster || x.notifyBackup || x.notifyFault || x.notifyStop) ||
    cfg.virtualServers.some((v) => v.quorumUp || v.quorumDown || v.realServers.some((r) => r.notifyUp || r.notifyDown || r.checkers.some((k) => k.type === 'MISC_CHECK')))
  if (runsScripts && !cfg.globalDefs?.enableScriptSecurity) {
    const first = cfg.scripts[0]?.loc ?? cfg.instances[0]?.loc
    c.add('warning', 'script-security', 'scripts run without enable_script_security; keepalived refuses scripts writable by non-root users only when it is on', cfg.globalDefs?.loc ?? first, 'add enable_script_security (and script_user) to global_defs')
  }
}

function lintGlobals(c: Collector, cfg: KeepalivedConfig): void {
  const g = cfg.globalDefs
  if (!g) return
  const r = (kw: string, v: number | undefined) => c.range(g, 'global_defs', kw, v)
  r('vrrp_garp_interval', g.vrrpGarpInterval)
  r('vrrp_gna_interval', g.vrrpGnaInterval)
  r('vrrp_garp_master_delay', g.vrrpGarpMasterDelay)
  r('vrrp_garp_master_repeat', g.vrrpGarpMasterRepeat)
  r('vrrp_garp_master_refresh', g.vrrpGarpMasterRefresh)
  r('vrrp_garp_master_refresh_repeat', g.vrrpGarpMasterRefreshRepeat)
  r('smtp_connect_timeout', g.smtpConnectTimeout)
  if (g.smtpServer !== undefined && !isHostOrIp(g.smtpServer)) {
    c.add('error', 'invalid-address', `smtp_server "${g.smtpServer}" is not a host name or address`, Collector.at(g, 'smtp_server'))
  }
  if (g.smtpServer !== undefined && isHostOrIp(g.smtpServer) && !isIp(g.smtpServer)) {
    c.add('info', 'host-dependent', `smtp_server ${g.smtpServer} is a host name: keepalived resolves it when it reads the config, so it must resolve on the node (checked there by deploy)`, Collector.at(g, 'smtp_server'), 'use an IP address to avoid depending on DNS at start-up')
  }
  if (g.smtpServerPort !== undefined && (g.smtpServerPort < 1 || g.smtpServerPort > 65535)) {
    c.add('error', 'port-range', `smtp_server port ${g.smtpServerPort} is outside [1, 65535]`, Collector.at(g, 'smtp_server'))
  }
  for (const [kw, v, fam] of [['vrrp_mcast_group4', g.vrrpMcastGroup4, 'inet'], ['vrrp_mcast_group6', g.vrrpMcastGroup6, 'inet6']] as const) {
    if (v !== undefined && (!isMulticast(v) || familyOf(v) !== fam)) {
      c.add('error', 'invalid-address', `${kw} ${v} is not an ${fam === 'inet' ? 'IPv4' : 'IPv6'} multicast address`, Collector.at(g, kw))
    }
  }
}

function lintSyncGroups(c: Collector, cfg: KeepalivedConfig): void {
  const names = new Set(cfg.instances.map((i) => i.name))
  const member = new Map<string, string>()
  for (const sg of cfg.syncGroups) {
    const name = `vrrp_sync_group ${sg.name}`
    for (const m of sg.group) {
      if (!names.has(m)) c.add('error', 'sync-group-member', `${name} lists ${m}, which is not a vrrp_instance here`, Collector.at(sg, 'group'), 'fix the instance name')
      const other = member.get(m)
      if (other) c.add('error', 'sync-group-member', `${m} is in both ${other} and ${sg.name}`, Collector.at(sg, 'group'))
      member.set(m, sg.name)
    }
    if (sg.group.length === 0) c.add('error', 'sync-group-empty', `${name} has no group of instances; keepalived removes it`, sg.loc, 'add "group { VI_1 VI_2 }"')
    if (sg.group.length === 1) c.add('warning', 'sync-group-single', `${name} has only one instance; a sync group needs two or more`, Collector.at(sg, 'group'), 'add the other instance(s) or drop the sync group')
  }
}

function lintVirtualServers(c: Collector, cfg: KeepalivedConfig): void {
  for (const vs of cfg.virtualServers) {
    const name = `virtual_server ${vs.address ?? (vs.fwmark !== undefined ? `fwmark ${vs.fwmark}` : `group ${vs.group}`)}${vs.port !== undefined ? ` ${vs.port}` : ''}`
    if (vs.address !== undefined) {
      if (!isIp(vs.address)) c.add('error', 'invalid-address', `${name}: "${vs.address}" is not an IP address`, vs.loc)
      if (vs.port === undefined) c.add('error', 'missing-value', `${name} has no port`, vs.loc, 'write "virtual_server IP PORT {"')
    }
    if (vs.port !== undefined && (vs.port < 1 || vs.port > 65535)) c.add('error', 'port-range', `${name}: port ${vs.port} is outside [1, 65535]`, vs.loc)
    c.range(vs, 'virtual_server', 'persistence_timeout', vs.persistenceTimeout, `${name}: persistence_timeout`)
    c.range(vs, 'virtual_server', 'delay_loop', vs.delayLoop, `${name}: delay_loop`)
    c.range(vs, 'virtual_server', 'quorum', vs.quorum, `${name}: quorum`)
    const weights = vs.realServers.reduce((n, r) => n + (r.weight ?? 1), 0)
    if (vs.quorum !== undefined && vs.realServers.length > 0 && vs.quorum > weights) {
      c.add('warning', 'quorum-weight', `${name}: quorum ${vs.quorum} exceeds the total real_server weight ${weights}; keepalived lowers it`, Collector.at(vs, 'quorum'), `use a quorum of at most ${weights}`)
    }
    if (!vs.lbKind) c.add('info', 'lvs-default', `${name} has no valid lb_kind; keepalived uses ${DEFAULT_LB_KIND}`, vs.loc, 'set lb_kind NAT, DR or TUN')
    if (!vs.lbAlgo) c.add('info', 'lvs-default', `${name} has no valid lb_algo; keepalived uses ${DEFAULT_LB_ALGO}`, vs.loc, 'set lb_algo (rr, wrr, lc, wlc, ...)')
    if (vs.fwmark !== undefined && vs.protocol) {
      c.add('warning', 'fwmark-protocol', `${name}: protocol has no effect on a fwmark service; keepalived ignores it`, Collector.at(vs, 'protocol'), 'remove protocol')
    }
    if (!vs.protocol && (vs.keyLocs?.protocol || vs.fwmark === undefined)) {
      c.add('info', 'lvs-default', `${name} has no valid protocol; keepalived picks one`, vs.loc, 'set protocol TCP, UDP or SCTP')
    }
    if (vs.sorryServer && !isIp(vs.sorryServer.ip)) c.add('warning', 'invalid-address', `${name}: sorry_server "${vs.sorryServer.ip}" is not an IP address`, Collector.at(vs, 'sorry_server'))
    if (vs.realServers.length === 0 && !vs.sorryServer) c.add('warning', 'no-real-server', `${name} has no real_server`, vs.loc)
    const seenRs = new Set<string>()
    for (const rs of vs.realServers) {
      const rname = `${name}: real_server ${rs.ip}`
      const key = `${rs.ip}|${rs.port ?? vs.port}`
      if (seenRs.has(key)) c.add('warning', 'duplicate-real-server', `${rname} ${rs.port ?? ''} is listed twice; keepalived drops the second`.replace(' ;', ';'), rs.loc, 'remove the duplicate')
      seenRs.add(key)
      if ((vs.lbKind === 'DR' || vs.lbKind === 'TUN') && rs.port !== undefined && vs.port !== undefined && rs.port !== vs.port) {
        c.add('warning', 'lvs-port-remap', `${rname}: lb_kind ${vs.lbKind} cannot map port ${vs.port} to ${rs.port}; keepalived uses ${vs.port}`, rs.loc, `use port ${vs.port} or lb_kind NAT`)
      }
      if (!isIp(rs.ip)) c.add('error', 'invalid-address', `${rname}: not an IP address`, rs.loc)
      c.range(rs, 'real_server', 'weight', rs.weight, `${rname}: weight`)
      for (const k of rs.checkers) {
        if (k.type === 'MISC_CHECK') {
          if (!k.miscPath) c.add('error', 'missing-value', `${rname}: MISC_CHECK has no misc_path; keepalived skips the checker`, Collector.at(k, '}'), 'add misc_path "/path/to/check args"')
          continue
        }
        c.range(k, 'tcp_check', 'connect_port', k.connectPort, `${rname}: connect_port`)
        c.range(k, 'tcp_check', 'connect_timeout', k.connectTimeout, `${rname}: connect_timeout`)
        if (k.connectIp !== undefined && !isIp(k.connectIp)) c.add('error', 'invalid-address', `${rname}: connect_ip "${k.connectIp}" is not an IP address`, Collector.at(k, 'connect_ip'))
        if (k.type !== 'TCP_CHECK' && k.urls.length === 0) {
          c.add('error', 'missing-value', `${rname}: ${k.type} has no url block (keepalived 2.2.7 -t crashes on it)`, Collector.at(k, '}'), 'add url { path / status_code 200 }')
        }
      }
    }
  }
}

function lintDuplicates(c: Collector, cfg: KeepalivedConfig): void {
  const byName = new Set<string>()
  const byVrid = new Map<string, VrrpInstance>()
  for (const vi of cfg.instances) {
    if (byName.has(vi.name)) c.add('error', 'duplicate-name', `vrrp_instance ${vi.name} is defined twice`, vi.loc, 'give each instance its own name')
    byName.add(vi.name)
    if (!vi.virtualRouterId) continue
    const key = `${vi.interface}|${instanceFamily(vi)}|${vi.virtualRouterId}`
    const first = byVrid.get(key)
    if (first && first.name !== vi.name) {
      c.add(
        'error',
        'vrid-duplicate',
        `vrrp_instance ${vi.name} uses virtual_router_id ${vi.virtualRouterId} on ${vi.interface || '(no interface)'} like ${first.name}`,
        Collector.at(vi, 'virtual_router_id'),
        'give each instance on an interface its own VRID',
      )
    } else byVrid.set(key, vi)
  }
}

/** The same VIP in two instances (or twice in one): both would add and remove it. */
function lintDuplicateVips(c: Collector, cfg: KeepalivedConfig): void {
  const seen = new Map<string, string>()
  for (const vi of cfg.instances) {
    for (const a of [...vi.virtualIpaddress, ...(vi.virtualIpaddressExcluded ?? [])]) {
      const key = addressKey(bareAddress(a.address))
      const prev = seen.get(key)
      if (prev !== undefined) {
        c.add('warning', 'duplicate-vip', `VIP ${bareAddress(a.address)} is in ${prev === vi.name ? `vrrp_instance ${vi.name} twice` : `both vrrp_instance ${prev} and ${vi.name}`}; whichever instance changes state last decides whether the node has it`, a.loc, 'give each VIP to exactly one instance')
      } else seen.set(key, vi.name)
    }
  }
}

export function lintConfig(cfg: KeepalivedConfig, file: string): Finding[] {
  const c = new Collector(file)
  lintGlobals(c, cfg)
  for (const vi of cfg.instances) lintInstance(c, vi, cfg)
  lintDuplicates(c, cfg)
  lintDuplicateVips(c, cfg)
  lintScripts(c, cfg)
  lintSyncGroups(c, cfg)
  lintVirtualServers(c, cfg)
  return c.findings
}
