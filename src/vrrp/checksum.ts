/** Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums VRRPv3 uses. */
import type {IpFamily} from './types.js'

export function onesSum(buf: Uint8Array, start = 0, end = buf.length, init = 0): number {
  let sum = init
  let i = start
  const last = end - 1
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1]
  if (i === last) sum += buf[i] << 8
  // keep the sum small enough to stay exact in a double
  return sum
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000)
  return ~sum & 0xffff
}

export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return foldChecksum(onesSum(buf, start, end))
}

export function pseudoHeaderSum(family: IpFamily, src: Uint8Array, dst: Uint8Array, length: number, proto: number): number {
  let sum = onesSum(src) + onesSum(dst)
  if (family === 4) sum += proto + length
  else sum += (length >>> 16) + (length & 0xffff) + proto
  return sum
}
