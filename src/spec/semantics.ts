import {DEFAULT_MTU, maxVips} from '../keepalived/limits.js'
import {addressFamily, bareAddress, normalizeAddress as normalizeIp} from '../net/address.js'
import type {SpecIssue} from './issues.js'
import type {ClusterSpec, TrackRefSpec, VipSpec} from './schema.js'
import {instanceFamily, instancePlan, nodeInterface} from './derive.js'

const trackName = (t: TrackRefSpec): string => (typeof t === 'string' ? t : t.name)
export const vipAddress = (v: VipSpec): string => (typeof v === 'string' ? v : v.address)
const bareVip = (v: VipSpec): string => normalizeIp(bareAddress(vipAddress(v)))

/** Cross-field rules zod cannot see: references, uniqueness, election sanity. Pure. */
export function checkSpecSemantics(spec: ClusterSpec): SpecIssue[] {
  const issues: SpecIssue[] = []
  const add = (path: (string | number)[], message: string) => issues.push({path, message})

  const nodeNames = new Map<string, number>()
  const addrs = new Map<string, number>()
  spec.nodes.forEach((n, i) => {
    if (nodeNames.has(n.name)) add(['nodes', i, 'name'], `node "${n.name}" is already defined at nodes[${nodeNames.get(n.name)}]`)
    else nodeNames.set(n.name, i)
    if (addrs.has(n.address)) add(['nodes', i, 'address'], `address ${n.address} is already used by nodes[${addrs.get(n.address)}]`)
    else addrs.set(n.address, i)
  })
  const scriptNames = new Set(Object.keys(spec.scripts ?? {}))
  const instNames = new Map<string, number>()
  const strict = spec.globalDefs?.vrrpStrict === true
  const usedVrids = new Map<string, number>()
  const vipOwner = new Map<string, string>()

  spec.instances.forEach((inst, i) => {
    const at = (...p: (string | number)[]) => ['instances', i, ...p]
    if (instNames.has(inst.name)) add(at('name'), `instance "${inst.name}" is already defined at instances[${instNames.get(inst.name)}]`)
    else instNames.set(inst.name, i)
    for (const [j, n] of (inst.nodes ?? []).entries()) if (!nodeNames.has(n)) add(at('nodes', j), `no node named "${n}"`)
    if (inst.master !== undefined && !nodeNames.has(inst.master)) add(at('master'), `no node named "${inst.master}"`)
    if (inst.master !== undefined && inst.nodes && !inst.nodes.includes(inst.master)) add(at('master'), `"${inst.master}" is not one of this instance's nodes`)
    for (const key of ['priorities', 'states'] as const) for (const n of Object.keys(inst[key] ?? {})) if (!nodeNames.has(n)) add(at(key, n), `no node named "${n}"`)
    for (const [j, t] of (inst.trackScripts ?? []).entries()) {
      if (!scriptNames.has(trackName(t))) add(at('trackScripts', j), `no script named "${trackName(t)}" under scripts`)
    }
    const families = new Set(inst.vips.map((v) => addressFamily(vipAddress(v))))
    const v6Only = families.size === 1 && families.has(6)
    const version = inst.version ?? spec.globalDefs?.vrrpVersion
    if (v6Only && version === 2) add(at('version'), 'IPv6 VIPs need VRRP version 3')
    if (inst.auth && (version === 3 || v6Only)) add(at('auth'), 'VRRP version 3 has no authentication; remove auth')
    if (strict && inst.auth) add(at('auth'), 'vrrp_strict (globalDefs.vrrpStrict) does not allow authentication')
    if (strict && inst.unicast) add(at('unicast'), 'vrrp_strict (globalDefs.vrrpStrict) does not allow unicast')
    if (strict && inst.vips.length && addressFamily(vipAddress(inst.vips[0])) === 6 && !/^fe[89ab][0-9a-f]:/i.test(vipAddress(inst.vips[0]))) {
      add(at('vips', 0), 'vrrp_strict (globalDefs.vrrpStrict) needs a link-local (fe80::/10) first IPv6 VIP, as RFC 5798 asks')
    }
    if (strict && inst.preemptDelay !== undefined) add(at('preemptDelay'), 'vrrp_strict (globalDefs.vrrpStrict) does not allow a preempt delay')
    if (!inst.preempt && inst.preemptDelay !== undefined) add(at('preemptDelay'), 'a preempt delay needs preempt: true (keepalived ignores it with nopreempt)')
    const family = instanceFamily(spec, inst)
    const members = spec.nodes.filter((n) => !inst.nodes || inst.nodes.includes(n.name))
    for (const [j, t] of (inst.trackInterfaces ?? []).entries()) {
      const own = members.find((n) => nodeInterface(spec, n, inst) === trackName(t))
      if (own) add(at('trackInterfaces', j), `${trackName(t)} is the VRRP interface of this instance on ${own.name}; keepalived tracks it anyway and ignores it here`)
    }
    const external = inst.externalPeers ?? []
    if (inst.unicast && members.length + external.length < 2) add(at('unicast'), 'unicast needs at least two nodes in the instance, or externalPeers (there is no peer to send to)')
    if (inst.unicast && members.some((n) => addressFamily(n.address) !== family)) {
      add(at('unicast'), `unicast needs IPv${family} node addresses, the family of the first VIP; use multicast for this instance`)
    }
    if (external.length && !inst.unicast) add(at('externalPeers'), 'externalPeers needs unicast: true')
    for (const [j, p] of external.entries()) {
      if (addressFamily(p) !== family) add(at('externalPeers', j), `unicast needs IPv${family} peer addresses, the family of the first VIP`)
      const node = spec.nodes.find((n) => normalizeIp(n.address) === normalizeIp(p))
      if (node) add(at('externalPeers', j), `${p} is node "${node.name}"; list only routers that are not nodes of this spec`)
    }
    for (const fam of [4, 6] as const) {
      const n = inst.vips.filter((v) => addressFamily(vipAddress(v)) === fam).length
      if (n > maxVips(fam)) {
        add(at('vips'), `${n} IPv${fam} VIPs in one instance; keepalived -t refuses more than ${maxVips(fam)} (one advert carries them all, MTU ${DEFAULT_MTU}): split them over several instances`)
      }
    }
    for (const [j, v] of [...inst.vips, ...(inst.excludedVips ?? [])].entries()) {
      const key = bareVip(v)
      const path = j < inst.vips.length ? at('vips', j) : at('excludedVips', j - inst.vips.length)
      const prev = vipOwner.get(key)
      if (prev) add(path, `VIP ${key} is already ${prev}; give each VIP to exactly one instance`)
      else vipOwner.set(key, `in instances[${i}]`)
      const node = spec.nodes.find((n) => normalizeIp(n.address) === key)
      if (node) add(path, `VIP ${key} is the own address of node "${node.name}"; the node would lose it whenever it is not MASTER`)
    }
    if (inst.vrid !== 'auto') {
      if (spec.avoidVrids?.includes(inst.vrid)) add(at('vrid'), `VRID ${inst.vrid} is listed in avoidVrids`)
      const key = `${inst.interface ?? ''}/${families.has(4) ? 4 : 6}/${inst.vrid}`
      if (usedVrids.has(key)) add(at('vrid'), `VRID ${inst.vrid} is already used by instances[${usedVrids.get(key)}] on the same interface`)
      else usedVrids.set(key, i)
    }
    if (issues.length === 0) {
      const plan = instancePlan(spec, inst)
      const byPrio = new Map<number, string>()
      for (const m of plan.members) {
        const other = byPrio.get(m.priority)
        if (other) add(at('priorities'), `nodes "${other}" and "${m.node.name}" have the same priority ${m.priority}; the election would fall to the higher IP`)
        byPrio.set(m.priority, m.node.name)
      }
    }
  })

  const grouped = new Set((spec.syncGroups ?? []).flatMap((g) => g.instances))
  spec.instances.forEach((inst, i) => {
    if (!grouped.has(inst.name)) return
    for (const key of ['trackScripts', 'trackInterfaces'] as const) {
      for (const [j, t] of (inst[key] ?? []).entries()) {
        const scriptWeight = key === 'trackScripts' ? spec.scripts?.[trackName(t)]?.weight : undefined
        if (typeof t === 'string' ? Boolean(scriptWeight) : t.weight !== undefined || Boolean(scriptWeight)) {
          const path = typeof t !== 'string' && t.weight !== undefined ? ['instances', i, key, j, 'weight'] : ['instances', i, key, j]
          add(path, 'keepalived ignores track weights of instances in a sync group; drop the weight here and in the script (a failure then faults the whole group)')
        }
      }
    }
  })

  const nodesOf = (name: string): string => {
    const inst = spec.instances.find((i) => i.name === name)
    return spec.nodes.filter((n) => !inst?.nodes || inst.nodes.includes(n.name)).map((n) => n.name).join(',')
  }
  for (const [g, sg] of (spec.syncGroups ?? []).entries()) {
    for (const [j, n] of sg.instances.entries()) if (!instNames.has(n)) add(['syncGroups', g, 'instances', j], `no instance named "${n}"`)
    if (new Set(sg.instances).size < 2) add(['syncGroups', g, 'instances'], 'a sync group needs at least two instances')
    else if (sg.instances.every((n) => instNames.has(n)) && new Set(sg.instances.map(nodesOf)).size > 1) {
      add(['syncGroups', g, 'instances'], 'the instances of a sync group must run on the same nodes')
    }
    for (const [j, t] of (sg.trackScripts ?? []).entries()) {
      if (!scriptNames.has(trackName(t))) add(['syncGroups', g, 'trackScripts', j], `no script named "${trackName(t)}" under scripts`)
    }
  }
  for (const [v, vs] of (spec.virtualServers ?? []).entries()) {
    const total = vs.realServers.reduce((sum, r) => sum + (r.weight ?? 1), 0)
    const quorum = vs.quorum ?? 1
    if (total < quorum) {
      add(['virtualServers', v, vs.quorum === undefined ? 'realServers' : 'quorum'], `the real servers' total weight ${total} is below the quorum ${quorum}; keepalived would lower the quorum to ${total}`)
    } else if (vs.hysteresis !== undefined && vs.hysteresis >= quorum) {
      add(['virtualServers', v, 'hysteresis'], `hysteresis ${vs.hysteresis} must be below the quorum ${quorum}`)
    }
  }
  return issues
}
