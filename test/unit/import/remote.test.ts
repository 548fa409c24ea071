import {describe, expect, it} from 'vitest'
import {adoptedManage, configIdArg, parseImportNode, readRemoteConfigs, type RemoteSource} from '../../../src/import/remote.js'
import {runImport} from '../../../src/import/index.js'
import {isHalError} from '../../../src/lib/errors.js'
import {FakeTransport} from '../../helpers/fake-transport.js'

/**
 * Import over SSH against the scripted transport: the config the daemon reads,
 * its includes (a relative file and a glob expanded on the node), the node's
 * address from its interface, and the SSH settings kept in the spec.
 */
const main = (me: string) => `global_defs {
   router_id ${me}
}
include conf.d/*.conf
`
const instance = (state: string, prio: number) => `vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 51
    priority ${prio}
    virtual_ipaddress {
        10.0.0.100/24
    }
}
`

function cluster(): FakeTransport {
  const t = new FakeTransport()
  for (const [name, addr, state, prio] of [
    ['lb1', '10.0.0.11', 'MASTER', 150],
    ['lb2', '10.0.0.12', 'BACKUP', 100],
  ] as const) {
    const m = t.machine(name, addr, {files: {'/etc/keepalived/keepalived.conf': main(name), '/etc/keepalived/conf.d/vi1.conf': instance(state, prio), '/etc/keepalived/conf.d/notes.txt': 'not included'}})
    // sh's own globbing on the node
    m.on((argv) => argv[0] === 'sh' && argv[3] === 'halctl-glob', (argv) => ({stdout: argv[4] === '/etc/keepalived/conf.d/*.conf' ? '/etc/keepalived/conf.d/vi1.conf\0' : '', code: 0}))
  }
  return t
}

describe('import over SSH', () => {
  it('reads each node\'s config and its includes (glob expanded on the node); the address comes from the interface', async () => {
    const t = cluster()
    const {inputs, sources} = await readRemoteConfigs(t, [
      {name: 'lb1', target: {name: 'lb1', host: '10.0.0.11', user: 'root'}},
      {name: 'lb2', target: {name: 'lb2', host: 'lb2.example.net', port: 2222}, specSsh: {host: 'lb2.example.net', port: 2222}},
    ])
    expect(sources.map((s) => [s.node, s.configFile, s.configFrom, s.files])).toEqual([
      ['lb1', '/etc/keepalived/keepalived.conf', 'default', ['/etc/keepalived/keepalived.conf', '/etc/keepalived/conf.d/vi1.conf']],
      ['lb2', '/etc/keepalived/keepalived.conf', 'default', ['/etc/keepalived/keepalived.conf', '/etc/keepalived/conf.d/vi1.conf']],
    ])
    expect(inputs.map((i) => [i.node, i.label, i.address])).toEqual([
      ['lb1', 'lb1:/etc/keepalived/keepalived.conf', '10.0.0.11'],
      ['lb2', 'lb2:/etc/keepalived/keepalived.conf', '10.0.0.12'],
    ])
    const {result} = runImport(inputs, {cluster: 'web'})
    expect(result.roundTrip).toEqual([
      {node: 'lb1', equal: true},
      {node: 'lb2', equal: true},
    ])
    expect(result.raw).toEqual([])
    expect(result.nodes.map((n) => [n.name, n.address, n.addressFrom, n.file])).toEqual([
      ['lb1', '10.0.0.11', 'interface', 'lb1:/etc/keepalived/keepalived.conf'],
      ['lb2', '10.0.0.12', 'interface', 'lb2:/etc/keepalived/keepalived.conf'],
    ])
    // no placeholder warning: the addresses are the nodes' own
    expect(result.findings.filter((f) => f.rule === 'import-address')).toEqual([])
  })

  it('a node without a readable config is refused with its name', async () => {
    const t = new FakeTransport()
    t.machine('lb1', '10.0.0.11', {})
    const err = await readRemoteConfigs(t, [{name: 'lb1', target: {name: 'lb1', host: '10.0.0.11'}}]).catch((e: unknown) => e)
    expect(isHalError(err) && err.message).toBe('lb1: cannot read /etc/keepalived/keepalived.conf')
  })

  it('--node NAME=[USER@]HOST[:PORT]; keepalived -i from its argv', () => {
    expect(parseImportNode('lb1=10.0.0.11')).toEqual({name: 'lb1', host: '10.0.0.11'})
    expect(parseImportNode('lb2=admin@lb2.example.net:2222')).toEqual({name: 'lb2', host: 'lb2.example.net', user: 'admin', port: 2222})
    expect(parseImportNode('lb3=[fd00::3]:22')).toEqual({name: 'lb3', host: 'fd00::3', port: 22})
    for (const bad of ['10.0.0.11', 'lb1=', 'lb1=root@', 'lb1=h:70000', 'l b=h']) expect(() => parseImportNode(bad)).toThrow(/expected NAME=\[USER@\]HOST\[:PORT\]/)
    expect(configIdArg(['/usr/sbin/keepalived', '-D', '-i', 'east'])).toBe('east')
    expect(configIdArg(['keepalived', '--config-id=west'])).toBe('west')
    expect(configIdArg(['keepalived', '-ieast'])).toBe('east')
    expect(configIdArg(['keepalived', '-D'])).toBeUndefined()
  })

  it('deploy leaves alone what the nodes manage themselves: a firewall that lets VRRP in, sysctls halctl never set', () => {
    const src = (fw: RemoteSource['firewall'], halctlSysctls = false): RemoteSource => ({node: 'n', host: 'h', configFile: '/c', configFrom: 'default', files: [], running: true, firewall: fw, halctlSysctls})
    expect(adoptedManage([src({kind: 'nftables', halctlRules: false, letsVrrpIn: true}), src({kind: 'none', halctlRules: false})])).toEqual({firewall: false, sysctls: false})
    // a ruleset that may drop VRRP, or halctl's own rules already there: deploy keeps managing the firewall
    expect(adoptedManage([src({kind: 'nftables', halctlRules: false, letsVrrpIn: false})])).toEqual({sysctls: false})
    expect(adoptedManage([src({kind: 'iptables', halctlRules: true, letsVrrpIn: true}, true)])).toEqual({})
    expect(adoptedManage([src({kind: 'firewalld', halctlRules: false})])).toEqual({sysctls: false})
  })
})
