import ipaddr from 'ipaddr.js'

/** Address checks as keepalived makes them (dotted-quad IPv4, IPv6, optional /prefix). */

export type Family = 'inet' | 'inet6'

export interface ParsedAddress {
  family: Family
  /** the address without its prefix, normalised */
  address: string
  prefix?: number
}

export type AddressProblem = {problem: 'invalid'} | {problem: 'prefix'; family: Family; max: number; prefix: string}

export function familyOf(ip: string): Family | undefined {
  const bare = ip.split('/')[0]
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return 'inet'
  if (ipaddr.IPv6.isValid(bare)) return 'inet6'
  return undefined
}

/** Parse "ADDR" or "ADDR/PREFIX"; returns a problem instead of throwing. */
export function parseAddress(text: string): ParsedAddress | AddressProblem {
  const [bare, prefix, ...more] = text.split('/')
  const family = familyOf(bare)
  if (!family || more.length > 0) return {problem: 'invalid'}
  const address = ipaddr.parse(bare).toString()
  if (prefix === undefined) return {family, address}
  const max = family === 'inet' ? 32 : 128
  if (!/^\d+$/.test(prefix) || Number(prefix) > max) return {problem: 'prefix', family, max, prefix}
  return {family, address, prefix: Number(prefix)}
}

export function isProblem(a: ParsedAddress | AddressProblem): a is AddressProblem {
  return 'problem' in a
}

/** A bare IP (no prefix) of either family. */
export function isIp(text: string): boolean {
  return familyOf(text) !== undefined && !text.includes('/')
}

export function isMulticast(ip: string): boolean {
  return isIp(ip) && ipaddr.parse(ip).range() === 'multicast'
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

export function isHostOrIp(text: string): boolean {
  return isIp(text) || HOSTNAME.test(text)
}

/** Normalised address/prefix for comparing VIP sets across nodes. */
export function addressKey(text: string): string {
  const p = parseAddress(text)
  if (isProblem(p)) return text
  return p.prefix === undefined ? p.address : `${p.address}/${p.prefix}`
}
