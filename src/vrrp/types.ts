/** VRRP packet types and protocol constants shared by the codec, the sniffer and the embedded engine. */

/** IP protocol number of VRRP (and of CARP, which reuses it). */
export const VRRP_PROTO = 112
export const VRRP_MCAST_V4 = '224.0.0.18'
export const VRRP_MCAST_V6 = 'ff02::12'
export const VRRP_TYPE_ADVERTISEMENT = 1
/** VRRP requires the IPv4 TTL / IPv6 hop limit to be exactly this. */
export const VRRP_TTL = 255

export const AUTH_NONE = 0
export const AUTH_SIMPLE = 1
export const AUTH_AH = 2

export type IpFamily = 4 | 6

/** One VRRP advertisement, every field of the wire format. */
export interface VrrpPacket {
  /** 4-bit version field: 2 or 3 for packets the codec understands */
  version: number
  /** 4-bit type field: 1 = Advertisement */
  type: number
  vrid: number
  priority: number
  /** "Count IPvX Addr" field as sent (may disagree with addresses.length on malformed packets) */
  addrCount: number
  /** v2: authentication type (0 none, 1 simple text, 2 IP AH). v3: 0. */
  authType: number
  /** v2: advertisement interval in seconds. v3: 0. */
  advertIntSec: number
  /** v3: 4 reserved bits. v2: 0. */
  reserved: number
  /** v3: max advertisement interval in centiseconds (12 bits). v2: 0. */
  maxAdvertIntCs: number
  /** checksum field as sent; undefined when building a packet (the encoder computes it) */
  checksum?: number
  /** IPv4 dotted quads or IPv6 text (RFC 5952), in the size of the carrying IP family */
  addresses: string[]
  /** v2: the 8 authentication data bytes as sent (zero-filled when absent) */
  authData?: Uint8Array
  /** bytes after the addresses (and v2 auth data) inside the IP payload, kept for an exact re-encode */
  trailer?: Uint8Array
}

export type VrrpIssueCode =
  | 'bad-checksum'
  | 'checksum-as-v2'
  | 'bad-ttl'
  | 'truncated'
  | 'unknown-version'
  | 'unknown-type'
  | 'auth-in-v3'
  | 'unknown-auth-type'
  | 'addr-count-mismatch'
  | 'zero-interval'

export interface VrrpIssue {
  code: VrrpIssueCode
  /** error: the receiver drops it (RFC); warning: accepted but suspicious; info: a note */
  severity: 'error' | 'warning' | 'info'
  message: string
}

/**
 * Classification of an IP payload on protocol 112:
 * - `vrrp`: a VRRPv2/v3 message (possibly with issues, see `issues`)
 * - `carp`: an OpenBSD/FreeBSD CARP advertisement on the same protocol number
 * - `truncated`: fewer bytes captured than the fixed header or the IP length needs
 * - `unknown-version`: version nibble not 2 or 3
 * - `malformed`: cannot be read as VRRP (e.g. address count and length disagree beyond repair)
 */
export type VrrpKind = 'vrrp' | 'carp' | 'truncated' | 'unknown-version' | 'malformed'

export interface VrrpDecodeResult {
  kind: VrrpKind
  /** present for kind vrrp (and for malformed/truncated when the fixed header could be read) */
  packet?: VrrpPacket
  /** checksum verdict: ok, bad, as-v2 (v3 checksum computed without pseudo-header), unchecked */
  checksum: 'ok' | 'bad' | 'as-v2' | 'unchecked'
  issues: VrrpIssue[]
  /** VRRP message length (the IP payload length) */
  length: number
}

/** IP context the codec needs: pseudo-header addresses and TTL/hop limit. */
export interface VrrpIpContext {
  family: IpFamily
  /** source and destination as raw bytes (4 or 16) */
  srcBytes: Uint8Array
  dstBytes: Uint8Array
  ttl: number
}
