import {describe, expect, it} from 'vitest'
import {renderCluster} from '../../../src/spec/index.js'
import {loadSpecText} from '../../../src/spec/load.js'
import {MINIMAL_SPEC, specRefusal} from '../../helpers/specs.js'

/**
 * Fields a hand-written cluster needs in the spec (halctl import writes them):
 * per-node initial states, unicast peers that are not nodes of the spec, and
 * notification e-mail to a local user.
 */
const render = (text: string) => renderCluster(loadSpecText(text, 'spec.yaml'))

describe('spec fields for adopted clusters', () => {
  it('states: a node starts in the state given, the others as derived', () => {
    const r = render(MINIMAL_SPEC.replace('    vips:', '    states: {lb1: BACKUP}\n    vips:'))
    expect(r.nodes.map((n) => n.config.instances[0].state)).toEqual(['BACKUP', 'BACKUP'])
    expect(r.nodes[0].text).toMatch(/^\s+state BACKUP$/m)
    const both = render(MINIMAL_SPEC.replace('    vips:', '    preempt: false\n    states: {lb2: MASTER}\n    vips:'))
    expect(both.nodes.map((n) => n.config.instances[0].state)).toEqual(['BACKUP', 'MASTER'])
  })

  it('externalPeers: unicast to the other nodes, then to routers outside the spec', () => {
    const one = MINIMAL_SPEC.replace(/ {2}- name: lb2\n {4}address: 10.0.0.12\n/, '').replace('    vips:', '    unicast: true\n    externalPeers: [10.0.0.99]\n    vips:')
    const r = render(one)
    expect(r.nodes[0].config.instances[0]).toMatchObject({unicastSrcIp: '10.0.0.11', unicastPeer: ['10.0.0.99']})
    const two = render(MINIMAL_SPEC.replace('    vips:', '    unicast: true\n    externalPeers: [10.0.0.99]\n    vips:'))
    expect(two.nodes.map((n) => n.config.instances[0].unicastPeer)).toEqual([
      ['10.0.0.12', '10.0.0.99'],
      ['10.0.0.11', '10.0.0.99'],
    ])
  })

  it('refuses external peers without unicast, of another family, or that are nodes; states of unknown nodes', () => {
    expect(specRefusal(MINIMAL_SPEC.replace('    vips:', '    externalPeers: [10.0.0.99]\n    vips:'))).toMatch(/instances\[0\]\.externalPeers: externalPeers needs unicast: true/)
    expect(specRefusal(MINIMAL_SPEC.replace('    vips:', '    unicast: true\n    externalPeers: ["fd00::9"]\n    vips:'))).toMatch(/externalPeers\[0\]: unicast needs IPv4 peer addresses/)
    expect(specRefusal(MINIMAL_SPEC.replace('    vips:', '    unicast: true\n    externalPeers: [10.0.0.12]\n    vips:'))).toMatch(/10.0.0.12 is node "lb2"/)
    expect(specRefusal(MINIMAL_SPEC.replace('    vips:', '    states: {lb9: MASTER}\n    vips:'))).toMatch(/instances\[0\]\.states\.lb9: no node named "lb9"/)
    expect(specRefusal(MINIMAL_SPEC.replace('    vips:', '    states: {lb1: FAULT}\n    vips:'))).toMatch(/states\.lb1/)
  })

  it('an instance without VIPs (it only runs notify scripts): unicast in the nodes\' family', () => {
    const r = render(MINIMAL_SPEC.replace('    vips: [10.0.0.100/24]', '    vips: []\n    unicast: true\n    notify: {master: /usr/local/bin/move-eni}'))
    expect(r.nodes[0].config.instances[0]).toMatchObject({virtualIpaddress: [], unicastSrcIp: '10.0.0.11', unicastPeer: ['10.0.0.12'], notifyMaster: '/usr/local/bin/move-eni'})
  })

  it('max_auto_priority in global_defs', () => {
    const r = render(`${MINIMAL_SPEC}globalDefs: {maxAutoPriority: -1}\n`)
    expect(r.nodes[0].text).toMatch(/^\s+max_auto_priority -1$/m)
    expect(specRefusal(`${MINIMAL_SPEC}globalDefs: {maxAutoPriority: 100}\n`)).toMatch(/globalDefs\.maxAutoPriority/)
  })

  it('notification e-mail to a local user name', () => {
    const r = render(`${MINIMAL_SPEC}globalDefs: {notificationEmail: [root, ops@example.net], notificationEmailFrom: keepalived}\n`)
    expect(r.nodes[0].text).toMatch(/notification_email \{\n\s+root\n\s+ops@example.net\n\s+\}/)
    expect(specRefusal(`${MINIMAL_SPEC}globalDefs: {notificationEmail: ["**"]}\n`)).toMatch(/notificationEmail\[0\]: must be an e-mail address or a local user name/)
  })
})
