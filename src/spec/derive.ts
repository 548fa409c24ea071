import type {VrrpState} from '../keepalived/model.js'
import {addressFamily} from '../net/address.js'
import type {ClusterSpec, InstanceSpec, NodeSpec} from './schema.js'

/**
 * Derived facts of a spec: VRIDs for `auto`, who takes part in each instance
 * with which priority and state, router_id and interface per node. Pure.
 */

export interface InstanceMember {
  node: NodeSpec
  priority: number
  state: VrrpState
}

export interface InstancePlan {
  members: InstanceMember[]
}

/** FNV-1a 32-bit: small, stable across Node versions and platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** The VRID `auto` starts from: a stable hash of cluster and instance name into 1..255. */
export function autoVridSeed(cluster: string, instance: string): number {
  return (fnv1a(`${cluster}/${instance}`) % 255) + 1
}

/**
 * VRID per instance name. Explicit VRIDs are kept; `auto` ones start at the
 * hash seed and step to the next free number, skipping avoidVrids and VRIDs
 * already taken in this cluster. Stable: depends only on the spec.
 */
export function assignVrids(spec: Pick<ClusterSpec, 'cluster' | 'instances' | 'avoidVrids'>): Map<string, number> {
  const taken = new Set<number>(spec.avoidVrids ?? [])
  for (const i of spec.instances) if (i.vrid !== 'auto') taken.add(i.vrid)
  const out = new Map<string, number>()
  for (const i of spec.instances) {
    if (i.vrid !== 'auto') {
      out.set(i.name, i.vrid)
      continue
    }
    let v = autoVridSeed(spec.cluster, i.name)
    for (let n = 0; n < 255 && taken.has(v); n++) v = (v % 255) + 1
    taken.add(v)
    out.set(i.name, v)
  }
  return out
}

/** Default priority of the node at `position` among `count` members: 150, 100, 50 ... */
export function defaultPriority(position: number, count: number): number {
  const step = count <= 3 ? 50 : Math.max(1, Math.floor(140 / (count - 1)))
  return Math.max(1, 150 - position * step)
}

/**
 * Members of an instance in election order. Priority: instance.priorities,
 * else (with `master`) the position in the node list rotated to start at the
 * master, else node.priority, else the position. State: the highest priority
 * is MASTER, the rest BACKUP (see startsMaster() for when every node is
 * BACKUP); instance.states overrides a node's initial state.
 */
export function instancePlan(spec: Pick<ClusterSpec, 'nodes' | 'globalDefs'>, inst: InstanceSpec): InstancePlan {
  const nodes = spec.nodes.filter((n) => !inst.nodes || inst.nodes.includes(n.name))
  const start = inst.master ? Math.max(0, nodes.findIndex((n) => n.name === inst.master)) : 0
  const order = [...nodes.slice(start), ...nodes.slice(0, start)]
  const members = order.map((node, pos) => ({
    node,
    priority: inst.priorities?.[node.name] ?? (inst.master ? defaultPriority(pos, order.length) : (node.priority ?? defaultPriority(spec.nodes.indexOf(node), spec.nodes.length))),
    state: 'BACKUP' as VrrpState,
  }))
  if (startsMaster(inst, spec.globalDefs?.vrrpStrict === true) && members.length > 0) {
    const top = members.reduce((a, b) => (b.priority > a.priority ? b : a))
    top.state = 'MASTER'
  }
  for (const m of members) m.state = inst.states?.[m.node.name] ?? m.state
  return {members}
}

/**
 * Whether the highest priority node starts as MASTER. keepalived clears a
 * preempt_delay on a MASTER, refuses an initial MASTER with AH auth, and under
 * vrrp_strict allows it only for the address owner (priority 255); those
 * instances start all BACKUP and the election picks the highest priority.
 */
export function startsMaster(inst: Pick<InstanceSpec, 'preempt' | 'preemptDelay' | 'auth'>, strict = false): boolean {
  return inst.preempt && inst.preemptDelay === undefined && inst.auth?.type !== 'AH' && !strict
}

export function nodeInterface(spec: Pick<ClusterSpec, 'defaults'>, node: NodeSpec, inst?: InstanceSpec): string {
  return inst?.interface ?? node.interface ?? spec.defaults?.interface ?? 'eth0'
}

export function routerId(spec: Pick<ClusterSpec, 'cluster'>, node: NodeSpec): string {
  return node.routerId ?? `${spec.cluster}_${node.name}`
}

/** The address family an instance speaks: its first VIP's; without VIPs (an instance that only runs notify scripts), its first node's address. */
export function instanceFamily(spec: Pick<ClusterSpec, 'nodes'>, inst: InstanceSpec): 4 | 6 {
  const v = inst.vips[0]
  if (v !== undefined) return addressFamily(typeof v === 'string' ? v : v.address) as 4 | 6
  const first = spec.nodes.find((n) => !inst.nodes || inst.nodes.includes(n.name))
  return first ? (addressFamily(first.address) as 4 | 6) : 4
}
