import {distance} from 'fastest-levenshtein'
import {cpuList, garpExtraIf, hexPayload, hexReply, lvsTimeouts, rxBufsPolicy, trackFileInit, umask, useIpvlan, useVmac, type Grammar} from './arg-grammars.js'

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

/**
 * How a keyword's value lands on its model field (the parser) and comes back
 * out as a line (the renderer):
 * - number: the number, or undefined when the value is not one
 * - value: the value as read, undefined included
 * - present: the value, only when there is one
 * - string: the value, only when it is a string
 * - words: every argument joined by spaces (a command line, a path with spaces)
 * - flag: true (a keyword without arguments)
 */
export type FieldKind = 'number' | 'value' | 'present' | 'string' | 'words' | 'flag'

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
  /** keepalived cuts a longer value to this many characters */
  maxLength?: number
  /** ... a multicast one */
  multicast?: boolean
  /** ... of this family */
  family?: 'inet' | 'inet6'
  /** a words value that starts with an integer in this inclusive range (a weight, then options) */
  leadingInt?: readonly [number, number]
  /** enum values compare case-insensitively (keepalived uses strcasecmp) */
  caseless?: boolean
  /** the value is an interface name: keepalived ignores one longer than IFNAMSIZ - 1 (15) characters */
  ifname?: boolean
  /**
   * The keyword given again in the same block. Unset: the last one silently
   * wins (a list block adds up). 'ignored': keepalived reports the repeat and
   * keeps the first. 'replaced': keepalived reports it and takes the new one.
   */
  repeat?: 'ignored' | 'replaced'
  /** keepalived's word-by-word reading of the arguments, where the kind does not describe it */
  grammar?: Grammar
  /** the model field this keyword sets in its block (the parser sets it, the renderer writes it back) */
  field?: string
  /** how the value lands on the field; default from the kind (int/number: number, flag: flag, words: words, else string) */
  as?: FieldKind
}

/** How a bound keyword's value lands on its field. */
export function fieldKind(spec: KeywordSpec): FieldKind {
  if (spec.as) return spec.as
  if (spec.kind === 'int' || spec.kind === 'number') return 'number'
  if (spec.kind === 'flag') return 'flag'
  if (spec.kind === 'words') return 'words'
  return 'string'
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
/** bind a keyword to a model field */
const to = (field: string, spec: KeywordSpec, as?: FieldKind): KeywordSpec => ({...spec, field, ...(as ? {as} : {})})
const once = (spec: KeywordSpec): KeywordSpec => ({...spec, repeat: 'ignored'})
const grammar = (g: Grammar): KeywordSpec => ({kind: 'words', grammar: g})
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
    `tmp_config_directory process_name vrrp_process_name checker_process_name bfd_process_name
     smtp_helo_name default_interface dbus_service_name
     reload_time_file reload_file data_use_instance
     lvs_process_name
     lvs_sync_daemon include_check`,
    words,
  ),
  // keepalived keeps the first of these and reports the others
  router_id: to('routerId', words, 'string'),
  notification_email_from: to('notificationEmailFrom', words, 'string'),
  ...names(
    `config_save_dir snmp_socket notify_fifo notify_fifo_script vrrp_notify_fifo vrrp_notify_fifo_script lvs_notify_fifo lvs_notify_fifo_script
     vmac_prefix vmac_addr_prefix startup_script shutdown_script`,
    once(words),
  ),
  // an optional table name
  ...names('nftables nftables_ipvs', once({kind: 'optwords'})),
  ...names('vrrp_cpu_affinity checker_cpu_affinity bfd_cpu_affinity', grammar(cpuList)),
  lvs_timeouts: grammar(lvsTimeouts),
  umask: grammar(umask),
  vrrp_rx_bufs_policy: grammar(rxBufsPolicy),
  vrrp_garp_extra_if: grammar(garpExtraIf(1)),
  ...names(
    `process_names vrrp_no_swap checker_no_swap bfd_no_swap enable_snmp_vrrp enable_snmp_checker enable_snmp_rfc
     enable_snmp_rfcv2 enable_snmp_rfcv3 enable_traps enable_dbus lvs_flush
     vrrp_check_unicast_src vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert
     disable_local_igmp vrrp_notify_priority_changes checker_log_all_failures no_email_faults no_checker_emails
     nftables_counters nftables_ifindex fifo_write_vrrp_states_on_reload rs_init_notifies
     log_unknown_vrids reload_check_config smtp_alert smtp_alert_vrrp smtp_alert_checker
     vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs_force
     lvs_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs_force vrrp_min_garp enable_snmp_keepalived`,
    optbool,
  ),
  // Debian's keepalived 2.2.7 is built without iptables: it uses nftables instead
  vrrp_skip_check_adv_addr: to('vrrpSkipCheckAdvAddr', optbool, 'value'),
  vrrp_strict: to('vrrpStrict', optbool, 'value'),
  vrrp_iptables: {kind: 'words', deprecated: 'nftables (keepalived built without iptables support uses nftables instead)'},
  notification_email: list,
  lvs_flush_on_stop: {kind: 'optenum', values: ['VS']},
  lvs_flush_onstop: {kind: 'optenum', values: ['VS']},
  dynamic_interfaces: {kind: 'optenum', values: ['allow_if_changes']},
  smtp_server: words,
  smtp_connect_timeout: to('smtpConnectTimeout', laxInt(1)),
  script_user: words,
  enable_script_security: to('enableScriptSecurity', flag, 'value'),
  random_seed: int(0, 4294967295),
  vrrp_mcast_group4: to('vrrpMcastGroup4', {kind: 'string', ip: true, family: 'inet', multicast: true}, 'value'),
  vrrp_mcast_group6: to('vrrpMcastGroup6', {kind: 'string', ip: true, family: 'inet6', multicast: true}, 'value'),
  vrrp_garp_master_delay: to('vrrpGarpMasterDelay', laxInt(0)),
  vrrp_garp_master_repeat: to('vrrpGarpMasterRepeat', laxInt(1)),
  vrrp_garp_lower_prio_delay: laxInt(0),
  vrrp_garp_lower_prio_repeat: int(0),
  vrrp_garp_master_refresh: to('vrrpGarpMasterRefresh', int(0)),
  vrrp_garp_master_refresh_repeat: to('vrrpGarpMasterRefreshRepeat', int(1)),
  vrrp_garp_interval: to('vrrpGarpInterval', TIMER),
  vrrp_gna_interval: to('vrrpGnaInterval', TIMER),
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
  vrrp_vmac_garp_intvl: {...grammar(garpExtraIf(1)), deprecated: 'vrrp_garp_extra_if'},
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
  script: to('script', words),
  // whole seconds
  interval: to('interval', int(1, 4294)),
  timeout: to('timeout', int(1, 4294)),
  weight: {kind: 'words', leadingInt: [-253, 253]},
  rise: to('rise', laxInt(1)),
  fall: to('fall', laxInt(1)),
  user: words,
  init_fail: to('initFail', flag),
}

