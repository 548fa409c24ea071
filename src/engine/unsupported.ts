/**
 * keepalived keywords the engine accepts but does not implement: each one
 * present in a config gets a warning that names it and says what runs
 * differently (keepalived would act on it). Pure: the parsed model's
 * per-keyword locations (`keyLocs`) and kept-verbatim blocks (`extra`) say
 * what the file contains.
 */
import type {KeepalivedConfig, SourceLoc} from '../keepalived/model.js'

/** A keyword the engine reads differently from keepalived or not at all, with where it is */
export interface ConfigWarning {
  message: string
  loc?: SourceLoc
}

/** what the engine does with each block's keywords ("}" is the block's end) */
const IMPLEMENTED: Record<'global_defs' | 'vrrp_instance' | 'vrrp_script' | 'vrrp_sync_group', ReadonlySet<string>> = {
  global_defs: new Set([
    '}',
    // no effect on VRRP: identification and the mail settings (mail is warned about at smtp_alert)
    'router_id',
    'notification_email',
    'notification_email_from',
    'smtp_server',
    'smtp_connect_timeout',
    'vrrp_mcast_group4',
    'vrrp_mcast_group6',
    'vrrp_garp_interval',
    'vrrp_gna_interval',
    'vrrp_garp_master_delay',
    'vrrp_garp_master_repeat',
    'vrrp_garp_master_refresh',
    'vrrp_garp_master_refresh_repeat',
    'vrrp_version',
  ]),
  vrrp_instance: new Set([
    '}',
    'state',
    'interface',
    'virtual_router_id',
    'priority',
    'advert_int',
    'version',
    'nopreempt',
    'preempt_delay',
    'authentication',
    'auth_type',
    'auth_pass',
    'virtual_ipaddress',
    'virtual_ipaddress_excluded',
    'unicast_peer',
    'unicast_src_ip',
    'mcast_src_ip',
    'track_script',
    'track_interface',
    'dont_track_primary',
    'notify',
    'notify_master',
    'notify_backup',
    'notify_fault',
    'notify_stop',
    'garp_master_delay',
    'garp_master_repeat',
    'garp_master_refresh',
    'garp_master_refresh_repeat',
    'virtual_routes',
    'virtual_rules',
    'track_file',
    'use_vmac',
  ]),
  vrrp_script: new Set(['}', 'script', 'interval', 'timeout', 'rise', 'fall', 'weight', 'init_fail']),
  vrrp_sync_group: new Set(['}', 'group', 'notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop']),
}

/** what running without a keyword means, where it is more than "ignored" */
const EFFECT: Record<string, string> = {
  vmac_xmit_base: 'adverts still leave with the virtual MAC, not the base interface\'s own',
  track_process: 'the process is not watched: its absence neither changes the priority nor puts the instance in FAULT',
  track_bfd: 'BFD is not run: the instance does not react to the BFD session',
  vrrp_strict: "the firewall rule keepalived sets to drop traffic to a MASTER's addresses when it is not their owner (priority 255) is not set; authentication, preempt_delay and state MASTER are handled as keepalived does",
  smtp_alert: 'no mail is sent on state changes',
  script_user: 'scripts run as the user running halctl run',
  enable_script_security: 'script paths are not checked for safe ownership',
  user: 'the script runs as the user running halctl run',
  vrrp_track_process: 'the process is not watched (see track_process)',
  notify_master_rx_lower_pri: 'the script is not run',
  notify_deleted: 'the script is not run',
  native_ipv6: 'the address family comes from virtual_ipaddress',
}

function describe(keyword: string, where: string): string {
  const effect = EFFECT[keyword]
  return `${where}${keyword} is not implemented by halctl run; ${effect ?? 'ignored'} (keepalived acts on it)`
}

function fromKeyLocs(block: keyof typeof IMPLEMENTED, name: string | undefined, keyLocs: Record<string, SourceLoc> | undefined, fallback: SourceLoc | undefined, out: ConfigWarning[]): void {
  const done = IMPLEMENTED[block]
  for (const [keyword, loc] of Object.entries(keyLocs ?? {})) {
    // "unicast_peer[2]": one peer's line
    if (done.has(keyword) || done.has(keyword.replace(/\[\d+\]$/, ''))) continue
    out.push({message: describe(keyword, name ? `${name}: ` : `${block}: `), loc: loc ?? fallback})
  }
}

/** A warning for each keyword present that the engine does not implement. */
export function unsupportedKeywords(cfg: KeepalivedConfig): ConfigWarning[] {
  const out: ConfigWarning[] = []
  if (cfg.globalDefs) fromKeyLocs('global_defs', undefined, cfg.globalDefs.keyLocs, cfg.globalDefs.loc, out)
  for (const s of cfg.scripts) fromKeyLocs('vrrp_script', `vrrp_script ${s.name}`, s.keyLocs, s.loc, out)
  for (const g of cfg.syncGroups) fromKeyLocs('vrrp_sync_group', `vrrp_sync_group ${g.name}`, g.keyLocs, g.loc, out)
  for (const vi of cfg.instances) fromKeyLocs('vrrp_instance', vi.name, vi.keyLocs, vi.loc, out)
  // top-level blocks the model keeps verbatim, but for the engine's own
  for (const x of cfg.extra ?? []) {
    if (ENGINE_BLOCKS.has(x.keyword)) continue
    out.push({message: describe(x.keyword, ''), loc: x.loc})
  }
  return out
}

/** top-level blocks the model keeps verbatim that the engine runs (net_namespace is checked at load) */
const ENGINE_BLOCKS = new Set(['net_namespace', 'vrrp_track_file', 'static_routes', 'static_rules'])

/** keepalived's top-level net_namespace (the namespace it runs in), if set. */
export function netNamespace(cfg: KeepalivedConfig): {name: string; loc?: SourceLoc} | undefined {
  const x = cfg.extra?.find((s) => s.keyword === 'net_namespace' && s.args[0])
  return x ? {name: x.args[0], loc: x.loc} : undefined
}
