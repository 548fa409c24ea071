/**
 * The host side's pure parts: `ip -o monitor link` lines as kernel link events.
 * (The helper that survives a group-wide signal is proven in test/lab/engine/stop-path.test.ts.)
 */
import {describe, expect, it} from 'vitest'
import {addressArgs, parseLinkEvent} from '../../../src/engine/host.js'
import {gapStats} from '../../../src/engine/status.js'

describe('parseLinkEvent', () => {
  // lines as iproute2 6.x prints them for a veth pair brought up, its peer taken down, then deleted
  it('reads up, carrier loss, admin down and deletion', () => {
    expect(parseLinkEvent('3: x16av0@x16av1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \\    link/ether de:75:bf:47:43:55 brd ff:ff:ff:ff:ff:ff')).toEqual({name: 'x16av0', up: true})
    expect(parseLinkEvent('3: x16av0@x16av1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default \\    link/ether de:75:bf:47:43:55')).toEqual({name: 'x16av0', up: false})
    expect(parseLinkEvent('2: x16av1@x16av0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether e2:6a:27:c7:a5:3d')).toEqual({name: 'x16av1', up: false})
    expect(parseLinkEvent('Deleted 3: x16av0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default')).toEqual({name: 'x16av0', up: undefined})
    expect(parseLinkEvent('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default')).toEqual({name: 'lo', up: true})
    expect(parseLinkEvent('4: bond0.100@bond0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP')).toEqual({name: 'bond0.100', up: true})
  })
  it('ignores lines that are not link lines', () => {
    expect(parseLinkEvent('')).toBeUndefined()
    expect(parseLinkEvent('    link/ether de:75:bf:47:43:55 brd ff:ff:ff:ff:ff:ff')).toBeUndefined()
  })
})

describe('addressArgs', () => {
  it('host prefix when none is given, nodad for IPv6', () => {
    expect(addressArgs('add', {address: '192.0.2.10'}, 'eth0')).toEqual(['addr', 'add', '192.0.2.10/32', 'dev', 'eth0'])
    expect(addressArgs('add', {address: '2001:db8::10'}, 'eth0')).toEqual(['addr', 'add', '2001:db8::10/128', 'dev', 'eth0', 'nodad'])
  })
})

describe('gapStats', () => {
  it('nearest-rank p50/p99 and the max of the advert gaps', () => {
    expect(gapStats([])).toBeUndefined()
    const gaps = [...Array.from({length: 98}, () => 50), 60, 250]
    expect(gapStats(gaps)).toEqual({count: 100, p50: 50, p99: 60, max: 250})
    expect(gapStats([50.04, 49.96])).toEqual({count: 2, p50: 50, p99: 50, max: 50})
  })
})
