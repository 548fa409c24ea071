import ipaddr from 'ipaddr.js'
import type {InterfaceFacts} from '../host/facts.js'
import type {KeepalivedConfig} from '../keepalived/model.js'
import type {Finding} from '../lib/findings.js'
import {bareAddress} from '../net/address.js'

/**
 * What a node's config asks of the node itself, checked against the facts
 * deploy gathers (`ip -j addr`): every tracked interface and VIP dev exists
 * (deploy's preflight checks the instance interfaces themselves), and every
 * VIP lies in a subnet of the interface it goes on (else no neighbour on that
 * link can reach it, and keepalived adds it anyway). Pure: facts in, findings out.
 */
export function checkConfigAgainstInterfaces(node: string, config: KeepalivedConfig, interfaces: InterfaceFacts[]): Finding[] {
  const out: Finding[] = []
  const byName = new Map(interfaces.map((i) => [i.name, i]))
  const add = (rule: string, message: string, fix: string) => out.push({rule, severity: 'error', message, node, fix})
  const names = interfaces.map((i) => i.name).join(', ') || 'none'
  for (const vi of config.instances) {
    for (const t of vi.trackInterface ?? []) {
      if (!byName.has(t.name)) add('track-interface-missing', `vrrp_instance ${vi.name} tracks interface ${t.name}, which the node does not have (it has ${names}); keepalived would keep the instance in FAULT`, 'remove it from trackInterfaces or fix its name')
    }
    for (const a of vi.virtualIpaddress) {
      const dev = a.dev ?? vi.interface
      const iface = byName.get(dev)
      if (a.dev !== undefined && !iface) {
        add('vip-dev-missing', `vrrp_instance ${vi.name}: VIP ${a.address} goes on ${dev}, which the node does not have (it has ${names})`, 'fix the VIP dev in the spec')
        continue
      }
      if (!iface) continue
      const ip = bareAddress(a.address)
      if (!ipaddr.isValid(ip)) continue
      const addr = ipaddr.parse(ip)
      const inSubnet = iface.addresses.some((cidr) => {
        try {
          const [net, prefix] = ipaddr.parseCIDR(cidr)
          return net.kind() === addr.kind() && addr.match(net, prefix)
        } catch {
          return false
        }
      })
      const sameFamily = iface.addresses.filter((c) => ipaddr.isValid(bareAddress(c)) && ipaddr.parse(bareAddress(c)).kind() === addr.kind())
      // an IPv6 VIP may be on a link with only a link-local address (fe80::/64): no global subnet to be in
      if (!inSubnet && (addr.kind() === 'ipv4' || sameFamily.some((c) => !c.toLowerCase().startsWith('fe80:')))) {
        add('vip-outside-subnet', `vrrp_instance ${vi.name}: VIP ${ip} is outside every subnet of ${dev} (${sameFamily.join(', ') || `no ${addr.kind() === 'ipv4' ? 'IPv4' : 'IPv6'} address`}); hosts on that link would not reach it`, `use a VIP in a subnet of ${dev}, or put the VIP on the interface of its subnet (dev)`)
      }
    }
  }
  return out
}
