/**
 * deploy on hosts with an init system (`lab up --init sysv|systemd`):
 * - sysv: PID 1 is called init; keepalived is managed with Debian's `service`
 *   and its /etc/init.d/keepalived script (start-stop-daemon, /run/keepalived.pid);
 * - systemd: PID 1 is systemd; keepalived is enabled and started with systemctl
 *   (Debian's keepalived.service) and reloaded through it.
 * Either way never with halctl's own pid files, and a config change is a reload.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KEEPALIVED_CONF} from '../../../src/host/paths.js'
import type {HostInit} from '../../../src/lab/netns.js'
import {StatusReader} from '../../../src/status/status.js'
import {settle, startLab, type Lab} from './lab-fixture.js'

const NODES = ['lb1', 'lb2']

const CASES: Array<{init: Exclude<HostInit, 'none'>; prefix: string; subnet: string; pid1: string}> = [
  {init: 'sysv', prefix: 'hsv', subnet: '10.218.0.0/24', pid1: 'init'},
  {init: 'systemd', prefix: 'hsd', subnet: '10.219.0.0/24', pid1: 'systemd'},
]

describe.runIf(process.getuid?.() === 0).each(CASES)('deploy on $init lab hosts', ({init, prefix, subnet, pid1}) => {
  let lab: Lab
  let vip: string

  /** the daemon as the init system knows it: its pid and command line */
  const daemon = async (node: string): Promise<{pid: number; args: string}> => {
    const raw = init === 'systemd' ? await lab.exec(node, ['systemctl', 'show', '-p', 'MainPID', '--value', 'keepalived']) : await lab.exec(node, ['cat', '/run/keepalived.pid'])
    const pid = Number(raw.trim())
    return {pid, args: pid > 0 ? (await lab.exec(node, ['ps', '-o', 'args=', '-p', String(pid)])).trim() : ''}
  }

  beforeAll(async () => {
    lab = await startLab(2, {prefix, subnet, init})
    vip = lab.up.vip.split('/')[0]
  }, 60_000)
  afterAll(async () => {
    await lab?.down()
  })

  it('a fresh deploy starts keepalived through the init system, one VIP holder; a redeploy is a no-op', async () => {
    for (const name of NODES) expect(await lab.exec(name, ['cat', '/proc/1/comm'])).toBe(pid1)
    const r = await lab.deploy(await lab.load())
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    for (const name of NODES) {
      const d = await daemon(name)
      expect(d.pid, name).toBeGreaterThan(0)
      expect(d.args).toMatch(/keepalived/)
      // not started by halctl itself: no halctl pid files
      expect(d.args).not.toMatch(/halctl/)
      expect(await lab.exec(name, ['ls', '/run'])).not.toMatch(/halctl-keepalived/)
      if (init === 'systemd') {
        expect(await lab.exec(name, ['systemctl', 'is-active', 'keepalived'])).toBe('active')
        expect(await lab.exec(name, ['systemctl', 'is-enabled', 'keepalived'])).toBe('enabled')
      }
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    expect((await lab.deploy(await lab.load())).changes).toBe(0)
  })

  it('a changed priority is applied by a reload through the init system: same daemon, the new priority in effect, the VIP stays', async () => {
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
