import type {KeepalivedConfig, SourceLoc, VrrpInstance} from '../keepalived/model.js'
import {addressKey, bareAddress} from '../net/address.js'
import {DEFAULT_PRIORITY, instanceFamily} from './config-rules.js'
import type {Finding, Severity} from './types.js'

/**
 * Rules across nodes: the configs of one cluster (one per node) must agree on
 * each instance (VRID, auth, advert_int, VIPs, version), elect exactly one
 * master, peer symmetrically over unicast, and not collide with another
 * cluster's VRID. Pure: models in, findings out.
 */

export interface NodeConfig {
  node: string
  file: string
  config: KeepalivedConfig
}

interface Member {
  node: NodeConfig
  vi: VrrpInstance
}

/** "a and b both" / "a, b and c all" */
function allOf(names: string[]): string {
  if (names.length === 2) return `${names[0]} and ${names[1]} both`
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} all`
}

const at = (m: Member, key?: string): {file: string; line?: number} => {
  const loc: SourceLoc | undefined = (key && m.vi.keyLocs?.[key]) || m.vi.loc
  return loc ? {file: loc.file, line: loc.line} : {file: m.node.file}
}

function finding(severity: Severity, rule: string, message: string, m: Member, key?: string, fix?: string): Finding {
  const f: Finding = {rule, severity, message, ...at(m, key), node: m.node.node}
  if (fix) f.fix = fix
  return f
}

const vipSet = (vi: VrrpInstance) => vi.virtualIpaddress.map((a) => addressKey(a.address)).sort().join(' ')
const prio = (vi: VrrpInstance) => vi.priority ?? DEFAULT_PRIORITY
const version = (m: Member) => m.vi.version ?? m.node.config.globalDefs?.vrrpVersion ?? 2

/** The value must be the same on every node; report each node that differs from the first. */
function agree(out: Finding[], members: Member[], rule: string, what: string, key: string, value: (m: Member) => string, show = true): void {
  const ref = members[0]
  for (const m of members.slice(1)) {
    if (value(m) !== value(ref)) {
      const detail = show ? ` (${value(m) || 'none'} here, ${value(ref) || 'none'} on ${ref.node.node})` : ''
      out.push(finding('error', rule, `vrrp_instance ${m.vi.name}: ${what} differs between ${ref.node.node} and ${m.node.node}${detail}`, m, key, `use the same ${what} on every node`))
    }
  }
}

function lintInstanceAcrossNodes(out: Finding[], name: string, members: Member[]): void {
  agree(out, members, 'cluster-vrid-mismatch', 'virtual_router_id', 'virtual_router_id', (m) => String(m.vi.virtualRouterId))
  agree(out, members, 'cluster-advert-mismatch', 'advert_int', 'advert_int', (m) => String(m.vi.advertInt ?? 1))
  agree(out, members, 'cluster-version-mismatch', 'VRRP version', 'version', (m) => String(version(m)))
  agree(out, members, 'cluster-vip-mismatch', 'virtual_ipaddress set', 'virtual_ipaddress', (m) => vipSet(m.vi))
  agree(out, members, 'cluster-auth-mismatch', 'authentication type', 'auth_type', (m) => m.vi.authentication?.type ?? '')
  // passwords are compared, never shown
  agree(out, members, 'cluster-auth-mismatch', 'password (auth_pass)', 'auth_pass', (m) => (m.vi.authentication?.pass ?? '').slice(0, 8), false)

  const byPrio = new Map<number, Member[]>()
  for (const m of members) byPrio.set(prio(m.vi), [...(byPrio.get(prio(m.vi)) ?? []), m])
  for (const [p, same] of byPrio) {
    if (same.length > 1) {
      out.push(finding('warning', 'cluster-equal-priority', `vrrp_instance ${name}: ${allOf(same.map((m) => m.node.node))} have priority ${p}; the election falls to the highest IP address`, same[1], 'priority', 'give each node its own priority'))
    }
  }
  const masters = members.filter((m) => m.vi.state === 'MASTER')
  const allBackupNopreempt = members.every((m) => m.vi.state !== 'MASTER' && m.vi.nopreempt)
  if (masters.length > 1 && !allBackupNopreempt) {
    out.push(finding('error', 'cluster-two-masters', `vrrp_instance ${name}: ${allOf(masters.map((m) => m.node.node))} start as MASTER`, masters[1], 'state', 'exactly one node starts as MASTER (or all BACKUP with nopreempt)'))
  }
  const preempting = members.filter((m) => !m.vi.nopreempt)
  if (preempting.length > 0 && preempting.length < members.length) {
    out.push(finding('warning', 'cluster-nopreempt-mixed', `vrrp_instance ${name}: nopreempt is set on some nodes only (${members.filter((m) => m.vi.nopreempt).map((m) => m.node.node).join(', ')})`, preempting[0], undefined, 'set nopreempt on all nodes or none'))
  }
  lintUnicast(out, name, members)
  lintTrackWeights(out, name, members)
}

function lintUnicast(out: Finding[], name: string, members: Member[]): void {
  const unicast = members.filter((m) => (m.vi.unicastPeer?.length ?? 0) > 0)
  if (unicast.length === 0) return
  const bySrc = new Map<string, Member>()
  for (const m of members) {
    const src = m.vi.unicastSrcIp?.split('/')[0]
    if (!src) continue
    const other = bySrc.get(src)
    if (other) out.push(finding('error', 'cluster-unicast-src-duplicate', `vrrp_instance ${name}: ${other.node.node} and ${m.node.node} both use unicast_src_ip ${src}`, m, 'unicast_src_ip', `set unicast_src_ip to ${m.node.node}'s own address`))
    else bySrc.set(src, m)
  }
  for (const m of members) {
    if (!unicast.includes(m)) {
      out.push(finding('error', 'cluster-unicast-asymmetric', `vrrp_instance ${name}: ${m.node.node} uses multicast while ${unicast[0].node.node} uses unicast peers`, m, undefined, 'configure unicast_src_ip and unicast_peer on every node'))
      continue
    }
    const peers = new Set((m.vi.unicastPeer ?? []).map((p) => addressKey(bareAddress(p))))
    for (const o of unicast) {
      if (o === m) continue
      const src = o.vi.unicastSrcIp?.split('/')[0]
      if (src && !peers.has(addressKey(src))) {
        out.push(finding('error', 'cluster-unicast-asymmetric', `vrrp_instance ${name}: ${m.node.node} does not list ${o.node.node}'s unicast_src_ip ${src} in unicast_peer`, m, 'unicast_peer', `add ${src} to unicast_peer on ${m.node.node}`))
      }
    }
  }
}

