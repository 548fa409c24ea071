/** IP address text, parsed in one place: validity, family, prefix, the bare address, normal forms and keys. */
import {createRequire} from 'node:module'
import type ipaddrLib from 'ipaddr.js'

let lib: typeof ipaddrLib | undefined
/** ipaddr.js, loaded on first use (importing this CommonJS package costs every start-up, even of commands that never parse an address) */
function ipaddr(): typeof ipaddrLib {
  return (lib ??= createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrLib)
}

/** An address family as keepalived and `ip` name it. */
export type Family = 'inet' | 'inet6'

export interface ParsedAddress {
  family: Family
  /** the address without its prefix, normalised */
  address: string
  prefix?: number
}

export type AddressProblem = {problem: 'invalid'} | {problem: 'prefix'; family: Family; max: number; prefix: string}

/** The address of "ADDR/PREFIX" or "ADDR" as written, without its prefix. */
export function bareAddress(text: string): string {
  return text.split('/')[0]
}

/** The bare address in lower case: the key to match an address written by people against one printed by `ip`. */
export function bareKey(text: string): string {
  return bareAddress(text).toLowerCase()
}

/** True for a plain IPv4 (dotted quad) or IPv6 address. */
export function isValidAddress(s: string): boolean {
  return ipaddr().isValid(s) && (ipaddr().IPv4.isValidFourPartDecimal(s) || s.includes(':'))
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
  return bareAddress(s).includes(':') ? 6 : 4
}

/** The address in ipaddr.js's normal form (IPv6 compressed, lower case); text that is no address comes back as it is. */
export function normalizeAddress(a: string): string {
  return ipaddr().isValid(a) ? ipaddr().parse(a).toString() : a
}

/**
 * The address `offset` hosts into the network of `cidr` (10.0.0.100/24, 21 -> 10.0.0.21),
 * or undefined when the network has no such host (offset 0 or past the last host).
 */
export function hostInNetwork(cidr: string, offset: number): string | undefined {
  const [addr, p] = cidr.split('/')
  const ip = ipaddr().parse(addr)
  const bits = ip.kind() === 'ipv4' ? 32 : 128
  const prefix = p === undefined ? bits : Number(p)
  const size = 1n << BigInt(bits - prefix)
  // IPv4 keeps its network and broadcast addresses out
  if (offset <= 0 || BigInt(offset) >= size - (bits === 32 && prefix < 31 ? 1n : 0n)) return undefined
  const n = ip.toByteArray().reduce((a, b) => (a << 8n) | BigInt(b), 0n)
  let host = ((n >> BigInt(bits - prefix)) << BigInt(bits - prefix)) + BigInt(offset)
  const bytes: number[] = []
  for (let i = 0; i < bits / 8; i++) (bytes.unshift(Number(host & 255n)), (host >>= 8n))
  return ipaddr().fromByteArray(bytes).toString()
}

/** The network of an address/prefix, as CIDR text (10.0.0.100/24 -> 10.0.0.0/24). */
export function networkOf(cidr: string): string {
  const {IPv4, IPv6} = ipaddr()
  const [addr, p] = cidr.split('/')
  const ip = ipaddr().parse(addr)
  const prefix = p === undefined ? (ip.kind() === 'ipv4' ? 32 : 128) : Number(p)
  return `${IPv4.isValid(addr) && !addr.includes(':') ? IPv4.networkAddressFromCIDR(`${addr}/${prefix}`).toString() : IPv6.networkAddressFromCIDR(`${addr}/${prefix}`).toString()}/${prefix}`
}

/** The family of an address as keepalived accepts it (dotted-quad IPv4, IPv6), with or without /prefix; undefined: no address. */
export function familyOf(ip: string): Family | undefined {
  const bare = bareAddress(ip)
  if (ipaddr().IPv4.isValidFourPartDecimal(bare)) return 'inet'
  if (ipaddr().IPv6.isValid(bare)) return 'inet6'
  return undefined
}

/** Parse "ADDR" or "ADDR/PREFIX" as keepalived checks it; returns a problem instead of throwing. */
export function parseAddress(text: string): ParsedAddress | AddressProblem {
  const [bare, prefix, ...more] = text.split('/')
  const family = familyOf(bare)
  if (!family || more.length > 0) return {problem: 'invalid'}
  const address = ipaddr().parse(bare).toString()
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
  return isIp(ip) && ipaddr().parse(ip).range() === 'multicast'
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
