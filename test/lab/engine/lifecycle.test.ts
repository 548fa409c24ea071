/**
 * The process life cycle of `halctl run` in the lab: SIGHUP reload without
 * dropping the VIPs that stay, SIGINT exit (130) with the VIPs removed,
 * static_ipaddress, and a sync group moving together against keepalived.
 */
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {EngineLab, sleep, vrrpConf, useEngineLab} from './lab.js'

let lab: EngineLab

useEngineLab(['e', 'k'], (l) => (lab = l), {killAfterEach: true})

async function addrs(host: string): Promise<string[]> {
  const r = await execa('ip', ['-n', lab.host(host).netns, '-br', 'addr', 'show'])
  return r.stdout.split(/\s+/).filter((w) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(w) && !w.startsWith('127.'))
}

describe('halctl run life cycle', () => {
  it('SIGHUP reloads: a VIP that stays is never removed, a dropped one goes, a new one comes', async () => {
    const e = await lab.startEngine('e', vrrpConf({priority: 150, vips: ['10.203.0.100/24', '10.203.0.101/24']}))
    expect(await lab.waitHolder('10.203.0.100', 'e', 8000)).toBeGreaterThan(0)
    await sleep(300)
    let stayGone = false
    let watching = true
    const watch = (async () => {
      while (watching) {
        if (!(await lab.holders('10.203.0.101')).includes('e')) stayGone = true
        await sleep(5)
      }
    })()
    await writeFile(join(lab.dir, 'e-engine.conf'), vrrpConf({priority: 150, vips: ['10.203.0.101/24', '10.203.0.102/24']}))
    e.child.kill('SIGHUP')
    expect(await lab.waitHolder('10.203.0.102', 'e', 5000)).toBeGreaterThan(0)
    expect(await lab.waitHolder('10.203.0.100', undefined, 5000)).toBeGreaterThan(0)
    await sleep(300)
    watching = false
    await watch
    expect(stayGone).toBe(false)
    const st = await lab.status(e)
    expect(st.instances[0]).toMatchObject({state: 'MASTER', virtualIps: ['10.203.0.101/24', '10.203.0.102/24']})
    expect(st.instances[0].counters.becameMaster).toBe(1)
  })

  it('SIGINT: exit code 130, VIPs and static addresses removed, the process is gone', async () => {
    const conf = vrrpConf({priority: 150}) + 'static_ipaddress {\n  10.203.0.110/32 dev eth0\n}\n'
    const e = await lab.startEngine('e', conf)
    expect(await lab.waitHolder('10.203.0.100', 'e', 8000)).toBeGreaterThan(0)
    expect(await addrs('e')).toContain('10.203.0.110/32')
    e.child.kill('SIGINT')
    const t = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref())
    expect(await Promise.race([e.exited, t])).toBe(130)
    expect(await addrs('e')).toEqual(['10.203.0.10/24'])
  })

  it('a sync group moves together: one member FAULT (weight 0 script) hands both VIPs to keepalived', async () => {
    const flag = join(lab.dir, 'ok')
    await writeFile(flag, '')
    const group = (prio: number, withScript: boolean) =>
      [
        withScript ? `vrrp_script chk {\n  script "/usr/bin/test -e ${flag}"\n  interval 1\n}` : '',
        'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}',
        vrrpConf({name: 'VI_1', priority: prio, vrid: 51, vips: ['10.203.0.100/24'], extra: withScript ? ['track_script {', '  chk', '}'] : []}),
        vrrpConf({name: 'VI_2', priority: prio, vrid: 52, vips: ['10.203.0.101/24']}).replace(/^global_defs \{[^}]*\}\n/, ''),
      ].join('\n')
    const e = await lab.startEngine('e', group(150, true))
    expect(await lab.waitHolder('10.203.0.101', 'e', 8000)).toBeGreaterThan(0)
    await lab.startKeepalived('k', group(100, false))
    await sleep(4500)
    expect(await lab.holders('10.203.0.100')).toEqual(['e'])
    expect(await lab.holders('10.203.0.101')).toEqual(['e'])
    await rm(flag)
    expect(await lab.waitHolder('10.203.0.100', 'k', 6000)).toBeGreaterThan(0)
    expect(await lab.waitHolder('10.203.0.101', 'k', 2000)).toBeGreaterThan(0)
    const st = await lab.status(e)
    expect(st.instances.map((i) => i.state)).toEqual(['FAULT', 'FAULT'])
    await writeFile(flag, '')
    expect(await lab.waitHolder('10.203.0.100', 'e', 10_000)).toBeGreaterThan(0)
    expect(await lab.waitHolder('10.203.0.101', 'e', 2000)).toBeGreaterThan(0)
  })
})
