import {describe, expect, it} from 'vitest'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'

/** Items of address, route and rule blocks, read as keepalived 2.2 reads them (facts checked against keepalived -t). */

const diags = (text: string) =>
  parseKeepalivedConfig(text, {file: '/k.conf', configId: 'lb1', readFile: () => undefined}).diagnostics.map((d) => `${d.line}:${d.rule}`)

describe('address, route and rule items', () => {
  it('reports unknown address options, unknown route keywords, untracked routes and rules without preference', () => {
    const text = `static_ipaddress {
 10.9.9.9/24 dev lo track
}
static_routes {
 192.168.110.0/24 via 10.0.0.1 restore
 192.168.111.0/24 via 10.0.0.1
 192.168.112.0/24 dev eth0
 blackhole 192.168.113.1/32 no_track
}
static_rules {
 from 1.2.3.4 table 5
 from 1.2.3.5 table 5 preference 100
 to 192.168.100./24 table 1 preference 101
}
`
    expect(diags(text)).toEqual(['2:address-option', '5:route-option', '6:route-untracked', '11:rule-no-preference', '13:invalid-address'])
  })

  it('accepts the grammar of keepalived 2.2 samples without findings', () => {
    const text = `vrrp_instance V {
 interface eth0
 virtual_router_id 1
 virtual_ipaddress {
  192.168.200.17/24 brd + dev eth1 scope link label eth1:1
  192.168.201.1/32 dev eth0 no_track home
 }
 virtual_routes {
  src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth1 metric 10
  default via 192.168.0.1 dev eth0 table 100 mtu lock 1400
 }
 virtual_rules {
  from 192.168.28.0/24 table 1 preference 5
  to 10.0.0.0/8 goto 200 preference 100
 }
}
`
    expect(diags(text)).toEqual([])
  })

  it('reads "gw" and "or" as deprecated, an interface name over 15 characters as ignored', () => {
    const text = `vrrp_instance V {
 interface KEEPALIVE_INTERFACE
 virtual_router_id 1
 virtual_routes {
  0.0.0.0/0 gw 192.168.0.1 dev eth0
  10.1.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0
 }
}
`
    expect(diags(text)).toEqual(['2:invalid-value', '5:deprecated-keyword', '6:deprecated-keyword'])
  })
})
