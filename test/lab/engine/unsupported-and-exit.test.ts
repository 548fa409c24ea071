/**
 * The engine beside a real keepalived 2.2.7 on the same configs:
 * virtual_routes/virtual_rules come and go with MASTER as keepalived's do,
 * static_routes/static_rules come and go with the daemon, track_file weighs
 * the advertised priority or faults as keepalived's does,
 * keywords it does not implement are warned about by name, net_namespace is
 * honoured or refused, and a clean stop ends the
 * process right behind its priority-0 advert (not when a peer's next advert
 * happens to wake the capture).
 */
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {skewMs} from '../../../src/vrrp/timers.js'
import {EngineLab, sleep, vrrpConf, useEngineLab, waitFor} from './lab.js'

const NET = '10.116.3'
const VIP = `${NET}.100`
let lab: EngineLab

useEngineLab(['e', 'k'], (l) => (lab = l), {prefix: 'x116c', net: NET, killAfterEach: true})

const routes = async (host: string) => (await execa('ip', ['-n', lab.host(host).netns, 'route', 'show', `${NET.replace(/\.\d+$/, '.9')}.0/24`])).stdout

const rules = async (host: string) => (await execa('ip', ['-n', lab.host(host).netns, 'rule', 'show'])).stdout

describe('keywords keepalived acts on', () => {
  it('virtual_routes and virtual_rules: added as MASTER, removed on stop, as keepalived does; a keyword the engine does not implement (smtp_alert) is a warning naming it', async () => {
    const conf = vrrpConf({
      priority: 255,
      state: 'MASTER',
      vips: [`${VIP}/24`],
      extra: ['smtp_alert', 'virtual_routes {', '  10.116.9.0/24 dev eth0', '}', 'virtual_rules {', '  from 10.116.8.0/24 table 116 priority 116', '}'],
    })
    for (const kind of ['engine', 'keepalived'] as const) {
      const host = kind === 'engine' ? 'e' : 'k'
      const p = kind === 'engine' ? await lab.startEngine(host, conf) : await lab.startKeepalived(host, conf)
      expect(await lab.waitHolder(VIP, host, 8000), kind).toBeGreaterThan(0)
      await sleep(300)
      expect(await routes(host), kind).toMatch(/^10\.116\.9\.0\/24 dev eth0/)
      expect(await rules(host), kind).toMatch(/^116:\s+from 10\.116\.8\.0\/24 lookup 116/m)
      expect(await lab.stop(p), kind).toBe(0)
      expect(await routes(host), kind).toBe('')
      expect(await rules(host), kind).not.toMatch(/10\.116\.8\.0/)
      if (kind === 'engine') {
        const {warnings} = JSON.parse(p.log().slice(p.log().indexOf('{'))) as {warnings: string[]}
        expect(warnings).toEqual([expect.stringMatching(/e-engine\.conf:\d+: warning: VI_1: smtp_alert is not implemented by halctl run; no mail is sent/)])
      }
    }
  })

  it('static_routes and static_rules: added at start, removed at stop, as keepalived does', async () => {
    const conf = `static_routes {\n  10.116.7.0/24 dev eth0\n}\nstatic_rules {\n  from 10.116.6.0/24 table 117 priority 117\n}\n${vrrpConf({priority: 100, vips: [`${VIP}/24`]})}`
    for (const kind of ['engine', 'keepalived'] as const) {
      const host = kind === 'engine' ? 'e' : 'k'
      const p = kind === 'engine' ? await lab.startEngine(host, conf) : await lab.startKeepalived(host, conf)
      const route = async () => (await execa('ip', ['-n', lab.host(host).netns, 'route', 'show', '10.116.7.0/24'])).stdout
      expect(await waitFor(async () => /^10\.116\.7\.0\/24 dev eth0/.test(await route()), 5000), kind).toBe(true)
      expect(await rules(host), kind).toMatch(/^117:\s+from 10\.116\.6\.0\/24 lookup 117/m)
      expect(await lab.stop(p), kind).toBe(0)
      expect(await route(), kind).toBe('')
      expect(await rules(host), kind).not.toMatch(/10\.116\.6\.0/)
    }
  })

  it('track_file: a weight adds the number x weight to the advertised priority; weight 0 is FAULT while the file is not 0; as keepalived does on the same config', async () => {
    for (const kind of ['engine', 'keepalived'] as const) {
      const [host, other] = kind === 'engine' ? ['e', 'k'] : ['k', 'e']
      const f0 = join(lab.dir, `${host}-f0`)
      const f5 = join(lab.dir, `${host}-f5`)
      await writeFile(f0, '0\n')
      await writeFile(f5, '5\n')
      const conf = vrrpConf({
        priority: 100,
        state: 'MASTER',
        vips: [`${VIP}/24`],
        scripts: `vrrp_track_file f0 {\n  file ${f0}\n  weight 0\n}\nvrrp_track_file f5 {\n  file ${f5}\n  weight 2\n}`,
        extra: ['track_file {', '  f0', '  f5', '}'],
      })
      const p = kind === 'engine' ? await lab.startEngine(host, conf) : await lab.startKeepalived(host, conf)
      expect(await lab.waitHolder(VIP, host, 8000), kind).toBeGreaterThan(0)
      const seen = await execa('ip', ['netns', 'exec', lab.host(other).netns, 'timeout', '5', 'tcpdump', '-i', 'eth0', '-c', '1', '-n', '-v', 'ip proto 112'], {reject: false})
      expect(seen.stdout, kind).toMatch(/prio 110,/)
      await writeFile(f0, '1\n')
      expect(await waitFor(async () => (await lab.holders(VIP)).length === 0, 5000), `${kind}: FAULT`).toBe(true)
      await writeFile(f0, '0\n')
      expect(await lab.waitHolder(VIP, host, 8000), `${kind}: back`).toBeGreaterThan(0)
      if (kind === 'engine') expect(JSON.stringify((await lab.status(p)).instances[0].trackers)).toMatch(/"name":"file f5","weight":2,"ok":false,"value":5/)
      await lab.stop(p)
    }
  })

  it('net_namespace: runs when started inside that namespace; refused (file:line, what to do) outside it', async () => {
    const inside = `net_namespace ${lab.host('e').netns}\n${vrrpConf({priority: 255, state: 'MASTER', vips: [`${VIP}/24`]})}`
    await lab.startEngine('e', inside)
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await lab.killAll()
    const elsewhere = `net_namespace ${lab.host('k').netns}\n${vrrpConf({priority: 255, state: 'MASTER', vips: [`${VIP}/24`]})}`
    const refused = await lab.startEngine('e', elsewhere).then(
      () => '',
      (err: Error) => err.message,
    )
    expect(refused).toMatch(/net_namespace x116c-k: halctl run does not enter network namespaces/)
    expect(refused).toMatch(/"where": ".*e-engine\.conf:1"/)
    expect(refused).toMatch(/"hint": "start it inside the namespace: ip netns exec x116c-k halctl run/)
    expect(await lab.holders(VIP)).toEqual([])
  })
})

describe('clean stop', () => {
  // the takeover time itself (Skew_Time + 0.2 s) is keepalived-peer.test.ts's; here: the process does not outlive it
  it('SIGTERM to a master: the process is gone before keepalived takes over', async () => {
    const e = await lab.startEngine('e', vrrpConf({priority: 150, vips: [`${VIP}/24`]}))
    await lab.startKeepalived('k', vrrpConf({priority: 100, vips: [`${VIP}/24`]}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await sleep(1500)
    const t0 = performance.now()
    const [took, exitedAfter] = await Promise.all([
      lab.waitHeldBy(VIP, 'k', 5000, t0),
      (async () => {
        expect(await lab.stop(e)).toBe(0)
        return performance.now() - t0
      })(),
    ])
    expect(took).toBeGreaterThan(0)
    // keepalived waits Skew_Time after the priority-0 advert
    expect(took).toBeGreaterThan(skewMs(2, 100, 1000))
    // before the fix the capture held the process until keepalived's first advert as master
    expect(exitedAfter).toBeLessThan(took)
  })
})