const notifyScripts: Record<string, KeywordSpec> = {
  notify_master: to('notifyMaster', once(words)),
  notify_backup: to('notifyBackup', once(words)),
  notify_fault: to('notifyFault', once(words)),
  notify_stop: to('notifyStop', once(words)),
  notify: to('notify', once(words)),
}
const notify = {...notifyScripts, notify_master_rx_lower_pri: once(words)}
const tracking = names('track_interface track_script track_file track_process track_bfd', list)

const syncGroup: Record<string, KeywordSpec> = {
  group: once(list),
  ...tracking,
  ...notifyScripts,
  notify_priority_changes: optbool,
  smtp_alert: optbool,
  global_tracking: {kind: 'flag', deprecated: 'track_interface/track_script/track_file in the sync group'},
  sync_group_tracking_weight: flag,
}

const instance: Record<string, KeywordSpec> = {
  state: to('state', oneOf('MASTER', 'BACKUP'), 'present'),
  interface: to('interface', {kind: 'string', ifname: true}),
  vrf: str,
  // a second use_vmac naming an interface again is reported
  use_vmac: once({kind: 'optwords', grammar: useVmac}),
  use_vmac_addr: flag,
  vmac_xmit_base: to('vmacXmitBase', flag),
  use_ipvlan: once({kind: 'optwords', grammar: useIpvlan}),
  native_ipv6: to('nativeIpv6', flag),
  dont_track_primary: to('dontTrackPrimary', flag),
  ...tracking,
  mcast_src_ip: to('mcastSrcIp', {kind: 'string', ip: true}),
  unicast_src_ip: to('unicastSrcIp', {kind: 'string', ip: true}),
  mcast_dst_ip: {kind: 'string', ip: true, multicast: true},
  track_src_ip: flag,
  version: laxInt(2, 3),
  check_unicast_src: flag,
  unicast_peer: list,
  unicast_fault_no_peer: flag,
  unicast_ttl: laxInt(1, 255),
  old_unicast_checksum: {kind: 'optenum', values: ['never']},
  garp_master_delay: to('garpMasterDelay', int(0)),
  garp_master_repeat: to('garpMasterRepeat', int(1)),
  garp_lower_prio_delay: int(0),
  garp_lower_prio_repeat: int(0),
  garp_master_refresh: to('garpMasterRefresh', int(0)),
  garp_master_refresh_repeat: to('garpMasterRefreshRepeat', int(1)),
  garp_extra_if: grammar(garpExtraIf(0)),
  vmac_garp_intvl: {...grammar(garpExtraIf(0)), deprecated: 'garp_extra_if'},
  down_timer_adverts: int(1, 100),
  lower_prio_no_advert: optbool,
  higher_prio_send_advert: optbool,
  virtual_router_id: to('virtualRouterId', int(1, 255), 'present'),
  priority: to('priority', int(1, 255)),
  advert_int: to('advertInt', num(0.01, 255)),
  authentication: {kind: 'flag', block: 'authentication'},
  virtual_ipaddress: list,
  virtual_ipaddress_excluded: list,
  virtual_routes: list,
  virtual_rules: list,
  promote_secondaries: flag,
  accept: to('accept', flag),
  no_accept: to('noAccept', flag),
  nopreempt: to('nopreempt', flag),
  preempt: flag,
  preempt_delay: to('preemptDelay', num(0, 1000)),
  skip_check_adv_addr: optbool,
  strict_mode: optbool,
  debug: int(0, 4),
  ...notify,
  // the script is optional
  notify_deleted: once({kind: 'optwords'}),
  notify_priority_changes: optbool,
  smtp_alert: optbool,
  kernel_rx_buf_size: int(0),
  linkbeat_use_polling: {kind: 'flag', deprecated: 'a linkbeat_interfaces block'},
  lvs_sync_daemon_interface: {kind: 'string', deprecated: 'lvs_sync_daemon in global_defs', repeat: 'ignored'},
}

