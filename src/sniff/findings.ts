/**
 * The findings `halctl sniff` reports: codes, severities, and what to do about each.
 *
 * Exports:
 * - `FindingCode`, `Severity`, `Finding` (the stable --json shape of a finding)
 * - `FINDING_CATALOGUE`: severity, title and fix text per code
 * - `PacketIssueFinding`: the finding codes that are per-packet codec issues
 */
import type {VrrpIssueCode} from '../vrrp/types.js'

export type Severity = 'error' | 'warning' | 'info'

export type FindingCode =
  | 'split-brain'
  | 'master-silent'
  | 'master-resigned'
  | 'takeover'
  | 'preempt'
  | 'flapping'
  | 'interval-mismatch'
  | 'version-mismatch'
  | 'auth-mismatch'
  | 'vip-mismatch'
  | 'vrid-collision'
  | 'priority-255'
  | 'equal-priority'
  | 'carp'
  | 'bad-ttl'
  | 'bad-checksum'
  | 'checksum-as-v2'
  | 'truncated'
  | 'unknown-version'
  | 'unknown-type'
  | 'unknown-auth-type'
  | 'auth-in-v3'
  | 'addr-count-mismatch'
  | 'zero-interval'

export interface Finding {
  code: FindingCode
  severity: Severity
  /** capture interface (or file name) the finding was seen on */
  interface: string
  family: 4 | 6 | null
  vrid: number | null
  /** routers (source addresses) involved */
  routers: string[]
  message: string
  fix: string
  /** ISO times (microseconds) of the first and last evidence */
  first: string
  last: string
  /** still going on at the time of the last packet/tick */
  active: boolean
  /** packets that showed it */
  count: number
  /** packet numbers (1-based, as tcpdump/tshark count) of the first and the latest evidence */
  evidence: number[]
  /** a measured duration in milliseconds (takeover gap, silence length), null when none */
  measuredMs: number | null
}

export interface CatalogueEntry {
  severity: Severity
  title: string
  fix: string
}

