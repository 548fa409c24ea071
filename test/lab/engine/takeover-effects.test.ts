/**
 * What a takeover does to the network around it: gratuitous ARPs seen by tcpdump
 * and a client's ARP cache moving to the new master, and a failing track script
 * moving the VIP by its weight. The engine runs against a real keepalived.
 */
import {spawn} from 'node:child_process'
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {masterDownMs} from '../../../src/vrrp/timers.js'
import {EngineLab, sleep, vrrpConf, waitFor, useEngineLab} from './lab.js'

const VIP = '10.203.0.100'
let lab: EngineLab

useEngineLab(['e', 'k', 'c'], (l) => (lab = l), {killAfterEach: true})

async function macOf(host: string): Promise<string> {
  const r = await execa('ip', ['-n', lab.host(host).netns, '-j', 'link', 'show', 'dev', 'eth0'])
  return (JSON.parse(r.stdout) as Array<{address: string}>)[0].address
}

async function neighMac(host: string, ip: string): Promise<string | undefined> {
  const r = await execa('ip', ['-n', lab.host(host).netns, '-j', 'neigh', 'show', 'to', ip, 'dev', 'eth0'], {reject: false})
  return (JSON.parse(r.stdout || '[]') as Array<{lladdr?: string}>)[0]?.lladdr
}

describe('gratuitous ARP on takeover', () => {
  it('the engine taking over is announced: tcpdump sees its GARPs and the client ARP cache moves to its MAC', async () => {
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    await lab.startEngine('e', vrrpConf({priority: 100}))
    const c = lab.host('c')
    // a TCP connection attempt (refused) makes the client resolve the VIP
    await execa('ip', ['netns', 'exec', c.netns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${VIP}/9`], {reject: false})
    const kMac = await macOf('k')
    const eMac = await macOf('e')
    expect(await neighMac('c', VIP)).toBe(kMac)
    const dump = spawn('ip', ['netns', 'exec', c.netns, 'tcpdump', '-i', 'eth0', '-n', '-l', '-e', 'arp'], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    dump.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await sleep(1000)
      await lab.stop(k)
      expect(await lab.waitHolder(VIP, 'e', 5000)).toBeGreaterThan(0)
      // no traffic from the client: only the GARPs can have moved its cache
      expect(await waitFor(async () => (await neighMac('c', VIP)) === eMac, 3000)).toBe(true)
      await sleep(500)
    } finally {
      dump.kill('SIGTERM')
    }
    const garps = out.split('\n').filter((l) => l.includes(`${eMac} > `) && l.includes(`Request who-has ${VIP} tell ${VIP}`))
    // keepalived's default garp_master_repeat is 5
    expect(garps.length).toBeGreaterThanOrEqual(5)
    expect(garps[0]).toContain('ff:ff:ff:ff:ff:ff')
  })
})

describe('tracking', () => {
  it('a failing track script lowers the priority by its weight and moves the VIP; recovery takes it back', async () => {
    const flag = join(lab.dir, 'healthy')
    await writeFile(flag, 'ok\n')
    const scripts = ['vrrp_script chk_flag {', `  script "/usr/bin/test -e ${flag}"`, '  interval 1', '  weight -60', '  fall 1', '  rise 1', '}'].join('\n')
    const e = await lab.startEngine('e', vrrpConf({priority: 150, scripts, extra: ['track_script {', '  chk_flag', '}']}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await lab.startKeepalived('k', vrrpConf({priority: 100}))
    await sleep(4500)
    expect(await lab.holders(VIP)).toEqual(['e'])
    const t0 = performance.now()
    await rm(flag)
    // script interval + keepalived's Master_Down_Interval (it ignores our lower adverts) + margin
    const took = await lab.waitHolder(VIP, 'k', 10_000, t0)
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(1000 + masterDownMs(2, 100, 1000) + 500)
    const st = (await lab.status(e)).instances[0]
    expect(st).toMatchObject({state: 'BACKUP', priority: 150, effectivePriority: 90})
    expect(st.trackers).toContainEqual({name: 'script chk_flag', weight: -60, ok: false})
    await writeFile(flag, 'ok\n')
    expect(await lab.waitHolder(VIP, 'e', 1000 + masterDownMs(2, 150, 1000) + 1000)).toBeGreaterThan(0)
  })
})
