import ipaddr from 'ipaddr.js'

/**
 * An address folded to 32 bits as IPVS does before hashing: the IPv4 address
 * itself (host order), or the XOR of an IPv6 address's four 32-bit words.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, as Node reports clients on a
 * dual-stack socket) fold as the IPv4 address.
 */
export function foldAddress(address: string): number {
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  }
  const bytes = parsed.toByteArray()
  let fold = 0
  for (let i = 0; i < bytes.length; i += 4) {
    fold ^= ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0
  }
  return fold >>> 0
}

/** Linux's hash_32(val, bits): multiply by GOLDEN_RATIO_32, keep the top bits. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, 0x61c88647) >>> (32 - bits)
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}
