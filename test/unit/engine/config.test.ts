import {describe, expect, it} from 'vitest'
import {engineConfig} from '../../../src/engine/config.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {isHalError} from '../../../src/lib/errors.js'

const parse = (text: string) => engineConfig(parseKeepalivedConfig(text, {file: '/etc/keepalived/keepalived.conf', configId: 'lb1'}).config)

describe('engine config from keepalived.conf', () => {
  it("resolves keepalived's defaults", () => {
    const c = parse(`
vrrp_script chk { script "/usr/bin/true"
  weight -20 }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  nopreempt
  authentication { auth_type PASS
    auth_pass 123456789 }
  track_script { chk }
  virtual_ipaddress { 10.0.0.10/24 dev eth0 label eth0:1 }
}`)
    const i = c.instances[0]
    expect(i).toMatchObject({version: 2, family: 4, priority: 100, advertIntMs: 1000, initialState: 'BACKUP', nopreempt: true, authPass: '12345678', mcastGroup: '224.0.0.18'})
    expect(i.garp).toEqual({delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1, intervalMs: 0})
    expect(i.tracks).toEqual([
      {kind: 'script', name: 'chk', weight: -20, reverse: false},
      {kind: 'interface', name: 'eth0', weight: 0, reverse: false},
    ])
    expect(c.scripts[0]).toMatchObject({name: 'chk', intervalMs: 1000, rise: 1, fall: 1, weight: -20})
  })

  it('nopreempt is dropped with state MASTER; v3 keeps sub-second intervals; IPv6 uses ff02::12', () => {
    const c = parse(`
vrrp_instance A { state MASTER
  nopreempt
  interface eth0
  virtual_router_id 1
  version 3
  advert_int 0.05
  virtual_ipaddress { fd00::1/64 } }`)
    expect(c.instances[0]).toMatchObject({nopreempt: false, advertIntMs: 50, family: 6, mcastGroup: 'ff02::12'})
  })

  it('errors point at the file and line', () => {
    try {
      parse(`vrrp_instance A {
  interface eth0
  virtual_router_id 1
  version 2
  advert_int 0.5
  virtual_ipaddress { 10.0.0.1 } }`)
      expect.unreachable()
    } catch (e) {
      expect(isHalError(e) && e.code).toBe('ENGINE_CONFIG')
      expect(isHalError(e) && e.where).toMatch(/keepalived\.conf:\d+$/)
    }
  })
})

describe('engine config: warnings where keepalived only warns', () => {
  it('a track_script without its vrrp_script, a vrrp_script without script, no virtual_ipaddress: warnings, and it runs', () => {
    const c = parse(`
vrrp_script empty {
  interval 2
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  track_script {
    missing
    empty
  }
}`)
    expect(c.instances[0].tracks).toEqual([{kind: 'interface', name: 'eth0', weight: 0, reverse: false}])
    expect(c.instances[0].vips).toEqual([])
    expect(c.scripts).toEqual([])
    expect(c.warnings.map((w) => w.message)).toEqual([
      'vrrp_script empty has no script; dropped',
      'VI_1: no virtual_ipaddress; the instance elects but adds no address',
      'VI_1: track_script missing has no usable vrrp_script block; ignored',
      'VI_1: track_script empty has no usable vrrp_script block; ignored',
    ])
    expect(c.warnings[0].loc?.line).toBe(2)
  })

  it('each keyword keepalived acts on and the engine does not: a warning naming it at its line, and it runs', () => {
    const c = parse(`global_defs {
  router_id lb1
  vrrp_strict
}
vrrp_track_file tf {
  file /run/tf
}
static_routes {
  10.8.0.0/16 gw 10.0.0.1 no_track
}
vrrp_script chk {
  script "/bin/true"
  user nobody
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  use_vmac
  track_file {
    tf
  }
  virtual_routes {
    10.9.0.0/16 gw 10.0.0.1 dev eth0
  }
  track_script {
    chk
  }
  virtual_ipaddress {
    10.0.0.10/24
  }
}`)
    const got = c.warnings.map((w) => [w.loc?.line, w.message.split(' is not implemented by halctl run')[0]])
    expect(got).toEqual([
      [3, 'global_defs: vrrp_strict'],
      [13, 'vrrp_script chk: user'],
    ])
    // track_file: run, with the block's weight (keepalived's default 1)
    expect(c.staticRoutes).toEqual([['10.8.0.0/16', 'via', '10.0.0.1']])
    expect(c.files).toEqual([{name: 'tf', path: '/run/tf', weight: 1, reverse: false}])
    expect(c.instances[0].tracks).toContainEqual({kind: 'file', name: 'tf', weight: 1, reverse: false})
    // virtual_routes: run (as ip route arguments)
    expect(c.instances[0].routes).toEqual([['10.9.0.0/16', 'via', '10.0.0.1', 'dev', 'eth0']])
    // use_vmac: run, on keepalived's default interface name vrrp.VRID
    expect(c.instances[0].vmacIface).toBe('vrrp.7')
    expect(c.instances).toHaveLength(1)
  })

  it('init_fail carries to the script', () => {
    const c = parse(`
vrrp_script chk {
  script "/bin/true"
  init_fail
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  track_script {
    chk
  }
  virtual_ipaddress {
    10.0.0.10/24
  }
}`)
    expect(c.scripts[0].initFail).toBe(true)
  })

  it('vrrp_strict: authentication ignored, preempt_delay reset, state MASTER started as BACKUP unless the owner, each a warning as keepalived 2.2.7 gives', () => {
    const c = parse(`global_defs {
  vrrp_strict
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 7
  priority 100
  preempt_delay 5
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.0.0.10/24
  }
}
vrrp_instance VI_2 {
  state MASTER
  interface eth0
  virtual_router_id 8
  priority 255
  virtual_ipaddress {
    10.0.0.11/24
  }
}`)
    expect(c.warnings.map((w) => [w.loc?.line, w.message.split(', as keepalived')[0]])).toEqual([
      [10, 'VI_1: vrrp_strict: authentication is not allowed; ignored'],
      [9, 'VI_1: vrrp_strict: preempt_delay is incompatible; reset to 0'],
      [5, 'VI_1: vrrp_strict: state MASTER needs the address owner (priority 255); starting as BACKUP'],
      [2, expect.stringMatching(/^global_defs: vrrp_strict is not implemented by halctl run; the firewall rule/)],
    ])
    expect(c.instances[0]).toMatchObject({authPass: undefined, preemptDelayMs: 0, initialState: 'BACKUP'})
    expect(c.instances[1].initialState).toBe('MASTER')
  })
})
