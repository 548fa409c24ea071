import ipaddr from 'ipaddr.js'

/** True for a plain IPv4 or IPv6 address. */
export function isValidAddress(s: string): boolean {
  return ipaddr.isValid(s) && (ipaddr.IPv4.isValidFourPartDecimal(s) || s.includes(':'))
}

/** True for an address with an optional /prefix in range for its family. */
export function isValidCidrOrAddress(s: string): boolean {
  const [addr, prefix, ...rest] = s.split('/')
  if (rest.length > 0 || !isValidAddress(addr)) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (addressFamily(addr) === 4 ? 32 : 128)
}

/** 4 or 6 for an address, with or without /prefix. */
export function addressFamily(s: string): 4 | 6 {
  return s.split('/')[0].includes(':') ? 6 : 4
}

/**
 * The address `offset` hosts into the network of `cidr` (10.0.0.100/24, 21 -> 10.0.0.21),
 * or undefined when the network has no such host (offset 0 or past the last host).
 */
export function hostInNetwork(cidr: string, offset: number): string | undefined {
  const [addr, p] = cidr.split('/')
  const ip = ipaddr.parse(addr)
  const bits = ip.kind() === 'ipv4' ? 32 : 128
  const prefix = p === undefined ? bits : Number(p)
  const size = 1n << BigInt(bits - prefix)
  // IPv4 keeps its network and broadcast addresses out
  if (offset <= 0 || BigInt(offset) >= size - (bits === 32 && prefix < 31 ? 1n : 0n)) return undefined
  const n = ip.toByteArray().reduce((a, b) => (a << 8n) | BigInt(b), 0n)
  let host = ((n >> BigInt(bits - prefix)) << BigInt(bits - prefix)) + BigInt(offset)
  const bytes: number[] = []
  for (let i = 0; i < bits / 8; i++) (bytes.unshift(Number(host & 255n)), (host >>= 8n))
  return ipaddr.fromByteArray(bytes).toString()
}

/** The network of an address/prefix, as CIDR text (10.0.0.100/24 -> 10.0.0.0/24). */
export function networkOf(cidr: string): string {
  const [addr, p] = cidr.split('/')
  const ip = ipaddr.parse(addr)
  const prefix = p === undefined ? (ip.kind() === 'ipv4' ? 32 : 128) : Number(p)
  return `${ipaddr.IPv4.isValid(addr) && !addr.includes(':') ? ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${prefix}`).toString() : ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${prefix}`).toString()}/${prefix}`
}
