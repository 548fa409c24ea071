/**
 * What the speaker does with one captured frame, pure: find the instance it is
 * for and check it the way keepalived's vrrp_check_packet does. A frame either
 * becomes an advert event for one instance, is our own advert (ignored), or is
 * dropped with a reason that the status counters show.
 */
import {parseFrame} from '../capture/frame.js'
import {LinkType} from '../capture/link-types.js'
import {authPassword, intervalCs} from '../vrrp/codec.js'
import {VRRP_TTL, VRRP_TYPE_ADVERTISEMENT} from '../vrrp/types.js'
import type {EngineInstance} from './config.js'
import {vipAddress} from './frames.js'

export type DropReason =
  | 'not-vrrp'
  | 'truncated'
  | 'malformed'
  | 'unknown-version'
  | 'bad-ttl'
  | 'bad-checksum'
  | 'bad-type'
  | 'unknown-vrid'
  | 'version-mismatch'
  | 'auth-type-mismatch'
  | 'auth-failure'
  | 'interval-mismatch'
  | 'address-mismatch'
  | 'bad-priority'
  | 'unicast-on-multicast'
  | 'multicast-on-unicast'
  | 'not-for-us'

export type Received =
  | {kind: 'advert'; instance: string; priority: number; adverIntMs: number; srcIp: string}
  | {kind: 'own'}
  | {kind: 'drop'; reason: DropReason; instance?: string}

/** Instances listening on one interface, keyed by family/vrid, plus our own source addresses there. */
export interface ReceiveContext {
  byVrid: ReadonlyMap<string, EngineInstance>
  ownIps: ReadonlySet<string>
}

export function vridKey(family: 4 | 6, vrid: number): string {
  return `${family}/${vrid}`
}

function sameAddresses(inst: EngineInstance, got: string[]): boolean {
  const want = inst.vips.map((v) => vipAddress(v.address))
  if (want.length !== got.length) return false
  const norm = (s: string) => s.toLowerCase()
  const set = new Set(got.map(norm))
  return want.every((w) => set.has(norm(w)))
}

/** An IPv4 224.0.0.0/4 or IPv6 ff00::/8 destination. */
function isMulticast(family: 4 | 6, dst: string): boolean {
  if (family === 6) return /^ff/i.test(dst)
  const first = Number(dst.split('.')[0])
  return first >= 224 && first <= 239
}

/**
 * keepalived's rules by destination, as vrrp_check_packet applies them: a
 * multicast instance takes only multicast adverts (an advert to one of the
 * node's own unicast addresses reaches its raw socket but is refused), a
 * unicast instance only unicast ones, to the address its socket is bound to
 * (unicast_src_ip, else the interface's primary address). The TTL must be 255
 * on multicast only; unicast adverts cross routers.
 */
function destinationDrop(inst: EngineInstance, dst: string, family: 4 | 6, ownIps: ReadonlySet<string>): DropReason | undefined {
  const unicast = inst.unicastPeers.length > 0
  const multicast = isMulticast(family, dst)
  if (!unicast) return multicast ? undefined : 'unicast-on-multicast'
  if (multicast) return 'multicast-on-unicast'
  const bound = inst.srcIp?.toLowerCase()
  return (bound ? dst.toLowerCase() === bound : ownIps.has(dst)) ? undefined : 'not-for-us'
}

export function classifyFrame(data: Uint8Array, ctx: ReceiveContext, linkType: number = LinkType.ETHERNET): Received {
  const f = parseFrame(data, linkType)
  if (f.kind === 'not-vrrp' || f.kind === 'not-ip' || f.kind === 'carp' || f.kind === 'unsupported-link' || f.kind === 'fragment') return {kind: 'drop', reason: 'not-vrrp'}
  if (f.kind === 'bad-ip' || f.kind === 'malformed') return {kind: 'drop', reason: 'malformed'}
  if (f.kind === 'truncated') return {kind: 'drop', reason: 'truncated'}
  if (f.kind === 'unknown-version') return {kind: 'drop', reason: 'unknown-version'}
  const ip = f.ip
  const r = f.vrrp
  const p = r?.packet
  if (!ip || !r || !p) return {kind: 'drop', reason: 'malformed'}
  if (ctx.ownIps.has(ip.src)) return {kind: 'own'}
  const inst = ctx.byVrid.get(vridKey(ip.family, p.vrid))
  if (ip.ttl !== VRRP_TTL && !(inst && inst.unicastPeers.length > 0)) return {kind: 'drop', reason: 'bad-ttl', instance: inst?.name}
  if (r.checksum === 'bad') return {kind: 'drop', reason: 'bad-checksum', instance: inst?.name}
  if (r.issues.some((i) => i.severity === 'error' && i.code !== 'bad-ttl')) return {kind: 'drop', reason: 'malformed', instance: inst?.name}
  if (p.type !== VRRP_TYPE_ADVERTISEMENT) return {kind: 'drop', reason: 'bad-type', instance: inst?.name}
  if (!inst) return {kind: 'drop', reason: 'unknown-vrid'}
  if (p.version !== inst.version) return {kind: 'drop', reason: 'version-mismatch', instance: inst.name}
  if (inst.version === 2) {
    const wantType = inst.authPass !== undefined ? 1 : 0
    if (p.authType !== wantType) return {kind: 'drop', reason: 'auth-type-mismatch', instance: inst.name}
    if (inst.authPass !== undefined && authPassword(p) !== inst.authPass) return {kind: 'drop', reason: 'auth-failure', instance: inst.name}
    if (p.advertIntSec * 1000 !== inst.advertIntMs) return {kind: 'drop', reason: 'interval-mismatch', instance: inst.name}
  } else if (p.maxAdvertIntCs === 0) return {kind: 'drop', reason: 'malformed', instance: inst.name}
  if (p.priority > 255) return {kind: 'drop', reason: 'bad-priority', instance: inst.name}
  const misdirected = destinationDrop(inst, ip.dst, ip.family, ctx.ownIps)
  if (misdirected) return {kind: 'drop', reason: misdirected, instance: inst.name}
  // keepalived drops an advert whose address list differs from ours
  if (!sameAddresses(inst, p.addresses)) return {kind: 'drop', reason: 'address-mismatch', instance: inst.name}
  return {kind: 'advert', instance: inst.name, priority: p.priority, adverIntMs: intervalCs(p) * 10, srcIp: ip.src}
}
