import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadSpec, loadSpecText, renderCluster, type RenderedCluster} from '../../../src/spec/index.js'

const root = join(import.meta.dirname, '..', '..', '..')
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).sort()

beforeAll(() => {
  process.env.HAL_VRRP_PASS = 'unit-pw'
})

/** Instances by name across nodes. */
function byInstance(r: RenderedCluster) {
  const out = new Map<string, {node: string; inst: RenderedCluster['nodes'][number]['config']['instances'][number]; routerId?: string; address: string}[]>()
  for (const n of r.nodes) {
    for (const inst of n.config.instances) {
      const list = out.get(inst.name) ?? []
      list.push({node: n.name, inst, routerId: n.config.globalDefs?.routerId, address: n.address})
      out.set(inst.name, list)
    }
  }
  return out
}

describe('rendered nodes are matched', () => {
  for (const example of examples) {
    it(example, async () => {
      const r = renderCluster(await loadSpec(join(root, 'examples', example)))
      expect(new Set(r.nodes.map((n) => n.config.globalDefs?.routerId)).size).toBe(r.nodes.length)
      for (const [name, members] of byInstance(r)) {
        const shared = members.map(({inst}) => ({
          vrid: inst.virtualRouterId,
          auth: inst.authentication,
          advertInt: inst.advertInt,
          vips: inst.virtualIpaddress,
          excluded: inst.virtualIpaddressExcluded,
          version: inst.version,
          nopreempt: inst.nopreempt,
        }))
        for (const s of shared) expect(s, name).toEqual(shared[0])
        const prios = members.map((m) => m.inst.priority)
        expect(new Set(prios).size, `${name}: distinct priorities`).toBe(prios.length)
        const masters = members.filter((m) => m.inst.state === 'MASTER')
        if (masters.length === 0) {
          // all BACKUP only for nopreempt, preempt_delay, AH or vrrp_strict (keepalived refuses an initial MASTER there)
          for (const m of members) expect(m.inst.state).toBe('BACKUP')
          const strict = r.nodes[0].config.globalDefs?.vrrpStrict === true
          expect(members.every((m) => m.inst.nopreempt || m.inst.preemptDelay !== undefined || m.inst.authentication?.type === 'AH' || strict)).toBe(true)
        } else {
          expect(masters.length, `${name}: one MASTER`).toBe(1)
          expect(masters[0].inst.priority).toBe(Math.max(...prios.map(Number)))
        }
        for (const m of members) {
          if (m.inst.unicastSrcIp === undefined) continue
          expect(m.inst.unicastSrcIp).toBe(m.address)
          expect([...m.inst.unicastPeer!].sort()).toEqual(members.filter((o) => o !== m).map((o) => o.address).sort())
        }
      }
    })
  }

  it('gives the same bytes for the same spec', async () => {
    for (const example of examples) {
      const text = readFileSync(join(root, 'examples', example), 'utf8')
      const a = renderCluster(loadSpecText(text, join(root, 'examples', example)))
      const b = renderCluster(loadSpecText(text, join(root, 'examples', example)))
      expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    }
  })

  it('active-active mirrors the priorities: each node is MASTER of one VIP', async () => {
    const r = renderCluster(await loadSpec(join(root, 'examples', 'active-active.yaml')))
    const states = r.nodes.map((n) => n.config.instances.map((i) => `${i.name}:${i.state}:${i.priority}`))
    expect(states).toEqual([
      ['VI_web_1:MASTER:150', 'VI_web_2:BACKUP:100'],
      ['VI_web_1:BACKUP:100', 'VI_web_2:MASTER:150'],
    ])
    expect(r.nodes[0].config.instances[0].virtualRouterId).not.toBe(r.nodes[0].config.instances[1].virtualRouterId)
  })

  it('nopreempt renders every node BACKUP with nopreempt', async () => {
    const r = renderCluster(await loadSpec(join(root, 'examples', 'nopreempt-raw.yaml')))
    for (const n of r.nodes) for (const i of n.config.instances) expect([i.state, i.nopreempt]).toEqual(['BACKUP', true])
    expect(r.nodes.map((n) => n.config.instances[1].priority)).toEqual([90, 110])
  })

  it('unicast derives src and peers from the node addresses', async () => {
    const r = renderCluster(await loadSpec(join(root, 'examples', 'dual-stack-v3.yaml')))
    expect(r.nodes.map((n) => [n.config.instances[0].unicastSrcIp, n.config.instances[0].unicastPeer])).toEqual([
      ['10.0.1.11', ['10.0.1.12', '10.0.1.13']],
      ['10.0.1.12', ['10.0.1.11', '10.0.1.13']],
      ['10.0.1.13', ['10.0.1.11', '10.0.1.12']],
    ])
    // the IPv6 instance runs VRRPv3 multicast
    expect(r.nodes[0].config.instances[1].unicastSrcIp).toBeUndefined()
    expect(r.nodes[0].config.instances[1]).toMatchObject({virtualIpaddress: [{address: 'fd00:1::100/64'}, {address: 'fd00:1::101/64', dev: 'eth0'}]})
  })

  it('VIPs of the other family go to virtual_ipaddress_excluded', () => {
    const r = renderCluster(
      loadSpecText('cluster: x\nnodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\ninstances: [{name: V, vips: [10.0.0.9/24, "fd00::9/64"]}]\n', 'x.yaml'),
    )
    expect(r.nodes[0].config.instances[0].virtualIpaddress).toEqual([{address: '10.0.0.9/24'}])
    expect(r.nodes[0].config.instances[0].virtualIpaddressExcluded).toEqual([{address: 'fd00::9/64'}])
  })
})
