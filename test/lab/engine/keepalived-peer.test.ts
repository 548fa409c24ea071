/**
 * The engine (`halctl run`) against a REAL keepalived 2.2.7 on a bridge:
 * election both ways, crash and clean-stop takeover times, preempt/nopreempt,
 * PASS auth, v3 at 50 ms, unicast, IPv6.
 */
import {describe, expect, it} from 'vitest'
import {masterDownMs, skewMs} from '../../../src/vrrp/timers.js'
import {EngineLab, sleep, vrrpConf, useEngineLab} from './lab.js'

const VIP = '10.203.0.100'
let lab: EngineLab

useEngineLab(['e', 'k'], (l) => (lab = l), {killAfterEach: true})

const mdi = (prio: number, advMs = 1000, v: 2 | 3 = 2) => masterDownMs(v, prio, advMs)

describe('engine and keepalived elect one master', () => {
  it('engine higher: keepalived stays BACKUP without the VIP; killing the engine -> keepalived takes it within Master_Down_Interval + 0.2 s', async () => {
    const e = await lab.startEngine('e', vrrpConf({priority: 150}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    const k = await lab.startKeepalived('k', vrrpConf({priority: 100}))
    await sleep(4500) // longer than keepalived's Master_Down_Interval
    expect(await lab.holders(VIP)).toEqual(['e'])
    expect(k.log()).toMatch(/Entering BACKUP STATE/)
    expect(k.log()).not.toMatch(/Entering MASTER STATE/)
    const st = await lab.status(e)
    expect(st.instances[0]).toMatchObject({state: 'MASTER', effectivePriority: 150})
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(VIP, 'k', 10_000, t0), lab.kill(e)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100) + 200)
  })

  it('keepalived higher: the engine stays BACKUP; killing keepalived -> the engine takes the VIP within Master_Down_Interval + 0.2 s', async () => {
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    const e = await lab.startEngine('e', vrrpConf({priority: 100}))
    await sleep(4500)
    expect(await lab.holders(VIP)).toEqual(['k'])
    const st = await lab.status(e)
    expect(st.instances[0]).toMatchObject({state: 'BACKUP', masterIp: lab.host('k').ipv4, masterPriority: 150})
    expect(st.instances[0].counters.advertsReceived).toBeGreaterThanOrEqual(3)
    expect(st.instances[0].counters.advertsSent).toBe(0)
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(VIP, 'e', 10_000, t0), lab.kill(k)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100) + 200)
  })

  it('clean stop of the engine (SIGTERM): priority 0, VIP removed, process exits, keepalived takes over within Skew_Time + 0.2 s', async () => {
    const e = await lab.startEngine('e', vrrpConf({priority: 150}))
    await lab.startKeepalived('k', vrrpConf({priority: 100}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await sleep(1500)
    const t0 = performance.now()
    const code = await lab.stop(e)
    expect(code).toBe(0)
    const took = await lab.waitHolder(VIP, 'k', 5000, t0)
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(skewMs(2, 100, 1000) + 200)
    const final = JSON.parse(e.log().slice(e.log().indexOf('{'))) as {stoppedBy: string; instances: Array<{state: string; counters: {advertsSent: number}}>}
    expect(final.stoppedBy).toBe('SIGTERM')
    expect(final.instances[0].state).toBe('INIT')
  })
})

