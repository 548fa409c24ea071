/**
 * Whole Ethernet frames the speaker injects: VRRP advertisements (through the
 * shared codec and frame builder), gratuitous ARP for IPv4 VIPs and
 * unsolicited neighbour advertisements for IPv6 VIPs. Pure.
 */
import {buildVrrpFrame, parseMac, virtualMac} from '../capture/frame.js'
import {parseIp} from '../vrrp/address.js'
import {foldChecksum, onesSum, pseudoHeaderSum} from '../vrrp/checksum.js'
import {makeAdvertisement} from '../vrrp/codec.js'
import type {EngineInstance} from './config.js'

export interface LinkAddrs {
  mac: string
  /** the source of our adverts: primary IPv4 or IPv6 link-local */
  srcIp: string
}

export function vipAddress(a: string): string {
  return a.replace(/\/\d+$/, '')
}

export function advertFrames(inst: EngineInstance, link: LinkAddrs, priority: number, peerMacs: ReadonlyMap<string, string>): Buffer[] {
  const packet = makeAdvertisement({
    version: inst.version,
    vrid: inst.vrid,
    priority,
    intervalCs: Math.round(inst.advertIntMs / 10),
    addresses: inst.vips.map((v) => vipAddress(v.address)),
    auth: inst.authPass !== undefined ? {type: 'simple', pass: inst.authPass} : undefined,
  })
  const srcMac = inst.useVmac ? virtualMac(inst.family, inst.vrid) : link.mac
  if (inst.unicastPeers.length === 0) return [buildVrrpFrame({packet, src: link.srcIp, dst: inst.mcastGroup, srcMac})]
  const out: Buffer[] = []
  for (const peer of inst.unicastPeers) {
    const dstMac = peerMacs.get(peer)
    if (dstMac) out.push(buildVrrpFrame({packet, src: link.srcIp, dst: peer, srcMac, dstMac}))
  }
  return out
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff'

/** Gratuitous ARP request (sender = target = the VIP), as keepalived sends. */
export function garpFrame(mac: string, vip: string): Buffer {
  const ipb = parseIp(vip).bytes
  const macb = parseMac(mac)
  const f = Buffer.alloc(42)
  f.set(parseMac(BROADCAST), 0)
  f.set(macb, 6)
  f.writeUInt16BE(0x0806, 12)
  f.writeUInt16BE(1, 14) // Ethernet
  f.writeUInt16BE(0x0800, 16)
  f[18] = 6
  f[19] = 4
  f.writeUInt16BE(1, 20) // request
  f.set(macb, 22)
  f.set(ipb, 28)
  // target MAC zero
  f.set(ipb, 38)
  return f
}

/** ARP request for `target` from `src`: resolves a unicast peer's MAC. */
export function arpRequestFrame(mac: string, src: string, target: string): Buffer {
  const f = garpFrame(mac, src)
  f.set(parseIp(target).bytes, 38)
  return f
}

/** Unsolicited neighbour advertisement for an IPv6 VIP to ff02::1 (override flag set). */
export function unsolicitedNaFrame(mac: string, srcLinkLocal: string, vip: string): Buffer {
  const src = parseIp(srcLinkLocal).bytes
  const dst = parseIp('ff02::1').bytes
  const target = parseIp(vip).bytes
  const macb = parseMac(mac)
  const icmp = Buffer.alloc(32)
  icmp[0] = 136 // neighbour advertisement
  icmp[4] = 0x20 // override
  icmp.set(target, 8)
  icmp[24] = 2 // target link-layer address option
  icmp[25] = 1
  icmp.set(macb, 26)
  const sum = foldChecksum(onesSum(icmp) + pseudoHeaderSum(6, src, dst, icmp.length, 58))
  icmp.writeUInt16BE(sum, 2)
  const f = Buffer.alloc(14 + 40 + icmp.length)
  f.set(parseMac('33:33:00:00:00:01'), 0)
  f.set(macb, 6)
  f.writeUInt16BE(0x86dd, 12)
  f[14] = 0x60
  f.writeUInt16BE(icmp.length, 18)
  f[20] = 58
  f[21] = 255
  f.set(src, 22)
  f.set(dst, 38)
  f.set(icmp, 54)
  return f
}

/** One announcement per VIP (GARP or unsolicited NA), advertised and excluded addresses alike. */
export function announceFrames(inst: EngineInstance, link: LinkAddrs, linkLocal: string | undefined): Buffer[] {
  const out: Buffer[] = []
  // use_vmac: announced from the virtual MAC, so neighbours resolve the VIPs to it
  const mac = inst.useVmac ? virtualMac(inst.family, inst.vrid) : link.mac
  for (const v of [...inst.vips, ...inst.excludedVips]) {
    const a = vipAddress(v.address)
    if (!a.includes(':')) out.push(garpFrame(mac, a))
    else if (linkLocal) out.push(unsolicitedNaFrame(mac, linkLocal, a))
  }
  return out
}