const authentication: Record<string, KeywordSpec> = {
  auth_type: oneOf('PASS', 'AH'),
  // keepalived reads the first word
  auth_pass: {kind: 'string', maxLength: 8},
}

const checkerCommon: Record<string, KeywordSpec> = {
  connect_ip: to('connectIp', {kind: 'string', ip: true}, 'value'),
  connect_port: to('connectPort', laxInt(1, 65535)),
  bindto: to('bindto', {kind: 'string', ip: true}, 'value'),
  bind_if: {kind: 'string', ifname: true},
  bind_port: to('bindPort', laxInt(1, 65535)),
  connect_timeout: to('connectTimeout', {...TIMER, lax: true}),
  retry: to('retry', int(0)),
  delay_before_retry: to('delayBeforeRetry', num(0)),
  warmup: to('warmup', num(0)),
  fwmark: int(0),
  log_all_failures: optbool,
  alpha: optbool,
  delay_loop: DELAY_LOOP,
}

const httpCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  nb_get_retry: to('retry', {...int(0), deprecated: 'retry'}),
  url: {kind: 'flag', block: 'url'},
  virtualhost: to('virtualhost', str, 'value'),
  http_protocol: oneOf('1.0', '1.1', '1.0C', '1.0c'),
  fast_recovery: flag,
  enable_sni: flag,
}

const url: Record<string, KeywordSpec> = {
  // `url { path /x digest ... }` on one line is a path of "/x" and no digest
  path: to('path', oneWord),
  digest: to('digest', oneWord),
  status_code: to('statusCode', words),
  virtualhost: str,
  ...names('regex regex_no_match regex_options regex_stack regex_min_offset regex_max_offset', words),
}

const miscCheck: Record<string, KeywordSpec> = {
  misc_path: to('miscPath', words),
  // whole seconds
  misc_timeout: to('miscTimeout', int(0)),
  misc_dynamic: to('miscDynamic', flag),
  user: words,
  warmup: to('warmup', num(0)),
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
  name: once(str),
}

