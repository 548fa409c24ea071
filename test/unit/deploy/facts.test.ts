import {daemonTarget} from '../../../src/host/daemon.js'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {configFileArg, daemonPaths, parseFacts, parseFirewalld, parseIpAddrJson, parseKeepalivedVersion, parseOsRelease, sudoRefusal} from '../../../src/host/facts.js'
import {planNode} from '../../../src/deploy/plan.js'
import {FakeMachine, FakeTransport} from '../../helpers/fake-transport.js'
import {cluster} from './cluster-fixture.js'

const factsOutput = (st: ConstructorParameters<typeof FakeMachine>[2]): string =>
  new FakeTransport().machine('node', '10.0.0.11', st).factsOutput([])

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')

describe('facts parsers', () => {
  it('parses facts captured on a Debian 12 host without an init system', () => {
    const f = parseFacts(fixture('facts-debian12-noinit.txt'))
    expect(f.os).toEqual({id: 'debian', versionId: '12', family: 'debian'})
    expect(f.packageManager).toBe('apt')
    expect(f.init).toBe('none')
    expect(f.firewall).toBe('nftables')
    expect(f.keepalived).toMatchObject({installed: true, version: '2.2.7', running: false})
    expect(f.ipvsadmInstalled).toBe(true)
    expect(f.interfaces.find((i) => i.name === 'lo')?.addresses).toContain('127.0.0.1/8')
    expect(f.files['/etc/keepalived/keepalived.conf.sample']).toMatchObject({mode: '644'})
    expect(f.sysctls['net.ipv4.ip_forward']).toMatch(/^[01]$/)
  })

  it('hashes what is under /etc/keepalived, without halctl staging and backups', () => {
    const t = new FakeTransport()
    const m = t.machine('node', '10.0.0.11', {files: {'/etc/keepalived/keepalived.conf': 'x', '/etc/keepalived/.halctl-backups/1/keepalived.conf': 'y', '/etc/keepalived/scripts/a.sh': 'z'}})
    const f = parseFacts(m.factsOutput([]))
    expect(Object.keys(f.keepalivedDir).sort()).toEqual(['/etc/keepalived/keepalived.conf', '/etc/keepalived/scripts/a.sh'])
  })

  it('reads a RHEL-like host with systemd, firewalld and a running keepalived', () => {
    const f = parseFacts(factsOutput({os: 'rocky', init: 'systemd', firewall: 'firewalld', running: true, firewalldRules: [{zone: 'public', rule: 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'}]}))
    expect(f.os.family).toBe('rhel')
    expect(f.packageManager).toBe('dnf')
    expect(f.keepalived).toMatchObject({running: true})
    expect(f.keepalived.pid).toBeGreaterThan(0)
    expect(f.firewallState.firewalld).toEqual({defaultZone: 'public', zoneInterfaces: {}, richRules: {public: ['rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept']}})
  })

  it('reads firewalld zones: the default, the active ones with their interfaces, each zone rich rules once', () => {
    const lines = ['default public', 'zone internal eth1 eth2', 'zone public', 'rich public rule family="ipv4" source address="10.0.0.12" protocol value="vrrp" accept', 'rich internal rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept', 'rich internal rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept']
    expect(parseFirewalld(lines)).toEqual({
      defaultZone: 'public',
      zoneInterfaces: {internal: ['eth1', 'eth2'], public: []},
      richRules: {public: ['rule family="ipv4" source address="10.0.0.12" protocol value="vrrp" accept'], internal: ['rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept']},
    })
  })

  it('without an init system trusts only halctl pid file, not another keepalived on the machine', () => {
    const out = factsOutput({init: 'none'}).replace('@@running\n', '@@running\ndefault 4242\n')
    expect(parseFacts(out).keepalived.running).toBe(false)
  })

  it('refuses truncated output (connection cut while reading facts)', () => {
    const out = factsOutput({}).split('@@sysctl')[0]
    expect(() => parseFacts(out)).toThrow(/did not finish/)
  })

  it('small parsers', () => {
    expect(parseKeepalivedVersion('Keepalived v2.2.7 (01/16,2022)')).toBe('2.2.7')
    expect(parseKeepalivedVersion('sh: keepalived: not found')).toBeUndefined()
    expect(parseOsRelease(['ID=ubuntu', 'ID_LIKE=debian', 'VERSION_ID="22.04"']).family).toBe('debian')
    expect(parseIpAddrJson('not json')).toEqual([])
    expect(parseIpAddrJson('[{"ifname":"eth0","flags":["UP"],"addr_info":[{"family":"inet6","local":"fd00::1","prefixlen":64}]}]')).toEqual([
      {name: 'eth0', up: true, addresses: ['fd00::1/64']},
    ])
  })
})

describe('sudoRefusal', () => {
  it('recognises what sudo -n says when it will not run a command', () => {
    expect(sudoRefusal('sudo: a password is required\n')).toBe('a password is required')
    expect(sudoRefusal('sudo: a terminal is required to read the password\nsudo: a password is required\n')).toBe('a password is required')
    expect(sudoRefusal('Sorry, user bob may not run sudo on lb1.\nsudo: bob is not in the sudoers file.\n')).toBe('bob is not in the sudoers file.')
    expect(sudoRefusal('bash: line 1: sudo: command not found\n')).toBe('sudo is not installed')
    expect(sudoRefusal('sh: 1: sudo: not found\n')).toBe('sudo is not installed')
  })

  it('leaves other failures alone', () => {
    expect(sudoRefusal('')).toBeUndefined()
    expect(sudoRefusal('cat: /etc/os-release: No such file or directory\n')).toBeUndefined()
    expect(sudoRefusal('sudo: unable to resolve host lb1: Name or service not known\n')).toBeUndefined()
  })
})

describe("the daemon's real paths", () => {
  it('-f / --use-file in the running process wins; the standard file is not reported', () => {
    expect(configFileArg(['keepalived', '-D', '-f', '/opt/k.conf'])).toBe('/opt/k.conf')
    expect(configFileArg(['keepalived', '--use-file=/opt/k.conf'])).toBe('/opt/k.conf')
    expect(configFileArg(['keepalived', '-f/opt/k.conf'])).toBe('/opt/k.conf')
    expect(daemonPaths(['/usr/local/sbin/keepalived', '-f', '/usr/local/etc/keepalived/keepalived.conf'], undefined, [])).toEqual({
      binary: '/usr/local/sbin/keepalived',
      configFile: {path: '/usr/local/etc/keepalived/keepalived.conf', from: 'process arguments'},
    })
    expect(daemonPaths(['keepalived', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/x.pid'], '/usr/sbin/keepalived', [])).toEqual({binary: '/usr/sbin/keepalived'})
  })
  it('not running: the options file, then the unit; a /usr/local install reads its own default', () => {
    expect(daemonPaths(undefined, '/usr/sbin/keepalived', ['DAEMON_ARGS="-D -f /srv/ka.conf"'])).toEqual({binary: '/usr/sbin/keepalived', configFile: {path: '/srv/ka.conf', from: 'options file'}})
    expect(daemonPaths(undefined, '/usr/sbin/keepalived', ['unit { path=/usr/sbin/keepalived ; argv[]=/usr/sbin/keepalived --dont-fork -f /srv/u.conf $DAEMON_ARGS ; }'])).toEqual({
      binary: '/usr/sbin/keepalived',
      configFile: {path: '/srv/u.conf', from: 'unit ExecStart'},
    })
    expect(daemonPaths(undefined, '/usr/local/sbin/keepalived', ['unit ']).configFile).toEqual({path: '/usr/local/etc/keepalived/keepalived.conf', from: 'source install default'})
    expect(daemonPaths(undefined, '/usr/sbin/keepalived', ['DAEMON_ARGS=""', 'unit ']).configFile).toBeUndefined()
  })
  it('a source install outside PATH counts as installed (no package install planned); the file its daemon reads is the one deployed; a spec naming another is refused with what to do', () => {
    const out = new FakeTransport().machine('lb1', '10.0.0.11', {keepalivedInstalled: false, running: true}).factsOutput([])
    const text = out
      .replace('@@keepalived\n', '@@keepalived\nKeepalived v2.3.1 (05/24,2024)\n@@kbin\n/usr/local/sbin/keepalived\n')
      .replace(/^pidfile (\d+)\s*$/m, 'pidfile $1 /usr/local/sbin/keepalived -f /usr/local/etc/keepalived/keepalived.conf')
    const f = parseFacts(text)
    expect(f.keepalived).toMatchObject({installed: true, binary: '/usr/local/sbin/keepalived', configFile: {path: '/usr/local/etc/keepalived/keepalived.conf', from: 'process arguments'}})
    expect(f.daemon).toEqual({binary: '/usr/local/sbin/keepalived', config: '/usr/local/etc/keepalived/keepalived.conf', from: 'process arguments'})
    const node = cluster(1).nodes[0]
    const up = {interfaces: [{name: 'eth0', up: true, addresses: ['10.0.0.11/24']}]}
    const plan = planNode(node, {...f, ...up})
    expect(plan.install).toEqual([])
    expect(plan.problems).toEqual([])
    expect(plan.daemon).toEqual({binary: '/usr/local/sbin/keepalived', config: '/usr/local/etc/keepalived/keepalived.conf'})
    expect(plan.files.map((w) => w.path)).toEqual(['/usr/local/etc/keepalived/keepalived.conf'])
    expect(plan.changes.find((c) => c.kind === 'config')?.summary).toBe('write /usr/local/etc/keepalived/keepalived.conf (the file keepalived reads: from its process arguments)')
    // the spec names the standard file while the daemon runs another: refused, naming the spec option
    const other = parseFacts(text, undefined, {config: '/etc/keepalived/keepalived.conf'})
    expect(planNode({...node, daemon: {config: '/etc/keepalived/keepalived.conf'}}, {...other, ...up}).problems).toEqual([
      'keepalived on the node runs with /usr/local/etc/keepalived/keepalived.conf (its process arguments: /usr/local/sbin/keepalived -f /usr/local/etc/keepalived/keepalived.conf), but the spec\'s keepalived.config is /etc/keepalived/keepalived.conf: writing it would change nothing the daemon runs; set keepalived.config (defaults or the node) to /usr/local/etc/keepalived/keepalived.conf, or restart keepalived with -f /etc/keepalived/keepalived.conf, then deploy',
    ])
    // the spec's binary that is not there: refused, not "install keepalived"
    const missing = parseFacts(out, undefined, {binary: '/opt/k/sbin/keepalived'})
    const p2 = planNode({...node, daemon: {binary: '/opt/k/sbin/keepalived'}}, {...missing, ...up})
    expect(p2.install).toEqual([])
    expect(p2.problems.join(' ')).toMatch(/the spec's keepalived.binary \/opt\/k\/sbin\/keepalived is not a keepalived the node can run/)
  })

  it('daemon paths: the spec wins; else what the daemon reads; else the standard file (pure)', () => {
    expect(daemonTarget(undefined, {running: false})).toEqual({config: '/etc/keepalived/keepalived.conf', from: 'standard'})
    expect(daemonTarget({binary: '/opt/k/sbin/keepalived', config: '/opt/k/etc/keepalived.conf'}, {running: false, binary: '/usr/sbin/keepalived'})).toEqual({
      binary: '/opt/k/sbin/keepalived',
      config: '/opt/k/etc/keepalived.conf',
      from: 'spec',
    })
    // a running daemon on the spec's file: fine
    const args = ['/opt/k/sbin/keepalived', '-f', '/opt/k/etc/keepalived.conf']
    expect(daemonTarget({config: '/opt/k/etc/keepalived.conf'}, {running: true, args, configFile: {path: '/opt/k/etc/keepalived.conf', from: 'process arguments'}}).problem).toBeUndefined()
    // a running daemon on the standard file, the spec names another: refused
    expect(daemonTarget({config: '/opt/k/etc/keepalived.conf'}, {running: true, args: ['/usr/sbin/keepalived']}).problem).toMatch(/runs with \/etc\/keepalived\/keepalived.conf/)
    expect(daemonTarget(undefined, {running: false, configFile: {path: '/etc/kad.conf', from: 'options file'}})).toEqual({config: '/etc/kad.conf', from: 'options file'})
  })
})
