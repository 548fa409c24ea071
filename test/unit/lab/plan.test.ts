import {describe, expect, it} from 'vitest'
import {overlappingRoutes, planLab} from '../../../src/lab/plan.js'
import {HalError} from '../../../src/lib/errors.js'

describe('lab plan', () => {
  it('lays out control, hosts and VIP in the subnet', () => {
    const p = planLab({name: 'hlt', subnet: '10.202.0.0/24', hosts: 3, engine: 'keepalived'})
    expect(p.control).toBe('10.202.0.1/24')
    expect(p.hosts.map((h) => [h.name, h.cidr])).toEqual([
      ['lb1', '10.202.0.11/24'],
      ['lb2', '10.202.0.12/24'],
      ['lb3', '10.202.0.13/24'],
    ])
    expect(p.vip).toBe('10.202.0.100/24')
  })

  it('normalises the subnet and fits small ones', () => {
    const p = planLab({name: 'hlt', subnet: '10.202.1.77/27', hosts: 16, engine: 'none'})
    expect(p.subnet).toBe('10.202.1.64/27')
    expect(p.hosts[15].address).toBe('10.202.1.90')
    expect(p.vip).toBe('10.202.1.91/27')
  })

  it('rejects bad input with typed errors', () => {
    expect(() => planLab({name: 'hlt', subnet: '10.202.0.0/29', hosts: 2, engine: 'none'})).toThrow(/too small/)
    expect(() => planLab({name: 'hlt', subnet: 'fd00::/64', hosts: 2, engine: 'none'})).toThrow(/not IPv4/)
    expect(() => planLab({name: 'hlt', subnet: 'nope', hosts: 2, engine: 'none'})).toThrow(HalError)
    expect(() => planLab({name: 'hlt', subnet: '10.202.0.0/24', hosts: 17, engine: 'none'})).toThrow(/2 to 16/)
    expect(() => planLab({name: 'Bad-Name', subnet: '10.202.0.0/24', hosts: 2, engine: 'none'})).toThrow(/not usable/)
    expect(() => planLab({name: 'toolong7', subnet: '10.202.0.0/24', hosts: 2, engine: 'none'})).toThrow(/not usable/)
  })

  it('finds overlapping routes but ignores the default route', () => {
    const routes = [
      {dst: 'default', dev: 'eth0'},
      {dst: '192.0.2.0/24', dev: 'eth0'},
      {dst: '10.0.0.0/8', dev: 'vpn0'},
      {dst: '10.213.0.7', dev: 'tun0'},
    ]
    expect(overlappingRoutes('10.213.0.0/24', routes).map((r) => r.dev)).toEqual(['vpn0', 'tun0'])
    expect(overlappingRoutes('192.0.2.128/25', routes).map((r) => r.dst)).toEqual(['192.0.2.0/24'])
    expect(overlappingRoutes('172.16.0.0/16', routes)).toEqual([])
  })
})
