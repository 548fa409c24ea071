/**
 * The one VRRP codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798/9568) over IPv4 and IPv6.
 * Pure functions, no I/O; used by `halctl sniff`, `failover-test` and the embedded engine.
 *
 * Exported API:
 * - `decodeVrrp(buf, off?, len?, ctx?, wireLen?) -> VrrpDecodeResult`
 *     Classifies the IP payload of a protocol-112 packet (vrrp | carp | truncated |
 *     unknown-version | malformed) and reads every field. `len` is the number of captured bytes,
 *     `wireLen` the payload length the IP header announces (default `len`). With `ctx` (family,
 *     source/destination bytes, TTL) it also checks the TTL/hop limit (must be 255) and the
 *     checksum: v2 over the message only; v3 over the IPv4/IPv6 pseudo-header and the message,
 *     accepting the "v3 checksum computed as v2" vendor variant with an info note.
 *     Other checks: address count vs length, unknown type, unknown auth type, bytes after a v3
 *     message that look like v2 auth data ("auth in v3"), zero interval. Never throws.
 * - `encodeVrrp(packet, ctx?) -> Uint8Array`
 *     The wire bytes of a packet. A packet that came from `decodeVrrp` encodes back to the exact
 *     same bytes (checksum, auth data and trailing bytes are kept). When `packet.checksum` is
 *     undefined it is computed (v3 needs `ctx` for the pseudo-header). Throws HalError on a
 *     field that does not fit the wire format.
 * - `makeAdvertisement({version, vrid, priority, intervalCs, addresses, auth?}) -> VrrpPacket`
 *     A packet ready for `encodeVrrp` / `buildVrrpFrame` (src/capture/frame.ts).
 * - `authPassword(packet) -> string | undefined`: the simple-text password of a v2 packet.
 * - `intervalCs(packet) -> number`: advertisement interval in centiseconds for v2 and v3.
 * - `isCarp(buf, off, len, wireLen)`: the CARP-on-112 test used by decodeVrrp.
 */
import {HalError} from '../lib/errors.js'
import {formatIp, ipFamilyOf, parseIp} from './address.js'
import {foldChecksum, onesSum, pseudoHeaderSum} from './checksum.js'
import {
  AUTH_AH,
  AUTH_NONE,
  AUTH_SIMPLE,
  VRRP_PROTO,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  type IpFamily,
  type VrrpDecodeResult,
  type VrrpIpContext,
  type VrrpIssue,
  type VrrpPacket,
} from './types.js'

const HEADER = 8
const V2_AUTH = 8
/** CARP (OpenBSD) advertisement: 36 bytes, version 2, type 1, byte 3 = authlen 7 (28-byte HMAC) */
const CARP_LEN = 36
const CARP_AUTHLEN = 7

export function isCarp(buf: Uint8Array, off: number, len: number, wireLen: number): boolean {
  return wireLen === CARP_LEN && len >= 4 && buf[off] === 0x21 && buf[off + 3] === CARP_AUTHLEN
}

function issue(code: VrrpIssue['code'], severity: VrrpIssue['severity'], message: string): VrrpIssue {
  return {code, severity, message}
}

