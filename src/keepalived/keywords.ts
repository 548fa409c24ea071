import {distance} from 'fastest-levenshtein'

/**
 * The keywords keepalived (2.2.x) accepts in each block, with the argument
 * type and range it enforces. The parser uses it to build the block tree the
 * way keepalived does (which keywords open a block) and to report unknown
 * keywords with a did-you-mean; lint uses the ranges.
 */

/** A block context: which keywords are valid inside it. */
export type BlockName =
  | 'top'
  | 'global_defs'
  | 'vrrp_script'
  | 'vrrp_sync_group'
  | 'vrrp_instance'
  | 'authentication'
  | 'virtual_server'
  | 'real_server'
  | 'http_check'
  | 'url'
  | 'tcp_check'
  | 'misc_check'
  | 'smtp_check'
  | 'smtp_host'
  | 'dns_check'
  | 'udp_check'
  | 'ping_check'
  | 'file_check'
  | 'bfd_check'
  | 'ssl'
  | 'track_process'
  | 'track_file'
  | 'garp_group'
  | 'track_group'
  | 'bfd_instance'
  /** one item per line (addresses, names): no keyword check */
  | 'list'
  /** known block whose contents halctl keeps verbatim without checking */
  | 'opaque'

export type ArgKind = 'flag' | 'int' | 'number' | 'string' | 'words' | 'optwords' | 'enum' | 'optenum' | 'optbool'

export interface KeywordSpec {
  kind: ArgKind
  /** inclusive range for int/number */
  min?: number
  max?: number
  /** allowed values for enum (case-sensitive, as keepalived) */
  values?: readonly string[]
  /** the keyword opens a block of this kind */
  block?: BlockName
  /** the block keyword takes a name or address before `{` */
  named?: boolean
  /** replaced by another keyword; keepalived still accepts it */
  deprecated?: string
  /** keepalived reads the first word only and silently drops the rest (a string keyword) */
  oneWord?: boolean
  /**
   * keepalived 2.2.7 reads the value without checking it (a bad number or
   * word is silently taken as something else): lint warns instead of erring
   */
  lax?: boolean
  /** the value must be an IP address (keepalived ignores the keyword otherwise) */
  ip?: boolean
  /** a words value that starts with an integer in this inclusive range (a weight, then options) */
  leadingInt?: readonly [number, number]
  /** enum values compare case-insensitively (keepalived uses strcasecmp) */
  caseless?: boolean
  /** the value is an interface name: keepalived ignores one longer than IFNAMSIZ - 1 (15) characters */
  ifname?: boolean
}

const flag: KeywordSpec = {kind: 'flag'}
const optbool: KeywordSpec = {kind: 'optbool'}
const str: KeywordSpec = {kind: 'string'}
const words: KeywordSpec = {kind: 'words'}
const oneWord: KeywordSpec = {kind: 'string', oneWord: true}
const list: KeywordSpec = {kind: 'flag', block: 'list'}
const int = (min?: number, max?: number): KeywordSpec => ({kind: 'int', min, max})
/** an integer keepalived reads without checking (atoi/strtoul) */
const laxInt = (min?: number, max?: number): KeywordSpec => ({kind: 'int', min, max, lax: true})
const num = (min?: number, max?: number): KeywordSpec => ({kind: 'number', min, max})
const oneOf = (...values: string[]): KeywordSpec => ({kind: 'enum', values})
const names = (kws: string, spec: KeywordSpec): Record<string, KeywordSpec> =>
  Object.fromEntries(kws.split(/\s+/).filter(Boolean).map((k) => [k, spec]))

export const LB_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'sed', 'nq', 'fo', 'ovf'] as const
export const LB_KINDS = ['NAT', 'DR', 'TUN'] as const
/** what keepalived uses for a virtual_server without (a valid) lb_algo / lb_kind */
export const DEFAULT_LB_ALGO = 'wlc'
export const DEFAULT_LB_KIND = 'NAT'

const TIMER = num(0.000001, 4294.967295)
/** delay_loop: microseconds in 64 bits */
const DELAY_LOOP = num(0.000001, 18446744073709.551614)