describe('preempt and nopreempt, as keepalived does', () => {
  it('preempt: a higher-priority engine joining a keepalived master takes over after its Master_Down_Interval', async () => {
    await lab.startKeepalived('k', vrrpConf({priority: 100}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    const t0 = performance.now()
    await lab.startEngine('e', vrrpConf({priority: 150}))
    // from the moment the engine is up (its status endpoint answers): its Master_Down_Interval
    const took = await lab.waitHolder(VIP, 'e', 10_000)
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(150) + 500)
    expect(performance.now() - t0).toBeLessThan(30_000)
  })

  it('preempt: keepalived does the same when it is the higher one joining', async () => {
    await lab.startEngine('e', vrrpConf({priority: 100}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await lab.startKeepalived('k', vrrpConf({priority: 150}))
    const took = await lab.waitHolder(VIP, 'k', 10_000)
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(150) + 500)
  })

  it('nopreempt: neither the engine nor keepalived takes the VIP back from a lower-priority master', async () => {
    // engine joins higher with nopreempt
    await lab.startKeepalived('k', vrrpConf({priority: 100, nopreempt: true}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    const e = await lab.startEngine('e', vrrpConf({priority: 150, nopreempt: true}))
    await sleep(mdi(150) + 1500)
    expect(await lab.holders(VIP)).toEqual(['k'])
    expect((await lab.status(e)).instances[0].state).toBe('BACKUP')
    await lab.killAll()
    // mirrored: keepalived joins higher with nopreempt
    await lab.startEngine('e', vrrpConf({priority: 100, nopreempt: true}))
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150, nopreempt: true}))
    await sleep(mdi(150) + 1500)
    expect(await lab.holders(VIP)).toEqual(['e'])
    expect(k.log()).not.toMatch(/Entering MASTER STATE/)
  })
})

describe('protocol variants', () => {
  it('v2 PASS auth: same password elects normally; a wrong one is ignored and counted', async () => {
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150, authPass: 's3cret'}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    const e = await lab.startEngine('e', vrrpConf({priority: 100, authPass: 's3cret'}))
    await sleep(4500)
    expect(await lab.holders(VIP)).toEqual(['k'])
    expect((await lab.status(e)).instances[0].state).toBe('BACKUP')
    await lab.stop(e)
    const bad = await lab.startEngine('e', vrrpConf({priority: 100, authPass: 'wrong'}))
    await sleep(mdi(100) + 1000)
    const st = (await lab.status(bad)).instances[0]
    expect(st.counters.badPackets['auth-failure']).toBeGreaterThanOrEqual(3)
    expect(st.counters.advertsReceived).toBe(0)
    // ignoring the master's adverts, it becomes master too (what keepalived itself does on a password mismatch)
    expect(st.state).toBe('MASTER')
    expect(k.log()).toMatch(/invalid passwd/)
    expect(JSON.stringify(st)).not.toContain('wrong')
  })

  it('v3 at 50 ms: elects, adopts the master interval, and takes over within Master_Down_Interval + 0.2 s after a keepalived crash', async () => {
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150, version: 3, advertInt: 0.05}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    // configured at 1 s: as a v3 backup it must time out on the master's 50 ms (RFC 5798 Master_Adver_Interval)
    const e = await lab.startEngine('e', vrrpConf({priority: 100, version: 3, advertInt: 1}))
    await sleep(1500)
    const st = (await lab.status(e)).instances[0]
    expect(st).toMatchObject({state: 'BACKUP', masterAdvertInterval: 50})
    expect(st.counters.advertsReceived).toBeGreaterThan(15)
    expect(await lab.holders(VIP)).toEqual(['k'])
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(VIP, 'e', 5000, t0), lab.kill(k)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100, 50, 3) + 200)
  })

  it('unicast peers: the engine and keepalived elect over unicast and fail over', async () => {
    const e4 = lab.host('e').ipv4
    const k4 = lab.host('k').ipv4
    const k = await lab.startKeepalived('k', vrrpConf({priority: 150, unicastSrc: k4, unicastPeers: [e4]}))
    const e = await lab.startEngine('e', vrrpConf({priority: 100, unicastSrc: e4, unicastPeers: [k4]}))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    await sleep(4500)
    expect(await lab.holders(VIP)).toEqual(['k'])
    expect((await lab.status(e)).instances[0]).toMatchObject({state: 'BACKUP', masterIp: k4})
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(VIP, 'e', 10_000, t0), lab.kill(k)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100) + 200)
  })

  it('vrrp_mcast_group4: both sides on 224.0.0.19 elect and fail over', async () => {
    const conf = (priority: number) => vrrpConf({priority, globals: ['vrrp_mcast_group4 224.0.0.19']})
    const k = await lab.startKeepalived('k', conf(150))
    expect(await lab.waitHolder(VIP, 'k', 8000)).toBeGreaterThan(0)
    const e = await lab.startEngine('e', conf(100))
    await sleep(4500)
    expect(await lab.holders(VIP)).toEqual(['k'])
    expect((await lab.status(e)).instances[0]).toMatchObject({state: 'BACKUP', masterPriority: 150})
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(VIP, 'e', 10_000, t0), lab.kill(k)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100) + 200)
  })

  it('IPv6 (v3, link-local source, ff02::12): elects with keepalived and fails over', async () => {
    const vip6 = 'fd00:203::100'
    const conf = (priority: number) => vrrpConf({priority, version: 3, vips: [`${vip6}/64`]})
    const k = await lab.startKeepalived('k', conf(150))
    expect(await lab.waitHolder(vip6, 'k', 8000)).toBeGreaterThan(0)
    const e = await lab.startEngine('e', conf(100))
    await sleep(4500)
    expect(await lab.holders(vip6)).toEqual(['k'])
    const st = (await lab.status(e)).instances[0]
    expect(st.state).toBe('BACKUP')
    expect(st.sourceIp).toMatch(/^fe80:/)
    expect(st.masterIp).toMatch(/^fe80:/)
    const t0 = performance.now()
    const [took] = await Promise.all([lab.waitHeldBy(vip6, 'e', 10_000, t0), lab.kill(k)])
    expect(took).toBeGreaterThan(0)
    expect(took).toBeLessThan(mdi(100, 1000, 3) + 200)
  })
})