/** A tracked failure must move the VIP: |weight| must exceed the gap between the top two priorities. */
function lintTrackWeights(out: Finding[], name: string, members: Member[]): void {
  const sorted = [...members].sort((a, b) => prio(b.vi) - prio(a.vi))
  if (sorted.length < 2) return
  const [top, next] = sorted
  const gap = prio(top.vi) - prio(next.vi)
  const scripts = new Map(top.node.config.scripts.map((s) => [s.name, s]))
  for (const ref of top.vi.trackScript ?? []) {
    const w = ref.weight ?? scripts.get(ref.name)?.weight
    if (w === undefined || w === 0) continue
    if (Math.abs(w) <= gap) {
      out.push({
        rule: 'track-weight-ineffective',
        severity: 'warning',
        message: `vrrp_instance ${name}: when ${ref.name} fails on ${top.node.node} (priority ${prio(top.vi)}), weight ${w} leaves it at or above ${next.node.node} (priority ${prio(next.vi)}); the VIP does not move`,
        ...(ref.loc ? {file: ref.loc.file, line: ref.loc.line} : at(top, 'track_script')),
        node: top.node.node,
        fix: `use a weight larger than ${gap} in magnitude (e.g. ${w < 0 ? -(gap + 10) : gap + 10}), or narrow the priority gap`,
      })
    }
  }
}

/** Same VRID on the same interface and family with a different VIP set: another cluster's router. */
function lintVridCollisions(out: Finding[], groups: Map<string, Member[]>): void {
  const byVrid = new Map<string, {name: string; vips: string; member: Member}>()
  for (const [name, members] of groups) {
    const m = members[0]
    if (!m.vi.virtualRouterId) continue
    const key = `${m.vi.interface}|${instanceFamily(m.vi)}|${m.vi.virtualRouterId}`
    const prev = byVrid.get(key)
    if (!prev) {
      byVrid.set(key, {name, vips: vipSet(m.vi), member: m})
      continue
    }
    const sameNode = prev.member.node === m.node
    if (!sameNode && prev.vips !== vipSet(m.vi)) {
      out.push(finding('error', 'cluster-vrid-collision', `VRID ${m.vi.virtualRouterId} on ${m.vi.interface} is used by ${prev.name} (${prev.member.node.node}) and ${name} (${m.node.node}) with different VIPs; the routers will fight`, m, 'virtual_router_id', 'give each cluster on a LAN its own VRIDs'))
    }
  }
}

function lintRouterIds(out: Finding[], nodes: NodeConfig[]): void {
  const seen = new Map<string, NodeConfig>()
  for (const n of nodes) {
    const id = n.config.globalDefs?.routerId
    if (!id) continue
    const other = seen.get(id)
    if (other) {
      const loc = n.config.globalDefs?.keyLocs?.router_id
      out.push({rule: 'cluster-router-id-duplicate', severity: 'info', message: `${other.node} and ${n.node} both have router_id ${id}; logs and notification mails will not tell them apart`, file: loc?.file ?? n.file, ...(loc ? {line: loc.line} : {}), node: n.node, fix: 'give each node its own router_id (usually its host name)'})
    } else seen.set(id, n)
  }
}

export function lintCluster(nodes: NodeConfig[]): Finding[] {
  const out: Finding[] = []
  if (nodes.length < 2) return out
  lintRouterIds(out, nodes)
  const groups = new Map<string, Member[]>()
  for (const node of nodes) {
    for (const vi of node.config.instances) groups.set(vi.name, [...(groups.get(vi.name) ?? []), {node, vi}])
  }
  for (const [name, members] of groups) {
    const nodesWith = new Set(members.map((m) => m.node))
    if (nodesWith.size < nodes.length) {
      out.push(finding('warning', 'cluster-instance-missing', `vrrp_instance ${name} is on ${[...nodesWith].map((n) => n.node).join(', ')} only`, members[0], undefined, 'define the instance on every node (with the same name) or lint only the nodes of this cluster'))
    }
    if (members.length >= 2) lintInstanceAcrossNodes(out, name, members)
  }
  lintVridCollisions(out, groups)
  return out
}
