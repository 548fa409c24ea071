import {readFileSync} from 'node:fs'
import {join} from 'node:path'
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

  it('nginx/haproxy: check_web restarts the service, else stops keepalived; fence steps down the non-designated master', () => {
    process.env.HAL_VRRP_PASS = 'pw'
    const r = renderCluster(loadSpecText(presetSpecText('nginx'), 'nginx.yaml'))
    const [lb1, lb2] = r.nodes
    expect(lb1.config.scripts[0]).toMatchObject({name: 'chk_web', script: '/etc/keepalived/scripts/check_web.sh', weight: -60})
    expect(lb1.config.instances[0].notify).toBe('/etc/keepalived/scripts/fence.sh')
    const check = lb1.scripts.find((s) => s.path === '/etc/keepalived/scripts/check_web.sh')!
    expect(check.mode).toBe(0o755)
    expect(check.content).toMatch(/systemctl restart "\$SERVICE"/)
    expect(check.content).toMatch(/systemctl --no-block stop keepalived/)
    const fence1 = lb1.scripts.find((s) => s.path.endsWith('/fence.sh'))!.content
    const fence2 = lb2.scripts.find((s) => s.path.endsWith('/fence.sh'))!.content
    expect(fence1).toContain("'VI_web') IFACE='eth0'; DESIGNATED='yes'")
    expect(fence2).toContain("'VI_web') IFACE='eth0'; DESIGNATED='no'")
    expect(fence1).toContain('arping -D')
  })

  it('rejects options that cannot make the layout', () => {
    expect(() => presetSpecText('active-active', {vips: ['10.0.0.100/24']})).toThrow(/needs 2 VIPs/)
    expect(() => presetSpecText('nginx', {nodes: [{name: 'a', address: '10.0.0.1'}]})).toThrow(/at least two nodes/)
    expect(() => presetSpecText('nginx', {vips: ['10.0.0.300/24']})).toThrow(/not an address/)
  })
})
