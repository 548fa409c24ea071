/** Fast IP address text <-> bytes for packet code (addresses as text are parsed in src/net/address.ts). */
import {createRequire} from 'node:module'
import type ipaddrLib from 'ipaddr.js'
import {HalError} from '../lib/errors.js'
import type {IpFamily} from './types.js'

let lib: typeof ipaddrLib | undefined
/**
 * ipaddr.js, loaded on first use: decoding and printing packets (halctl sniff) never needs it,
 * and importing this CommonJS package from an ES module added about 25 ms to every start-up
 */
function ipaddr(): typeof ipaddrLib {
  return (lib ??= createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrLib)
}

export function formatIPv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
}

/** inet_ntop(AF_INET6) rules: longest run (>= 2) of zero words becomes ::, IPv4-mapped/compatible tail. */
export function formatIPv6(b: Uint8Array, off: number): string {
  const w = new Array<number>(8)
  for (let i = 0; i < 8; i++) w[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1]
  let bestBase = -1
  let bestLen = 0
  let curBase = -1
  let curLen = 0
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i
        curLen = 1
      } else curLen++
    } else if (curBase !== -1) {
      if (curLen > bestLen) {
        bestBase = curBase
        bestLen = curLen
      }
      curBase = -1
    }
  }
  if (curBase !== -1 && curLen > bestLen) {
    bestBase = curBase
    bestLen = curLen
  }
  if (bestLen < 2) bestBase = -1
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':'
      continue
    }
    if (i !== 0) out += ':'
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += formatIPv4(b, off + 12)
      break
    }
    out += w[i].toString(16)
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':'
  return out
}

export function formatIp(family: IpFamily, b: Uint8Array, off: number): string {
  return family === 4 ? formatIPv4(b, off) : formatIPv6(b, off)
}

export function ipFamilyOf(text: string): IpFamily {
  return text.includes(':') ? 6 : 4
}

export function parseIp(text: string): {family: IpFamily; bytes: Uint8Array} {
  const bare = text.replace(/%.*$/, '').replace(/\/\d+$/, '')
  if (!ipaddr().isValid(bare)) {
    throw new HalError('BAD_ADDRESS', `not an IP address: ${text}`, {hint: 'use a dotted quad (10.0.0.1) or an IPv6 literal (fd00::1)'})
  }
  const a = ipaddr().parse(bare)
  return {family: a.kind() === 'ipv4' ? 4 : 6, bytes: Uint8Array.from(a.toByteArray())}
}