export function decodeVrrp(
  buf: Uint8Array,
  off = 0,
  len = buf.length - off,
  ctx?: VrrpIpContext,
  wireLen = len,
): VrrpDecodeResult {
  const issues: VrrpIssue[] = []
  if (ctx && ctx.ttl !== VRRP_TTL) {
    issues.push(issue('bad-ttl', 'error', `${ctx.family === 4 ? 'TTL' : 'hop limit'} ${ctx.ttl}, must be 255 (the packet crossed a router or was forged)`))
  }
  const captured = Math.min(len, wireLen)
  if (captured < 1) {
    issues.push(issue('truncated', 'error', `VRRP message of ${wireLen} bytes, ${len} captured`))
    return {kind: 'truncated', checksum: 'unchecked', issues, length: wireLen}
  }
  if (isCarp(buf, off, len, wireLen)) return {kind: 'carp', checksum: 'unchecked', issues, length: wireLen}
  const version = buf[off] >> 4
  const type = buf[off] & 0x0f
  if (captured < HEADER) {
    issues.push(issue('truncated', 'error', `VRRP message of ${wireLen} bytes, ${len} captured (header is 8)`))
    return {kind: 'truncated', checksum: 'unchecked', issues, length: wireLen, packet: partial(version, type)}
  }
  const family: IpFamily = ctx?.family ?? 4
  const addrSize = family === 4 ? 4 : 16
  const b4 = buf[off + 4]
  const b5 = buf[off + 5]
  const v2 = version === 2
  const addrCount = buf[off + 3]
  const packet: VrrpPacket = {
    version,
    type,
    vrid: buf[off + 1],
    priority: buf[off + 2],
    addrCount,
    authType: v2 ? b4 : 0,
    advertIntSec: v2 ? b5 : 0,
    reserved: v2 ? 0 : b4 >> 4,
    maxAdvertIntCs: v2 ? 0 : ((b4 & 0x0f) << 8) | b5,
    checksum: (buf[off + 6] << 8) | buf[off + 7],
    addresses: [],
  }
  if (version !== 2 && version !== 3) {
    issues.push(issue('unknown-version', 'error', `VRRP version ${version} (only 2 and 3 exist)`))
    return {kind: 'unknown-version', checksum: 'unchecked', issues, length: wireLen, packet}
  }
  if (type !== VRRP_TYPE_ADVERTISEMENT) issues.push(issue('unknown-type', 'error', `VRRP type ${type} (only 1, Advertisement, exists)`))

  const need = HEADER + addrCount * addrSize + (v2 ? V2_AUTH : 0)
  const readable = Math.min(captured, wireLen)
  // addresses that fit inside both the declared count and the bytes present
  const fit = Math.min(addrCount, Math.floor((readable - HEADER) / addrSize))
  for (let i = 0; i < fit; i++) packet.addresses.push(formatIp(family, buf, off + HEADER + i * addrSize))
  const addrEnd = HEADER + addrCount * addrSize
  let kind: VrrpDecodeResult['kind'] = 'vrrp'
  if (len < wireLen) {
    issues.push(issue('truncated', 'error', `VRRP message of ${wireLen} bytes, ${len} captured`))
    kind = 'truncated'
  } else if (wireLen < need) {
    issues.push(
      issue('addr-count-mismatch', 'error', `address count ${addrCount} needs a ${need}-byte message, the packet has ${wireLen}`),
    )
    kind = 'malformed'
  }
  if (kind === 'vrrp') {
    if (v2) {
      packet.authData = buf.slice(off + addrEnd, off + addrEnd + V2_AUTH)
      if (packet.authType !== AUTH_NONE && packet.authType !== AUTH_SIMPLE && packet.authType !== AUTH_AH) {
        issues.push(issue('unknown-auth-type', 'warning', `authentication type ${packet.authType} (0 none, 1 simple, 2 AH)`))
      }
      if (packet.advertIntSec === 0) issues.push(issue('zero-interval', 'warning', 'advertisement interval 0 s'))
    } else if (packet.maxAdvertIntCs === 0) issues.push(issue('zero-interval', 'warning', 'advertisement interval 0 cs'))
    if (wireLen > need) {
      packet.trailer = buf.slice(off + need, off + wireLen)
      if (!v2 && wireLen - need === V2_AUTH) {
        issues.push(issue('auth-in-v3', 'warning', 'VRRPv3 has no authentication, but 8 bytes of v2-style auth data follow the addresses'))
      } else {
        issues.push(
          issue('addr-count-mismatch', 'warning', `address count ${addrCount} makes a ${need}-byte message, the packet has ${wireLen}`),
        )
      }
    }
  }
  let checksum: VrrpDecodeResult['checksum'] = 'unchecked'
  if (len >= wireLen) {
    const msgSum = onesSum(buf, off, off + wireLen)
    if (v2) checksum = foldChecksum(msgSum) === 0 ? 'ok' : 'bad'
    else if (ctx) {
      const full = foldChecksum(msgSum + pseudoHeaderSum(ctx.family, ctx.srcBytes, ctx.dstBytes, wireLen, VRRP_PROTO))
      checksum = full === 0 ? 'ok' : foldChecksum(msgSum) === 0 ? 'as-v2' : 'bad'
    }
    if (checksum === 'bad') issues.push(issue('bad-checksum', 'error', `checksum 0x${packet.checksum!.toString(16).padStart(4, '0')} does not verify`))
    if (checksum === 'as-v2') {
      issues.push(
        issue('checksum-as-v2', 'info', 'VRRPv3 checksum computed without the pseudo-header (vendor variant, keepalived vrrp_v3_checksum_as_v2)'),
      )
    }
  }
  return {kind, checksum, issues, length: wireLen, packet}
}

function partial(version: number, type: number): VrrpPacket {
  return {version, type, vrid: 0, priority: 0, addrCount: 0, authType: 0, advertIntSec: 0, reserved: 0, maxAdvertIntCs: 0, addresses: []}
}

function fits(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new HalError('VRRP_FIELD_RANGE', `VRRP field ${name} = ${value} does not fit (0..${max})`, {
      hint: 'check the instance settings: vrid 1..255, priority 0..255, v2 interval 1..255 s, v3 interval up to 40.95 s',
    })
  }
}

