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