const top: Record<string, KeywordSpec> = {
  global_defs: {kind: 'flag', block: 'global_defs'},
  vrrp_script: {kind: 'string', block: 'vrrp_script', named: true},
  vrrp_sync_group: {kind: 'string', block: 'vrrp_sync_group', named: true},
  vrrp_instance: {kind: 'string', block: 'vrrp_instance', named: true},
  virtual_server: {kind: 'words', block: 'virtual_server', named: true},
  virtual_server_group: {kind: 'string', block: 'list', named: true},
  static_ipaddress: list,
  static_routes: list,
  static_rules: list,
  linkbeat_interfaces: list,
  interface_up_down_delays: list,
  SSL: {kind: 'flag', block: 'ssl'},
  track_group: {kind: 'string', block: 'track_group', named: true},
  track_file: {kind: 'string', block: 'track_file', named: true},
  // a deprecated synonym of track_file (after keepalived 2.0.20)
  vrrp_track_file: {kind: 'string', block: 'track_file', named: true},
  vrrp_track_process: {kind: 'string', block: 'track_process', named: true},
  bfd_instance: {kind: 'string', block: 'bfd_instance', named: true},
  garp_group: {kind: 'flag', block: 'garp_group'},
  ...names('net_namespace net_namespace_ipvs instance', str),
  ...names('namespace_with_ipsets use_pid_dir linkbeat_use_polling', flag),
  child_wait_time: int(0),
}

const globalDefs: Record<string, KeywordSpec> = {
  ...names(
    `tmp_config_directory config_save_dir process_name vrrp_process_name checker_process_name bfd_process_name
     notification_email_from smtp_helo_name router_id default_interface dbus_service_name snmp_socket
     notify_fifo notify_fifo_script vrrp_notify_fifo vrrp_notify_fifo_script lvs_notify_fifo lvs_notify_fifo_script
     nftables vmac_prefix vmac_addr_prefix reload_time_file reload_file data_use_instance
     lvs_process_name umask random_seed vrrp_garp_extra_if vrrp_cpu_affinity checker_cpu_affinity bfd_cpu_affinity
     lvs_sync_daemon lvs_timeouts vrrp_rx_bufs_policy include_check startup_script shutdown_script`,
    words,
  ),
  ...names(
    `process_names vrrp_no_swap checker_no_swap bfd_no_swap enable_snmp_vrrp enable_snmp_checker enable_snmp_rfc
     enable_snmp_rfcv2 enable_snmp_rfcv3 enable_traps enable_dbus lvs_flush
     vrrp_skip_check_adv_addr vrrp_strict vrrp_check_unicast_src vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert
     disable_local_igmp vrrp_notify_priority_changes checker_log_all_failures no_email_faults no_checker_emails
     nftables_counters nftables_ifindex nftables_ipvs fifo_write_vrrp_states_on_reload rs_init_notifies
     log_unknown_vrids reload_check_config smtp_alert smtp_alert_vrrp smtp_alert_checker
     vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs_force
     lvs_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs_force vrrp_min_garp enable_snmp_keepalived`,
    optbool,
  ),
  // Debian's keepalived 2.2.7 is built without iptables: it uses nftables instead
  vrrp_iptables: {kind: 'words', deprecated: 'nftables (keepalived built without iptables support uses nftables instead)'},
  notification_email: list,
  lvs_flush_on_stop: {kind: 'optenum', values: ['VS']},
  lvs_flush_onstop: {kind: 'optenum', values: ['VS']},
  dynamic_interfaces: {kind: 'optenum', values: ['allow_if_changes']},
  smtp_server: words,
  smtp_connect_timeout: laxInt(1),
  script_user: words,
  enable_script_security: flag,
  vrrp_mcast_group4: str,
  vrrp_mcast_group6: str,
  vrrp_garp_master_delay: laxInt(0),
  vrrp_garp_master_repeat: laxInt(1),
  vrrp_garp_lower_prio_delay: laxInt(0),
  vrrp_garp_lower_prio_repeat: int(0),
  vrrp_garp_master_refresh: int(0),
  vrrp_garp_master_refresh_repeat: int(1),
  vrrp_garp_interval: TIMER,
  vrrp_gna_interval: TIMER,
  vrrp_down_timer_adverts: int(1, 100),
  vrrp_version: laxInt(2, 3),
  vrrp_priority: int(-20, 19),
  checker_priority: int(-20, 19),
  bfd_priority: int(-20, 19),
  vrrp_rt_priority: int(1, 99),
  checker_rt_priority: int(1, 99),
  bfd_rt_priority: int(1, 99),
  vrrp_rlimit_rttime: int(1),
  vrrp_rlimit_rtime: int(1),
  checker_rlimit_rtime: int(1),
  bfd_rlimit_rtime: int(1),
  vrrp_vmac_garp_intvl: words,
  checker_rlimit_rttime: int(1),
  bfd_rlimit_rttime: int(1),
  max_auto_priority: int(-1, 99),
  min_auto_priority_delay: int(1),
  nftables_priority: int(),
  nftables_ipvs_priority: int(),
  nftables_ipvs_start_fwmark: int(1),
  startup_script_timeout: int(1, 1000),
  shutdown_script_timeout: int(1, 1000),
  vrrp_startup_delay: num(0.001, 4294.967295),
  vrrp_rx_bufs_multiplier: int(1),
  vrrp_netlink_cmd_rcv_bufs: int(0),
  vrrp_netlink_monitor_rcv_bufs: int(0),
  lvs_netlink_cmd_rcv_bufs: int(0),
  lvs_netlink_monitor_rcv_bufs: int(0),
  process_monitor_rcv_bufs: int(0),
  reload_repeat: words,
}

