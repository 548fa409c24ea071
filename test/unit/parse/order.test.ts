import {describe, expect, it} from 'vitest'
import {hexLength, lvsTimeouts, rxBufsPolicy, trackFileInit, umask, useVmac} from '../../../src/keepalived/arg-grammars.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'

/** Order-dependent readings and word grammars, as keepalived 2.2.7 has them (facts checked by test/lab/lint/differential.test.ts). */

const parse = (text: string) => parseKeepalivedConfig(text, {file: '/k.conf', configId: 'lb1', readFile: () => undefined})
const diags = (text: string) => parse(text).diagnostics.map((d) => `${d.line}:${d.rule}`)

describe('statement order', () => {
  it('reports a repeat keepalived ignores, and the model keeps the first', () => {
    const r = parse(`vrrp_instance V {
 interface eth0
 virtual_router_id 1
 virtual_ipaddress {
  10.0.0.1/24
 }
 notify_master /bin/a
 notify_master /bin/b
 priority 10
 priority 20
 state MASTER
 state BACKUP
}`)
    expect(r.diagnostics.map((d) => `${d.line}:${d.rule}`)).toEqual(['8:duplicate-keyword', '12:duplicate-keyword'])
    // a plain value: the last one wins, as keepalived overwrites it
    expect(r.config.instances[0]).toMatchObject({notifyMaster: '/bin/a', priority: 20, state: 'MASTER'})
  })

  it('reads keywords against the ones before them', () => {
    expect(
      diags(`vrrp_instance V {
 interface eth0
 vrf blue
 virtual_router_id 1
 version 2
 version 3
 unicast_peer {
  10.0.0.2
 }
 use_vmac
 virtual_ipaddress {
  10.0.0.1/24
 }
}
virtual_server 10.0.0.1 80 {
 sh-port
 lb_algo sh
 sh-port
 sorry_server_inhibit
 ip_family inet6
 persistence_granularity x1
}
vrrp_track_process p {
 process init
 quorum 3
 quorum_max 2
}`),
    ).toEqual(['3:vrf-after-interface', '6:version-conflict', '14:unicast-vmac', '16:scheduler-flag', '19:sorry-server-order', '20:ip-family', '21:invalid-value', '26:quorum-max'])
  })
})

describe('word grammars', () => {
  it('reads hex strings as read_hex_str does', () => {
    expect(hexLength('00 11 22', false)).toBe(3)
    expect(hexLength('a b c', false)).toBe(3)
    expect(hexLength('0g', false)).toBe(0)
    expect(hexLength('ab ff', false)).toBe(0)
    expect(hexLength('xx', true)).toBe(1)
    expect(hexLength('xx', false)).toBe(0)
  })

  it('names what keepalived refuses', () => {
    expect(lvsTimeouts(['tcp', '10', 'udp', '5'])).toBeUndefined()
    expect(lvsTimeouts(['v1'])).toMatch(/at least one/)
    expect(lvsTimeouts(['tcp', 'x', 'udp', '5'])).toMatch(/tcp "x"/)
    expect(rxBufsPolicy(['mtu'])).toBeUndefined()
    expect(rxBufsPolicy(['MTU', 'ADVERT'])).toMatch(/both/)
    expect(trackFileInit(['5', 'overwrite'])).toBeUndefined()
    expect(trackFileInit(['300'])).toMatch(/outside/)
    expect(umask(['0077'])).toBeUndefined()
    expect(umask(['IWGRP|IWOTH'])).toBeUndefined()
    expect(umask(['1.5'])).toMatch(/not a umask/)
    expect(useVmac(['vrrp.51', '02:00:00:00:00:01'])).toBeUndefined()
    expect(useVmac(['a', 'b'])).toMatch(/twice/)
  })
})
