/**
 * The per-packet --json record of `halctl sniff` (one NDJSON line per captured frame).
 * Field names are stable and always present (null when not applicable); a unit test pins them.
 * The simple-auth password is never included.
 *
 * Exports: `PacketRecordJson`, `packetRecord(index, timeMs, iface, frame)`.
 */
import type {FrameKind, ParsedFrame} from '../capture/frame.js'
import {intervalCs} from '../vrrp/codec.js'
import {authTypeName} from './tracker.js'
import {isoMicro} from './time.js'

export interface PacketRecordJson {
  type: 'packet'
  index: number
  time: string
  interface: string
  kind: FrameKind
  srcMac: string | null
  dstMac: string | null
  vlan: number | null
  family: 4 | 6 | null
  src: string | null
  dst: string | null
  ttl: number | null
  version: number | null
  vrid: number | null
  priority: number | null
  intervalCs: number | null
  addrCount: number | null
  addresses: string[]
  authType: string | null
  checksum: 'ok' | 'bad' | 'as-v2' | 'unchecked' | null
  length: number | null
  issues: string[]
}

export function packetRecord(index: number, timeMs: number, iface: string, f: ParsedFrame): PacketRecordJson {
  const p = f.vrrp?.packet
  const known = p !== undefined && (p.version === 2 || p.version === 3) && f.kind !== 'carp'
  return {
    type: 'packet',
    index,
    time: isoMicro(timeMs),
    interface: iface,
    kind: f.kind,
    srcMac: f.srcMac ?? null,
    dstMac: f.dstMac ?? null,
    vlan: f.vlan ?? null,
    family: f.ip?.family ?? null,
    src: f.ip?.src ?? null,
    dst: f.ip?.dst ?? null,
    ttl: f.ip?.ttl ?? null,
    version: p?.version ?? null,
    vrid: known ? p.vrid : null,
    priority: known ? p.priority : null,
    intervalCs: known ? intervalCs(p) : null,
    addrCount: known ? p.addrCount : null,
    addresses: known ? p.addresses : [],
    authType: known && p.version === 2 ? authTypeName(p.authType) : null,
    checksum: f.vrrp?.checksum ?? null,
    length: f.vrrp?.length ?? null,
    issues: f.vrrp?.issues.map((i) => i.code) ?? (f.reason ? [f.kind] : []),
  }
}