const vrrpScript: Record<string, KeywordSpec> = {
  script: words,
  // whole seconds
  interval: int(1, 4294),
  timeout: int(1, 4294),
  weight: {kind: 'words'},
  rise: laxInt(1),
  fall: laxInt(1),
  user: words,
  init_fail: flag,
}

const notify = names('notify_master notify_backup notify_fault notify_stop notify_deleted notify notify_master_rx_lower_pri', words)
const tracking = names('track_interface track_script track_file track_process track_bfd', list)

const syncGroup: Record<string, KeywordSpec> = {
  group: list,
  ...tracking,
  ...names('notify_master notify_backup notify_fault notify_stop notify', words),
  notify_priority_changes: optbool,
  smtp_alert: optbool,
  global_tracking: {kind: 'flag', deprecated: 'track_interface/track_script/track_file in the sync group'},
  sync_group_tracking_weight: flag,
}

const instance: Record<string, KeywordSpec> = {
  state: oneOf('MASTER', 'BACKUP'),
  interface: {kind: 'string', ifname: true},
  vrf: str,
  use_vmac: {kind: 'optwords'},
  use_vmac_addr: flag,
  vmac_xmit_base: flag,
  use_ipvlan: words,
  native_ipv6: flag,
  dont_track_primary: flag,
  ...tracking,
  mcast_src_ip: str,
  unicast_src_ip: str,
  mcast_dst_ip: str,
  track_src_ip: flag,
  version: laxInt(2, 3),
  check_unicast_src: flag,
  unicast_peer: list,
  unicast_fault_no_peer: flag,
  unicast_ttl: laxInt(1, 255),
  old_unicast_checksum: words,
  garp_master_delay: int(0),
  garp_master_repeat: int(1),
  garp_lower_prio_delay: int(0),
  garp_lower_prio_repeat: int(0),
  garp_master_refresh: int(0),
  garp_master_refresh_repeat: int(1),
  garp_extra_if: words,
  vmac_garp_intvl: {kind: 'words', deprecated: 'garp_extra_if'},
  down_timer_adverts: int(1, 100),
  lower_prio_no_advert: optbool,
  higher_prio_send_advert: optbool,
  virtual_router_id: int(1, 255),
  priority: int(1, 255),
  advert_int: num(0.01, 255),
  authentication: {kind: 'flag', block: 'authentication'},
  virtual_ipaddress: list,
  virtual_ipaddress_excluded: list,
  virtual_routes: list,
  virtual_rules: list,
  promote_secondaries: flag,
  accept: flag,
  no_accept: flag,
  nopreempt: flag,
  preempt: flag,
  preempt_delay: num(0, 1000),
  skip_check_adv_addr: optbool,
  strict_mode: optbool,
  debug: int(0, 4),
  ...notify,
  notify_priority_changes: optbool,
  smtp_alert: optbool,
  kernel_rx_buf_size: int(0),
  linkbeat_use_polling: {kind: 'flag', deprecated: 'a linkbeat_interfaces block'},
  lvs_sync_daemon_interface: {kind: 'string', deprecated: 'lvs_sync_daemon in global_defs'},
}

const authentication: Record<string, KeywordSpec> = {
  auth_type: oneOf('PASS', 'AH'),
  auth_pass: words,
}