const udpCheck: Record<string, KeywordSpec> = {
  ...checkerCommon,
  payload: grammar(hexPayload),
  require_reply: {kind: 'optwords', grammar: hexReply},
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

// keepalived reports a repeat and takes the new value
const ssl: Record<string, KeywordSpec> = {
  password: {...words, repeat: 'replaced'},
  ca: {...str, repeat: 'replaced'},
  certificate: {...str, repeat: 'replaced'},
  key: {...str, repeat: 'replaced'},
}

const PROCESS_DELAY = num(0.000001, 3600)
const trackProcess: Record<string, KeywordSpec> = {
  process: once(words),
  param_match: oneOf('initial', 'partial'),
  weight: once({kind: 'words', leadingInt: [-254, 254]}),
  quorum: int(1, 65535),
  quorum_max: int(0, 65535),
  delay: PROCESS_DELAY,
  terminate_delay: PROCESS_DELAY,
  fork_delay: PROCESS_DELAY,
  full_command: flag,
}

const trackFile: Record<string, KeywordSpec> = {
  file: once(str),
  weight: once({kind: 'words', leadingInt: [-254, 254]}),
  init_file: {kind: 'optwords', grammar: trackFileInit},
}

const garpGroup: Record<string, KeywordSpec> = {
  garp_interval: num(0),
  gna_interval: num(0),
  interface: str,
  interfaces: list,
}

const bfdInstance: Record<string, KeywordSpec> = {
  ...names('source_ip neighbor_ip neighbour_ip', {kind: 'string', ip: true}),
  // milliseconds with three decimals
  ...names('min_rx min_tx', num(1, 4294967)),
  idle_tx: num(1000, 4294967),
  ...names('multiplier ttl hoplimit', int(1, 255)),
  max_hops: int(-1, 255),
  passive: flag,
  weight: {kind: 'words', leadingInt: [-253, 253]},
}

const vsRsCommon: Record<string, KeywordSpec> = {
  smtp_alert: optbool,
  virtualhost: str,
  snmp_name: oneWord,
  alpha: flag,
  connect_timeout: {...TIMER, lax: true},
  retry: int(1),
  delay_before_retry: num(0),
  warmup: num(0),
  delay_loop: to('delayLoop', DELAY_LOOP),
  inhibit_on_failure: to('inhibitOnFailure', optbool, 'value'),
}

const virtualServer: Record<string, KeywordSpec> = {
  ...vsRsCommon,
  virtualhost: to('virtualhost', str, 'value'),
  alpha: to('alpha', flag),
  lb_algo: to('lbAlgo', oneOf(...LB_ALGOS), 'present'),
  lvs_sched: to('lbAlgo', oneOf(...LB_ALGOS), 'present'),
  lb_kind: to('lbKind', oneOf(...LB_KINDS), 'present'),
  lvs_method: to('lbKind', oneOf(...LB_KINDS), 'present'),
  persistence_engine: str,
  persistence_timeout: to('persistenceTimeout', laxInt(1, 2678400)),
  persistence_granularity: to('persistenceGranularity', str, 'value'),
  protocol: to('protocol', {...oneOf('TCP', 'UDP', 'SCTP'), lax: true}, 'present'),
  ha_suspend: flag,
  omega: to('omega', flag),
  quorum: to('quorum', int(1)),
  hysteresis: to('hysteresis', int(0)),
  // the default weight of the real servers
  weight: int(1, 2147483647),
  quorum_up: to('quorumUp', once(words)),
  quorum_down: to('quorumDown', once(words)),
  ip_family: {...oneOf('inet', 'inet6'), lax: true},
  sorry_server: words,
  sorry_server_inhibit: to('sorryServerInhibit', optbool, 'value'),
  sorry_server_lvs_method: {...oneOf(...LB_KINDS), lax: true},
  ...names('ops hashed flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback', flag),
  real_server: {kind: 'words', block: 'real_server', named: true},
}

const realServer: Record<string, KeywordSpec> = {
  ...vsRsCommon,
  ...checkers,
  weight: to('weight', int(0, 2147483647)),
  lvs_method: oneOf(...LB_KINDS),
  notify_up: to('notifyUp', once(words)),
  notify_down: to('notifyDown', once(words)),
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
  track_group: {group: once(list)},
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

/** keyword -> [model field, how the value lands] for the keywords of a block bound to a field */
export type FieldTable = Readonly<Record<string, readonly [field: string, kind: FieldKind]>>

const fieldTables = new Map<BlockName, FieldTable>()
/** The keywords of `block` that set a model field, read from the keyword table. */
export function fieldsOf(block: BlockName): FieldTable {
  let t = fieldTables.get(block)
  if (!t) {
    const table = block === 'list' || block === 'opaque' ? {} : KEYWORDS[block]
    t = Object.fromEntries(Object.entries(table).flatMap(([k, s]) => (s.field ? [[k, [s.field, fieldKind(s)] as const]] : [])))
    fieldTables.set(block, t)
  }
  return t
}

/** The keyword that writes `field` in `block` (the first of its synonyms in the table). */
export function keywordOfField(block: BlockName, field: string): [keyword: string, spec: KeywordSpec] {
  const table = block === 'list' || block === 'opaque' ? {} : KEYWORDS[block]
  const hit = Object.entries(table).find(([, s]) => s.field === field && !s.deprecated)
  if (!hit) throw new Error(`no keyword of ${block} writes ${field}`)
  return hit
}
