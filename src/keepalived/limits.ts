/**
 * Limits keepalived 2.2.7 enforces, taken from its behaviour (`keepalived -t`
 * exits 5 past them): "Number of VIPs (N) exceeds maximum/space available in
 * packet (max M addresses)". One advert carries every VIP of an instance: at
 * most 255 (the 8-bit count), and no more than fit in one packet of the
 * interface MTU: measured on a 1500-byte veth, 255 IPv4 and 89 IPv6 addresses.
 */
export const MAX_VIPS_IPV4 = 255
export const DEFAULT_MTU = 1500

/** The most VIPs of one family keepalived accepts in one instance on an interface of this MTU. */
export function maxVips(family: 4 | 6, mtu = DEFAULT_MTU): number {
  // measured: floor((1500 - 64) / 16) = 89 for IPv6; IPv4 reaches the 255 count limit first at 1500
  return family === 6 ? Math.min(MAX_VIPS_IPV4, Math.floor((mtu - 64) / 16)) : Math.min(MAX_VIPS_IPV4, Math.floor((mtu - 36) / 4))
}

/** keepalived keeps 8 bytes of auth_pass (PASS and AH) and truncates a longer one with only a warning. */
export const MAX_AUTH_PASS_BYTES = 8
