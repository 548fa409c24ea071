import {describe, expect, it} from 'vitest'
import {emptyConfig, stripLocations, type KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {renderKeepalivedConfig} from '../../../src/keepalived/render.js'
import {confCommand, confKeyword, confWord, UnrepresentableValue} from '../../../src/keepalived/lexer.js'

/** A model using every field the renderer knows, including ones no spec produces. */
const everything: KeepalivedConfig = {
  globalDefs: {
    routerId: 'lb1',
    notificationEmail: ['ops@example.net', 'noc@example.net'],
    notificationEmailFrom: 'ka@example.net',
    smtpServer: '127.0.0.1',
    smtpServerPort: 2525,
    smtpConnectTimeout: 30,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpSkipCheckAdvAddr: true,
    vrrpStrict: true,
    vrrpGarpInterval: 0.001,
    vrrpGnaInterval: 0.5,
    vrrpGarpMasterDelay: 5,
    vrrpGarpMasterRepeat: 3,
    vrrpGarpMasterRefresh: 60,
    vrrpGarpMasterRefreshRepeat: 2,
    vrrpVersion: 3,
    enableScriptSecurity: true,
    scriptUser: {user: 'keepalived_script', group: 'keepalived'},
    extra: [{keyword: 'max_auto_priority', args: ['10']}],
  },
  staticIpaddress: [{address: '192.168.9.1/24', dev: 'eth1', scope: 'link'}],
  scripts: [
    {name: 'chk_a', script: '/usr/bin/pgrep -x nginx', interval: 2, timeout: 3, weight: -60, weightReverse: true, rise: 2, fall: 3, user: {user: 'nobody'}, initFail: true},
    {name: 'chk_b', script: '/bin/true'},
  ],
  syncGroups: [
    {
      name: 'SG',
      group: ['VI_1', 'VI_2'],
      trackScript: [{name: 'chk_b'}],
      trackInterface: [{name: 'eth2'}],
      notifyMaster: '/etc/keepalived/n.sh MASTER',
      notifyBackup: '/etc/keepalived/n.sh BACKUP',
      notifyFault: '/etc/keepalived/n.sh FAULT',
      notifyStop: '/etc/keepalived/n.sh STOP',
      notify: '/etc/keepalived/n.sh',
      smtpAlert: true,
    },
  ],
  instances: [
    {
      name: 'VI_1',
      state: 'MASTER',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 150,
      advertInt: 0.5,
      version: 3,
      preemptDelay: 30,
      virtualIpaddress: [
        {address: '10.0.0.100/24', brd: '10.0.0.255', dev: 'eth0', scope: 'global', label: 'eth0:1'},
        {address: '10.0.0.101/32', extra: ['no_track']},
      ],
      virtualIpaddressExcluded: [{address: 'fd00::1/64'}],
      unicastSrcIp: '10.0.0.11',
      unicastPeer: ['10.0.0.12', '10.0.0.13'],
      trackScript: [{name: 'chk_a', weight: 20, weightReverse: true}, {name: 'chk_b'}],
      trackInterface: [{name: 'eth1', weight: -10}],
      notifyMaster: '/x/m.sh',
      garpMasterDelay: 1,
      garpMasterRepeat: 2,
      garpMasterRefresh: 30,
      garpMasterRefreshRepeat: 1,
      useVmac: 'vrrp.51',
      vmacXmitBase: true,
      dontTrackPrimary: true,
      accept: true,
      extra: [{keyword: 'debug', args: ['2']}],
    },
    {
      name: 'VI_2',
      state: 'BACKUP',
      interface: 'eth0',
      virtualRouterId: 52,
      priority: 100,
      nopreempt: true,
      authentication: {type: 'AH', pass: 'abc'},
      virtualIpaddress: [{address: 'fd00::100/64'}],
      mcastSrcIp: 'fd00::11',
      useVmac: true,
      nativeIpv6: true,
      noAccept: true,
    },
  ],
  virtualServers: [
    {
      address: '10.0.0.100',
      port: 443,
      delayLoop: 5,
      lbAlgo: 'mh',
      lbKind: 'TUN',
      protocol: 'SCTP',
      persistenceTimeout: 60,
      persistenceGranularity: '255.255.255.0',
      virtualhost: 'www.example.net',
      sorryServer: {ip: '10.0.0.30', port: 443},
      sorryServerInhibit: true,
      quorum: 2,
      hysteresis: 1,
      quorumUp: '/bin/echo up',
      quorumDown: '/bin/echo down',
      alpha: true,
      omega: true,
      inhibitOnFailure: true,
      realServers: [
        {
          ip: '10.0.0.21',
          port: 443,
          weight: 2,
          inhibitOnFailure: true,
          notifyUp: '/bin/echo rs up',
          notifyDown: '/bin/echo rs down',
          delayLoop: 3,
          checkers: [
            {
              type: 'SSL_GET',
              urls: [{path: '/a', digest: '9b3a0c85a887a256d6939da88aabd8cd', statusCode: '200-299'}],
              virtualhost: 'www.example.net',
              connectIp: '10.0.0.21',
              connectPort: 8443,
              bindto: '10.0.0.11',
              bindPort: 40000,
              connectTimeout: 3,
              retry: 2,
              delayBeforeRetry: 1,
              warmup: 4,
            },
          ],
        },
        {ip: '10.0.0.22', port: 443, checkers: [{type: 'MISC_CHECK', miscPath: '/usr/local/bin/check 10.0.0.22', miscTimeout: 5, miscDynamic: true, user: {user: 'nobody', group: 'nogroup'}, warmup: 2}]},
        {ip: '10.0.0.23', checkers: [{type: 'TCP_CHECK', connectPort: 443}, {type: 'HTTP_GET', urls: [{path: '/'}, {path: '/b', statusCode: '200 204'}]}]},
      ],
    },
    {fwmark: 7, lbAlgo: 'rr', realServers: [{ip: '10.0.0.24', checkers: []}]},
    {group: 'VSG_1', realServers: [{ip: '10.0.0.25', port: 80, checkers: []}]},
  ],
  extra: [{keyword: 'static_routes', args: [], block: [{keyword: '10.9.0.0/16', args: ['via', '10.0.0.1', 'dev', 'eth0']}]}],
}

describe('renderKeepalivedConfig renders any model', () => {
  it('round trips a model that uses every field', () => {
    const text = renderKeepalivedConfig(everything)
    const parsed = parseKeepalivedConfig(text, {file: 'k.conf'})
    expect(stripLocations(parsed.config)).toEqual(stripLocations(everything))
  })

  it('lays out blocks with 4-space indents, one blank line between top-level blocks', () => {
    const text = renderKeepalivedConfig(everything, {header: ['generated']})
    expect(text.startsWith('! generated\n\nglobal_defs {\n    router_id lb1\n    notification_email {\n        ops@example.net\n')).toBe(true)
    expect(text).toContain('    script "/usr/bin/pgrep -x nginx"\n')
    expect(text).toContain('    weight -60 reverse\n')
    expect(text).toContain('        10.0.0.100/24 brd 10.0.0.255 dev eth0 scope global label eth0:1\n')
    expect(text).toContain('}\n\nvrrp_instance VI_2 {\n')
    expect(text).toContain('virtual_server fwmark 7 {\n')
    expect(text).toContain('virtual_server group VSG_1 {\n')
    expect(text.endsWith('}\n')).toBe(true)
  })

  it('renders an empty config as an empty file, and is stable', () => {
    expect(renderKeepalivedConfig(emptyConfig())).toBe('')
    expect(renderKeepalivedConfig(everything)).toBe(renderKeepalivedConfig(structuredClone(everything)))
  })

  it('quotes arguments keepalived would split, refuses what it cannot write exactly', () => {
    expect(confWord('/bin/true')).toBe('/bin/true')
    expect(confWord('/bin/check a b')).toBe('"/bin/check a b"')
    expect(confWord('')).toBe('""')
    expect(confWord('a#b')).toBe('"a#b"')
    expect(confWord("it's")).toBe('"it\'s"')
    for (const bad of ['a"b', 'a\nb', 'a\\', '${_PWD}', '$_HASH', 'x'.repeat(2000)]) expect(() => confWord(bad), bad).toThrow(UnrepresentableValue)
    expect(() => confKeyword('@lb1')).toThrow(UnrepresentableValue)
    expect(() => confKeyword('include')).toThrow(UnrepresentableValue)
    expect(() => confCommand("/bin/echo 'a b'")).toThrow(UnrepresentableValue)
    expect(confCommand('/bin/echo a#b {c}')).toBe('"/bin/echo a#b {c}"')
  })
})
