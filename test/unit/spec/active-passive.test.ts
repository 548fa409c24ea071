import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadSpec, renderCluster} from '../../../src/spec/index.js'

const root = join(import.meta.dirname, '..', '..', '..')

describe('active-passive example', () => {
  beforeAll(() => {
    process.env.HAL_VRRP_PASS = 'ap-pass'
  })

  it('renders matched configs: one MASTER, same VRID/auth/VIPs, per-node router_id', async () => {
    const r = renderCluster(await loadSpec(join(root, 'examples', 'active-passive.yaml')))
    expect(r.cluster).toBe('web')
    expect(r.nodes.map((n) => n.name)).toEqual(['lb1', 'lb2'])
    const [a, b] = r.nodes.map((n) => n.config.instances[0])
    expect(a.virtualRouterId).toBe(b.virtualRouterId)
    expect(a.authentication).toEqual({type: 'PASS', pass: 'ap-pass'})
    expect(b.authentication).toEqual(a.authentication)
    expect(a.virtualIpaddress).toEqual(b.virtualIpaddress)
    expect([a.state, b.state]).toEqual(['MASTER', 'BACKUP'])
    expect(a.priority! - 60).toBeLessThan(b.priority!)
    expect(r.nodes.map((n) => n.config.globalDefs?.routerId)).toEqual(['web_lb1', 'web_lb2'])
    expect(r.nodes[0].ssh).toEqual({host: '10.0.0.11', port: 22, user: 'root'})
    expect(r.nodes[0].text).toContain('virtual_router_id ' + a.virtualRouterId)
  })
})