/** Wire bytes of a packet; see the module header. */
export function encodeVrrp(p: VrrpPacket, ctx?: Pick<VrrpIpContext, 'family' | 'srcBytes' | 'dstBytes'>): Uint8Array {
  fits('version', p.version, 15)
  fits('type', p.type, 15)
  fits('vrid', p.vrid, 255)
  fits('priority', p.priority, 255)
  fits('addrCount', p.addrCount, 255)
  const family: IpFamily = ctx?.family ?? (p.addresses.length > 0 ? ipFamilyOf(p.addresses[0]) : 4)
  const addrSize = family === 4 ? 4 : 16
  const v2 = p.version === 2
  const auth = v2 ? V2_AUTH : 0
  const trailer = p.trailer ?? new Uint8Array(0)
  const len = HEADER + p.addresses.length * addrSize + auth + trailer.length
  const out = new Uint8Array(len)
  out[0] = (p.version << 4) | p.type
  out[1] = p.vrid
  out[2] = p.priority
  out[3] = p.addrCount
  if (v2) {
    fits('authType', p.authType, 255)
    fits('advertIntSec', p.advertIntSec, 255)
    out[4] = p.authType
    out[5] = p.advertIntSec
  } else {
    fits('reserved', p.reserved, 15)
    fits('maxAdvertIntCs', p.maxAdvertIntCs, 0xfff)
    out[4] = (p.reserved << 4) | (p.maxAdvertIntCs >> 8)
    out[5] = p.maxAdvertIntCs & 0xff
  }
  let o = HEADER
  for (const a of p.addresses) {
    const {family: f, bytes} = parseIp(a)
    if (f !== family) {
      throw new HalError('VRRP_MIXED_FAMILY', `address ${a} is IPv${f} in an IPv${family} VRRP packet`, {
        hint: 'one VRRP instance carries IPv4 or IPv6 addresses, not both; split them into two instances',
      })
    }
    out.set(bytes, o)
    o += addrSize
  }
  if (v2) {
    if (p.authData) out.set(p.authData.subarray(0, V2_AUTH), o)
    o += V2_AUTH
  }
  out.set(trailer, o)
  let sum = p.checksum
  if (sum === undefined) {
    let s = onesSum(out)
    if (!v2) {
      if (!ctx) {
        throw new HalError('VRRP_NEEDS_IP', 'a VRRPv3 checksum needs the IP source and destination (pseudo-header)', {
          hint: 'pass {family, srcBytes, dstBytes} to encodeVrrp, or build the whole frame with buildVrrpFrame',
        })
      }
      s += pseudoHeaderSum(family, ctx.srcBytes, ctx.dstBytes, len, VRRP_PROTO)
    }
    sum = foldChecksum(s)
  }
  fits('checksum', sum, 0xffff)
  out[6] = sum >> 8
  out[7] = sum & 0xff
  return out
}

export interface AdvertisementInput {
  version: 2 | 3
  vrid: number
  priority: number
  /** advertisement interval in centiseconds (v2 must be whole seconds) */
  intervalCs: number
  addresses: string[]
  /** v2 only */
  auth?: {type: 'none'} | {type: 'simple'; pass: string} | {type: 'ah'}
}

export function makeAdvertisement(a: AdvertisementInput): VrrpPacket {
  const v2 = a.version === 2
  if (v2 && a.intervalCs % 100 !== 0) {
    throw new HalError('VRRP_V2_INTERVAL', `VRRPv2 advertises whole seconds; ${a.intervalCs / 100} s is not`, {
      hint: 'use version 3 for sub-second advert_int',
    })
  }
  if (!v2 && a.auth && a.auth.type !== 'none') {
    throw new HalError('VRRP_V3_AUTH', 'VRRPv3 has no authentication', {hint: 'drop authentication or use version 2'})
  }
  let authType = AUTH_NONE
  const authData = new Uint8Array(V2_AUTH)
  if (a.auth?.type === 'simple') {
    authType = AUTH_SIMPLE
    // keepalived cuts auth_pass to 8 bytes, zero-filled
    authData.set(new TextEncoder().encode(a.auth.pass).subarray(0, V2_AUTH))
  } else if (a.auth?.type === 'ah') authType = AUTH_AH
  return {
    version: a.version,
    type: VRRP_TYPE_ADVERTISEMENT,
    vrid: a.vrid,
    priority: a.priority,
    addrCount: a.addresses.length,
    authType: v2 ? authType : 0,
    advertIntSec: v2 ? a.intervalCs / 100 : 0,
    reserved: 0,
    maxAdvertIntCs: v2 ? 0 : a.intervalCs,
    addresses: [...a.addresses],
    authData: v2 ? authData : undefined,
  }
}

export function authPassword(p: VrrpPacket): string | undefined {
  if (p.version !== 2 || p.authType !== AUTH_SIMPLE || !p.authData) return undefined
  let end = p.authData.indexOf(0)
  if (end < 0) end = p.authData.length
  return Buffer.from(p.authData.subarray(0, end)).toString('latin1')
}

export function intervalCs(p: VrrpPacket): number {
  return p.version === 2 ? p.advertIntSec * 100 : p.maxAdvertIntCs
}