const checkerCommon: Record<string, KeywordSpec> = {
  connect_ip: {kind: 'string', ip: true},
  connect_port: laxInt(1, 65535),
  bindto: str,
  bind_if: {kind: 'string', ifname: true},
  bind_port: laxInt(1, 65535),
  connect_timeout: {...TIMER, lax: true},
  retry: int(0),
  delay_before_retry: num(0),
  warmup: num(0),
  fwmark: int(0),
  log_all_failures: optbool,
  alpha: optbool,
  delay_loop: DELAY_LOOP,
}

const httpCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  nb_get_retry: {...int(0), deprecated: 'retry'},
  url: {kind: 'flag', block: 'url'},
  virtualhost: str,
  http_protocol: oneOf('1.0', '1.1', '1.0C', '1.0c'),
  fast_recovery: flag,
  enable_sni: flag,
}

const url: Record<string, KeywordSpec> = {
  // `url { path /x digest ... }` on one line is a path of "/x" and no digest
  path: oneWord,
  digest: oneWord,
  status_code: words,
  virtualhost: str,
  ...names('regex regex_no_match regex_options regex_stack regex_min_offset regex_max_offset', words),
}

const miscCheck: Record<string, KeywordSpec> = {
  misc_path: words,
  // whole seconds
  misc_timeout: int(0),
  misc_dynamic: flag,
  user: words,
  warmup: num(0),
  retry: int(0),
  delay_before_retry: num(0),
  log_all_failures: optbool,
  alpha: optbool,
  delay_loop: DELAY_LOOP,
}

export const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'] as const

const smtpCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  helo_name: str,
  host: {kind: 'flag', block: 'smtp_host'},
}

const dnsCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  type: {...oneOf(...DNS_TYPES), caseless: true},
  name: str,
}

const udpCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  payload: words,
  require_reply: {kind: 'optwords'},
  min_reply_length: int(0, 65535),
  max_reply_length: int(0, 65535),
}

const fileCheck: Record<string, KeywordSpec> = {
  track_file: str,
  weight: {kind: 'words', leadingInt: [-2147483647, 2147483647]},
}

const bfdCheck: Record<string, KeywordSpec> = {
  name: str,
  alpha: optbool,
}

const checkers: Record<string, KeywordSpec> = {
  HTTP_GET: {kind: 'flag', block: 'http_check'},
  SSL_GET: {kind: 'flag', block: 'http_check'},
  TCP_CHECK: {kind: 'flag', block: 'tcp_check'},
  MISC_CHECK: {kind: 'flag', block: 'misc_check'},
  SMTP_CHECK: {kind: 'flag', block: 'smtp_check'},
  DNS_CHECK: {kind: 'flag', block: 'dns_check'},
  UDP_CHECK: {kind: 'flag', block: 'udp_check'},
  PING_CHECK: {kind: 'flag', block: 'ping_check'},
  FILE_CHECK: {kind: 'flag', block: 'file_check'},
  BFD_CHECK: {kind: 'flag', block: 'bfd_check'},
}

const ssl: Record<string, KeywordSpec> = {
  password: words,
  ca: str,
  certificate: str,
  key: str,
}

const PROCESS_DELAY = num(0.000001, 3600)
const trackProcess: Record<string, KeywordSpec> = {
  process: words,
  param_match: oneOf('initial', 'partial'),
  weight: {kind: 'words', leadingInt: [-254, 254]},
  quorum: int(1, 65535),
  quorum_max: int(0, 65535),
  delay: PROCESS_DELAY,
  terminate_delay: PROCESS_DELAY,
  fork_delay: PROCESS_DELAY,
  full_command: flag,
}

const trackFile: Record<string, KeywordSpec> = {
  file: str,
  weight: {kind: 'words', leadingInt: [-254, 254]},
  init_file: {kind: 'optwords'},
}

const garpGroup: Record<string, KeywordSpec> = {
  garp_interval: num(0),
  gna_interval: num(0),
  interface: str,
  interfaces: list,
}

const bfdInstance: Record<string, KeywordSpec> = {
  ...names('source_ip neighbor_ip neighbour_ip', {kind: 'string', ip: true}),
  ...names('min_rx min_tx idle_tx multiplier ttl hoplimit max_hops', laxInt()),
  passive: flag,
  weight: {kind: 'words', leadingInt: [-253, 253]},
}

