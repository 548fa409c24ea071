/**
 * deploy on hosts that look like SysV-init systems (`lab up --init sysv`: PID 1
 * is called init): keepalived is managed with Debian's `service` and its
 * /etc/init.d/keepalived script (start-stop-daemon, /run/keepalived.pid,
 * /etc/default/keepalived), never with halctl's own pid files.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KEEPALIVED_CONF} from '../../../src/deploy/paths.js'
import {StatusReader} from '../../../src/status/status.js'
import {settle, startLab, type Lab} from './lab-fixture.js'

const NODES = ['lb1', 'lb2']

describe.runIf(process.getuid?.() === 0)('deploy on SysV-init lab hosts (service + /etc/init.d/keepalived)', () => {
  let lab: Lab
  let vip: string

  /** pid in the Debian init script's pid file, and that process's command line */
  const daemon = async (node: string): Promise<{pid: number; args: string}> => {
    const pid = Number((await lab.exec(node, ['cat', '/run/keepalived.pid'])).trim())
    return {pid, args: pid > 0 ? (await lab.exec(node, ['ps', '-o', 'args=', '-p', String(pid)])).trim() : ''}
  }

  beforeAll(async () => {
    lab = await startLab(2, {prefix: 'hsv', subnet: '10.218.0.0/24', init: 'sysv'})
    vip = lab.up.vip.split('/')[0]
  }, 60_000)
  afterAll(async () => {
    await lab?.down()
  })

  it('a fresh deploy starts keepalived through service (the init script pid file), one VIP holder', async () => {
    for (const name of NODES) expect(await lab.exec(name, ['cat', '/proc/1/comm'])).toBe('init')
    const r = await lab.deploy(await lab.load())
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    for (const name of NODES) {
      const d = await daemon(name)
      expect(d.pid, name).toBeGreaterThan(0)
      // started by the init script: no halctl pid files on its command line
      expect(d.args).toMatch(/keepalived/)
      expect(d.args).not.toMatch(/halctl/)
      expect(await lab.exec(name, ['ls', '/run'])).not.toMatch(/halctl-keepalived/)
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    expect((await lab.deploy(await lab.load())).changes).toBe(0)
  })

  it('a changed priority is applied with service keepalived reload: same daemon, the new priority in effect, the VIP stays', async () => {
    const before = await daemon('lb2')
    const spec = lab.specVariant('prio', (d) => void (d.nodes[1].priority = 120))
    const r = await lab.deploy(await lab.load(spec))
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.steps.find((s) => s.step === 'service')?.detail).toBe('reloaded')
    expect((await daemon('lb2')).pid).toBe(before.pid)
    expect(await lab.exec('lb2', ['grep', '-c', 'priority 120', KEEPALIVED_CONF])).toBe('1')
    expect(await settle(lab, vip)).toEqual(['lb1'])
    const st = await new StatusReader((await lab.load(spec)).cluster, lab.transport, {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts}).read()
    expect(st.nodes[1]).toMatchObject({running: true})
    expect(st.nodes[1].instances[0]).toMatchObject({state: 'BACKUP', priority: 120, effectivePriority: 120})
  })
})
