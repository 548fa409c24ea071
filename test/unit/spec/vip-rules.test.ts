import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {lintConfig} from '../../../src/lint/config-rules.js'
import {HalError} from '../../../src/lib/errors.js'
import {checkConfigAgainstInterfaces} from '../../../src/spec/facts-check.js'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'

/** What keepalived -t refuses or what breaks a cluster, caught before a node sees it. */
const v4 = (n: number, base = 4) => Array.from({length: n}, (_, i) => `10.113.${base + Math.floor(i / 250)}.${1 + (i % 250)}/16`)
const v6 = (n: number) => Array.from({length: n}, (_, i) => `fd00:113::${(i + 1).toString(16)}/64`)
const spec = (instances: Record<string, unknown>[]) =>
  stringify({cluster: 'c', defaults: {interface: 'eth0'}, nodes: [{name: 'lb1', address: '10.113.4.251'}, {name: 'lb2', address: '10.113.4.252'}], instances})
const errors = (text: string): string[] => {
  try {
    loadSpecText(text, 'spec.yaml')
    return []
  } catch (e) {
    return (e as HalError).message.split('\n')
  }
}

describe('VIP rules in the spec validator', () => {
  it("keepalived's VIP limit per instance: 255 IPv4, 89 IPv6 (measured with keepalived -t)", () => {
    expect(errors(spec([{name: 'V', vips: v4(255)}]))).toEqual([])
    expect(errors(spec([{name: 'V', vips: v4(256)}]))).toEqual([expect.stringMatching(/^instances\[0\]\.vips: 256 IPv4 VIPs in one instance; keepalived -t refuses more than 255/)])
    expect(errors(spec([{name: 'V', version: 3, vips: v6(89)}]))).toEqual([])
    expect(errors(spec([{name: 'V', version: 3, vips: v6(90)}]))[0]).toMatch(/90 IPv6 VIPs in one instance; keepalived -t refuses more than 89/)
  })

  it('a VIP in two instances, or equal to a node address, is refused with the place of the second', () => {
    const e = errors(spec([{name: 'A', vips: ['10.113.9.1/24']}, {name: 'B', vips: ['10.113.9.2/24', '10.113.9.1/24']}]))
    expect(e).toEqual([expect.stringMatching(/^instances\[1\]\.vips\[1\]: VIP 10\.113\.9\.1 is already in instances\[0\]/)])
    expect(errors(spec([{name: 'A', vips: ['fd00::1/64'], version: 3}, {name: 'B', vips: ['fd00:0::0:1/64'], version: 3}]))[0]).toMatch(/VIP fd00::1 is already in instances\[0\]/)
    expect(errors(spec([{name: 'A', vips: ['10.113.4.252/16']}]))[0]).toMatch(/^instances\[0\]\.vips\[0\]: VIP 10\.113\.4\.252 is the own address of node "lb2"/)
  })
})

describe('VIP rules in lint (existing configs)', () => {
  const conf = (vips: string[], extra = '') =>
    `vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 100\n${extra} virtual_ipaddress {\n${vips.map((v) => `  ${v}\n`).join('')} }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 100\n virtual_ipaddress {\n  10.113.9.9/24\n }\n}\n`
  const rules = (text: string) => lintConfig(parseKeepalivedConfig(text, {file: 'k.conf'}).config, 'k.conf').map((f) => `${f.severity} ${f.rule}`)
  it('too many VIPs is an error (keepalived -t exits 5); duplicates and own address are warnings (keepalived accepts them)', () => {
    expect(rules(conf(v4(256)))).toContain('error vip-count')
    expect(rules(conf(v4(255)))).not.toContain('error vip-count')
    expect(rules(conf(['10.113.9.9/24']))).toContain('warning duplicate-vip')
    expect(rules(conf(['10.113.9.5/24'], ' unicast_src_ip 10.113.9.5\n unicast_peer {\n  10.113.9.6\n }\n'))).toContain('warning vip-own-address')
  })
})

describe('deploy-time facts: interfaces and subnets of the node', () => {
  it('a missing track interface, a missing VIP dev and a VIP outside every subnet of its interface', () => {
    process.env.HAL_X13_NONE = 'x'
    const text = stringify({
      cluster: 'c',
      defaults: {interface: 'eth0'},
      nodes: [{name: 'lb1', address: '10.113.4.1'}, {name: 'lb2', address: '10.113.4.2'}],
      instances: [{name: 'V', vips: ['10.113.4.100/24', '10.113.77.1/24', {address: '10.113.4.101/24', dev: 'eth9'}], trackInterfaces: ['eth1', 'eth2']}],
    })
    const node = renderCluster(loadSpecText(text, 'spec.yaml')).nodes[0]
    const facts = [
      {name: 'eth0', up: true, addresses: ['10.113.4.1/24', 'fe80::1/64']},
      {name: 'eth1', up: true, addresses: []},
    ]
    const f = checkConfigAgainstInterfaces('lb1', node.config, facts)
    expect(f.map((x) => x.rule)).toEqual(['track-interface-missing', 'vip-outside-subnet', 'vip-dev-missing'])
    expect(f[0].message).toMatch(/tracks interface eth2, which the node does not have \(it has eth0, eth1\)/)
    expect(f[1].message).toMatch(/VIP 10\.113\.77\.1 is outside every subnet of eth0 \(10\.113\.4\.1\/24\)/)
    expect(checkConfigAgainstInterfaces('lb1', {...node.config, instances: [{...node.config.instances[0], virtualIpaddress: [{address: '10.113.4.100/24'}], trackInterface: [{name: 'eth1'}]}]}, facts)).toEqual([])
  })
})