const vsRsCommon: Record<string, KeywordSpec> = {
  smtp_alert: optbool,
  virtualhost: str,
  snmp_name: str,
  alpha: flag,
  connect_timeout: {...TIMER, lax: true},
  retry: int(1),
  delay_before_retry: num(0),
  warmup: num(0),
  delay_loop: DELAY_LOOP,
  inhibit_on_failure: optbool,
}

const virtualServer: Record<string, KeywordSpec> = {
  ...vsRsCommon,
  lb_algo: oneOf(...LB_ALGOS),
  lvs_sched: oneOf(...LB_ALGOS),
  lb_kind: oneOf(...LB_KINDS),
  lvs_method: oneOf(...LB_KINDS),
  persistence_engine: str,
  persistence_timeout: laxInt(1, 2678400),
  persistence_granularity: str,
  protocol: {...oneOf('TCP', 'UDP', 'SCTP'), lax: true},
  ha_suspend: flag,
  omega: flag,
  quorum: int(1),
  hysteresis: int(0),
  // the default weight of the real servers
  weight: int(1, 2147483647),
  quorum_up: words,
  quorum_down: words,
  ip_family: {...oneOf('inet', 'inet6'), lax: true},
  sorry_server: words,
  sorry_server_inhibit: optbool,
  sorry_server_lvs_method: {...oneOf(...LB_KINDS), lax: true},
  ...names('ops hashed flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback', flag),
  real_server: {kind: 'words', block: 'real_server', named: true},
}

const realServer: Record<string, KeywordSpec> = {
  ...vsRsCommon,
  ...checkers,
  weight: int(0, 2147483647),
  lvs_method: oneOf(...LB_KINDS),
  notify_up: words,
  notify_down: words,
  uthreshold: laxInt(0),
  lthreshold: laxInt(0),
}

export const KEYWORDS: Record<Exclude<BlockName, 'list' | 'opaque'>, Record<string, KeywordSpec>> = {
  top,
  global_defs: globalDefs,
  vrrp_script: vrrpScript,
  vrrp_sync_group: syncGroup,
  vrrp_instance: instance,
  authentication,
  virtual_server: virtualServer,
  real_server: realServer,
  http_check: httpCheck,
  url,
  tcp_check: checkerCommon,
  misc_check: miscCheck,
  smtp_check: smtpCheck,
  smtp_host: checkerCommon,
  dns_check: dnsCheck,
  udp_check: udpCheck,
  ping_check: checkerCommon,
  file_check: fileCheck,
  bfd_check: bfdCheck,
  ssl,
  track_process: trackProcess,
  track_file: trackFile,
  garp_group: garpGroup,
  track_group: {group: list},
  bfd_instance: bfdInstance,
}

/** The spec of `keyword` inside `block`, or undefined when keepalived would call it unknown there. */
export function keywordSpec(block: BlockName, keyword: string): KeywordSpec | undefined {
  if (block === 'list' || block === 'opaque') return undefined
  const table = KEYWORDS[block]
  return Object.hasOwn(table, keyword) ? table[keyword] : undefined
}

/** Inclusive range keepalived enforces for a numeric keyword. */
export function rangeOf(block: BlockName, keyword: string): {min?: number; max?: number} {
  const s = keywordSpec(block, keyword)
  return {min: s?.min, max: s?.max}
}

/** Closest keyword valid in `block` (did-you-mean), when one is close enough to be a typo. */
export function suggestKeyword(block: BlockName, keyword: string): string | undefined {
  if (block === 'list' || block === 'opaque') return undefined
  let best: string | undefined
  let bestD = Infinity
  for (const k of Object.keys(KEYWORDS[block])) {
    const d = distance(keyword.toLowerCase(), k.toLowerCase())
    if (d < bestD) [best, bestD] = [k, d]
  }
  const limit = keyword.length <= 4 ? 1 : keyword.length <= 8 ? 2 : 3
  return bestD <= limit ? best : undefined
}

/** Blocks other than `block` where `keyword` is valid (to say "belongs in vrrp_instance"). */
export function blocksDefining(keyword: string, except: BlockName): BlockName[] {
  return (Object.keys(KEYWORDS) as (keyof typeof KEYWORDS)[]).filter((b) => b !== except && Object.hasOwn(KEYWORDS[b], keyword))
}
