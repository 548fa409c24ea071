import {describe, expect, it} from 'vitest'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'

/** Values read through the keyword table in every block, with keepalived 2.2.7's strictness (facts checked by test/lab/lint/differential.test.ts). */

const diags = (text: string) =>
  parseKeepalivedConfig(text, {file: '/k.conf', configId: 'lb1', readFile: () => undefined}).diagnostics.map((d) => `${d.line}:${d.severity}:${d.rule}`)

describe('keyword values in every block', () => {
  it('checks the checkers, trackers and BFD blocks the model does not hold', () => {
    const text = `virtual_server 10.0.0.1 53 {
 real_server 10.0.0.2 53 {
  DNS_CHECK {
   type bogus
   type aaaa
   connect_ip not-an-ip
  }
  UDP_CHECK {
   min_reply_length 70000
   lookup 1
  }
 }
}
vrrp_track_process p {
 process init
 quorum 0
 weight 300
}
garp_group {
 interface eth0
}
`
    expect(diags(text)).toEqual([
      '4:error:invalid-value',
      '6:error:invalid-address',
      '9:error:min-reply-length-range',
      '10:error:unknown-keyword',
      '16:error:quorum-range',
      '17:error:invalid-number',
      '21:warning:missing-value',
    ])
  })

  it('warns where keepalived reads a value without checking it, or ignores a line without a value', () => {
    const text = `virtual_server 10.0.0.1 80 {
 real_server 10.0.0.2 80 {
  TCP_CHECK {
   connect_port x1
   retry -1
  }
 }
}
vrrp_instance V {
 interface eth0
 virtual_router_id 1
 priority
 unicast_ttl 300
}
`
    expect(diags(text)).toEqual(['4:warning:invalid-number', '5:error:retry-range', '12:warning:missing-value', '13:warning:unicast-ttl-range'])
  })
})
