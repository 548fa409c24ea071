import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {lintFiles} from '../../../src/lint/files.js'
import {describe, expect, it} from 'vitest'
import {loadSpecText, PRESET_NAMES, renderCluster} from '../../../src/spec/index.js'
import {presetSpecText} from '../../../src/spec/presets.js'

const root = join(import.meta.dirname, '..', '..', '..')

describe('presets', () => {
  for (const preset of PRESET_NAMES) {
    it(`${preset}: examples/${preset}.yaml is the preset with its default values, and it renders`, () => {
      const text = presetSpecText(preset)
      expect(readFileSync(join(root, 'examples', `${preset}.yaml`), 'utf8')).toBe(text)
      expect(text).toMatch(/^# halctl cluster spec/)
      process.env.HAL_VRRP_PASS = 'pw'
      const r = renderCluster(loadSpecText(text, `${preset}.yaml`))
      expect(r.nodes.map((n) => n.name)).toEqual(['lb1', 'lb2'])
    })
  }

  it('fills in cluster, nodes, VIPs and interface', () => {
    const text = presetSpecText('haproxy', {cluster: 'shop', interface: 'ens3', nodes: [{name: 'fe1', address: '192.168.5.1'}, {name: 'fe2', address: '192.168.5.2'}, {name: 'fe3', address: '192.168.5.3'}], vips: ['192.168.5.10/24']})
    process.env.HAL_VRRP_PASS = 'pw'
    const r = renderCluster(loadSpecText(text, 'shop.yaml'))
    expect(r.nodes.map((n) => [n.name, n.interface, n.config.instances[0].state, n.config.instances[0].priority])).toEqual([
      ['fe1', 'ens3', 'MASTER', 150],
      ['fe2', 'ens3', 'BACKUP', 100],
      ['fe3', 'ens3', 'BACKUP', 50],
    ])
    const check = r.nodes[0].scripts.find((s) => s.path.endsWith('/check_web.sh'))!
    expect(check.content).toContain("SERVICE='haproxy'")
    expect(r.nodes[0].config.instances[0].virtualIpaddress).toEqual([{address: '192.168.5.10/24'}])
  })

  it('nginx/haproxy: check_web lowers the priority by its weight; fence knows each instance; the spec lints clean', async () => {
    process.env.HAL_VRRP_PASS = 'pw'
    const r = renderCluster(loadSpecText(presetSpecText('nginx'), 'nginx.yaml'))
    const [lb1, lb2] = r.nodes
    expect(lb1.config.scripts[0]).toMatchObject({name: 'chk_web', script: '/etc/keepalived/scripts/check_web.sh', weight: -60, interval: 2, timeout: 2})
    expect(lb1.config.instances[0].notify).toBe('/etc/keepalived/scripts/fence.sh')
    const check = lb1.scripts.find((s) => s.path === '/etc/keepalived/scripts/check_web.sh')!
    expect(check.mode).toBe(0o755)
    expect(check.content).toContain("ON_FAIL='weight'")
    // through whatever service manager the node has, never a hard-coded systemctl
    expect(check.content).toContain('service_do restart "$SERVICE"')
    expect(check.content).not.toMatch(/^\s*systemctl (restart|--no-block stop)/m)
    const vrid = lb1.config.instances[0].virtualRouterId
    const fence1 = lb1.scripts.find((s) => s.path.endsWith('/fence.sh'))!
    const fence2 = lb2.scripts.find((s) => s.path.endsWith('/fence.sh'))!
    expect(fence1.content).toContain(`'VI_web') IFACE='eth0'; VRID='${vrid}'; MYPRIO='150'; LISTEN='4'; VIPS=''' ''10.0.0.100' ;;`)
    expect(fence2.content).toContain(`'VI_web') IFACE='eth0'; VRID='${vrid}'; MYPRIO='100'; LISTEN='4';`)
    expect(fence1.content).toContain("OWN='10.0.0.11'")
    expect(fence1.requires).toEqual(['arping', 'tcpdump'])
    expect(check.requires).toBeUndefined()
    // the preset's own spec: no finding at all (it used to say timeout 10 > interval 2)
    const dir = mkdtempSync(join(tmpdir(), 'halctl-preset-'))
    writeFileSync(join(dir, 'nginx.yaml'), presetSpecText('nginx'))
    expect((await lintFiles([join(dir, 'nginx.yaml')])).findings).toEqual([])
  })

  it('lvs-dr: without --real-server the servers are placeholders in the VIP\'s own network, and the spec says so', () => {
    const text = presetSpecText('lvs-dr', {vips: ['172.16.8.50/24']})
    expect(text).not.toContain('10.0.0.2')
    expect(text).not.toContain('10.0.0.30')
    expect(text).toContain("# real servers and sorry server: placeholders in the VIP's network 172.16.8.0/24 (no --real-server or --sorry-server given); replace them with yours")
    process.env.HAL_VRRP_PASS = 'pw'
    const vs = renderCluster(loadSpecText(text, 'dr.yaml')).nodes[0].config.virtualServers
    expect(vs.map((v) => v.realServers.map((r) => `${r.ip}:${r.port}`))).toEqual([
      ['172.16.8.21:80', '172.16.8.22:80'],
      ['172.16.8.21:443', '172.16.8.22:443'],
    ])
    expect(vs[0].sorryServer).toMatchObject({ip: '172.16.8.30', port: 80})
    // given servers are used as given, and the comment says that instead
    const given = presetSpecText('lvs-dr', {vips: ['172.16.8.50/24'], realServers: [{ip: '172.16.9.1'}, {ip: '172.16.9.2', port: 80}], sorryServer: {ip: '172.16.9.9'}})
    expect(given).toContain('# real servers and sorry server as given with --real-server and --sorry-server')
    const vs2 = renderCluster(loadSpecText(given, 'dr.yaml')).nodes[0].config.virtualServers
    expect(vs2[0].realServers.map((r) => `${r.ip}:${r.port}`)).toEqual(['172.16.9.1:80', '172.16.9.2:80'])
    expect(vs2[0].sorryServer).toMatchObject({ip: '172.16.9.9', port: 80})
    // DR cannot change ports
    expect(() => presetSpecText('lvs-dr', {realServers: [{ip: '10.0.0.5', port: 8080}]})).toThrow(/answer on the virtual server's own ports/)
    // a network too small for placeholders, or a VIP without prefix: asks for the servers
    expect(() => presetSpecText('lvs-dr', {vips: ['172.16.8.50/30']})).toThrow(/too small to place example servers/)
    expect(() => presetSpecText('lvs-dr', {vips: ['172.16.8.50']})).toThrow(/has no \/prefix/)
    expect(() => presetSpecText('nginx', {realServers: [{ip: '10.0.0.5'}]})).toThrow(/are for the lvs-dr and lvs-nat presets/)
    expect(() => presetSpecText('lvs-dr', {gatewayVip: '10.5.0.1/24'})).toThrow(/for preset lvs-nat/)
  })

  it('lvs-nat: the placeholders live in the gateway\'s network, which the user names once they give addresses', () => {
    const text = presetSpecText('lvs-nat', {vips: ['172.16.8.50/24'], gatewayVip: '10.9.0.1/24'})
    expect(text).toContain('vips: [10.9.0.1/24]')
    expect(text).toContain("placeholders in the gateway's network 10.9.0.0/24")
    expect(text).toMatch(/MISC_CHECK, path: \/usr\/bin\/curl -fsS -o \/dev\/null http:\/\/10\.9\.0\.22:8080\/health/)
    expect(text).not.toContain('192.168.10.')
    expect(() => presetSpecText('lvs-nat', {vips: ['172.16.8.50/24']})).toThrow(/needs the real servers' gateway: --gateway-vip/)
  })

  it('rejects options that cannot make the layout', () => {
    expect(() => presetSpecText('active-active', {vips: ['10.0.0.100/24']})).toThrow(/needs 2 VIPs/)
    expect(() => presetSpecText('nginx', {nodes: [{name: 'a', address: '10.0.0.1'}]})).toThrow(/at least two nodes/)
    expect(() => presetSpecText('nginx', {vips: ['10.0.0.300/24']})).toThrow(/not an address/)
  })
})