export const FINDING_CATALOGUE: Record<FindingCode, CatalogueEntry> = {
  'split-brain': {
    severity: 'error',
    title: 'split brain',
    fix: 'the routers do not hear each other: allow IP protocol 112 (VRRP) in both directions in the firewall (nft add rule inet filter input ip protocol vrrp accept), check multicast/IGMP snooping on the switch, or use unicast_peer; make advert_int, auth and VRID equal on all routers',
  },
  'master-silent': {
    severity: 'error',
    title: 'master silent',
    fix: 'the master stopped advertising (crash, kill -9, link down, firewall on its egress) and no backup took over in the time the protocol allows: check keepalived on the master (systemctl status keepalived, journalctl -u keepalived) and that a backup is running and hears VRRP',
  },
  'master-resigned': {
    severity: 'info',
    title: 'master resigned',
    fix: 'a priority 0 advertisement means keepalived stopped or went to FAULT on the master; check its track scripts and interfaces if it was not a planned stop',
  },
  takeover: {
    severity: 'info',
    title: 'takeover',
    fix: 'a new master took over; the protocol lets a backup wait Master_Down_Interval (3 x advert_int + skew of its priority) after the last advert, Skew_Time after a resign: a later takeover means the backup was slow or did not run, an earlier one that it did not hear the master',
  },
  preempt: {
    severity: 'info',
    title: 'preempt',
    fix: 'a router of higher priority took the master role back (preempt); set nopreempt (with state BACKUP on every router) or preempt_delay if the extra failover is not wanted',
  },
  flapping: {
    severity: 'warning',
    title: 'flapping',
    fix: 'the master keeps changing: look for a track script that fails intermittently, equal priorities with preemption, a lossy link dropping adverts, or raise advert_int / add preempt_delay',
  },
  'interval-mismatch': {
    severity: 'error',
    title: 'advert interval mismatch',
    fix: 'set the same advert_int on every router of the VRID (with VRRPv2 a backup drops adverts of another interval and becomes master while the master lives: the VIP moves back and forth or is held twice)',
  },
  'version-mismatch': {
    severity: 'error',
    title: 'VRRP version mismatch',
    fix: 'set the same vrrp_version (global_defs) or version on every router of the VRID; v2 and v3 routers do not understand each other',
  },
  'auth-mismatch': {
    severity: 'error',
    title: 'authentication mismatch',
    fix: 'use the same authentication block (auth_type and auth_pass, max 8 characters) on every router of the VRID, or none on all',
  },
  'vip-mismatch': {
    severity: 'error',
    title: 'virtual address mismatch',
    fix: 'list the same virtual_ipaddress set on every router of the VRID (keepalived drops adverts whose address count differs)',
  },
  'vrid-collision': {
    severity: 'error',
    title: 'VRID collision',
    fix: 'two clusters use the same virtual_router_id on this segment: give one of them another VRID (both share the virtual MAC 00:00:5e:00:01:VRID otherwise)',
  },
  'priority-255': {
    severity: 'warning',
    title: 'priority 255 (address owner)',
    fix: 'priority 255 is for the router that owns the virtual address; it preempts whatever nopreempt says. Use 1..254 unless the VIP is really its interface address',
  },
  'equal-priority': {
    severity: 'warning',
    title: 'equal priorities',
    fix: 'give each router a distinct priority; with equal priorities the higher primary IP address wins, which is rarely what was planned',
  },
  carp: {
    severity: 'info',
    title: 'CARP on protocol 112',
    fix: 'CARP shares IP protocol 112 and the virtual MAC range with VRRP; make sure CARP vhids and VRRP VRIDs on this segment differ',
  },
  'bad-ttl': {
    severity: 'error',
    title: 'bad TTL / hop limit',
    fix: 'VRRP must arrive with TTL/hop limit 255; a lower value means it was routed or forged and receivers drop it: keep VRRP peers on one L2 segment',
  },
  'bad-checksum': {
    severity: 'error',
    title: 'bad checksum',
    fix: 'receivers drop these adverts: check for NIC offload bugs (ethtool -K IFACE tx off) or a middlebox rewriting packets; with v3 check both ends compute the checksum the same way',
  },
  'checksum-as-v2': {
    severity: 'info',
    title: 'v3 checksum without pseudo-header',
    fix: 'this router computes the VRRPv3 checksum like v2 (keepalived vrrp_v3_checksum_as_v2 / some vendors); routers that follow RFC 5798 drop these adverts unless configured the same way',
  },
  truncated: {
    severity: 'warning',
    title: 'truncated packet',
    fix: 'the capture cut the packet (snap length) or the packet is shorter than its header says; capture with a larger -s or check the sender',
  },
  'unknown-version': {
    severity: 'error',
    title: 'unknown VRRP version',
    fix: 'something sends protocol 112 with a version other than 2 or 3: find the sender by its MAC address',
  },
  'unknown-type': {
    severity: 'error',
    title: 'unknown VRRP type',
    fix: 'only type 1 (Advertisement) exists: find the sender by its MAC address',
  },
  'unknown-auth-type': {
    severity: 'warning',
    title: 'unknown auth type',
    fix: 'VRRPv2 auth types are 0 (none), 1 (PASS) and 2 (AH): check the sender',
  },
  'auth-in-v3': {
    severity: 'warning',
    title: 'authentication data in VRRPv3',
    fix: 'VRRPv3 has no authentication; remove the authentication block or use version 2 if the peers need it',
  },
  'addr-count-mismatch': {
    severity: 'error',
    title: 'address count mismatch',
    fix: 'the address count field does not match the packet length; receivers drop it: check the sender software',
  },
  'zero-interval': {
    severity: 'warning',
    title: 'zero advert interval',
    fix: 'an advert interval of 0 is invalid: set advert_int on the sender',
  },
}

/** every per-packet codec issue is reported under its own code */
export type PacketIssueFinding = Extract<FindingCode, VrrpIssueCode>
