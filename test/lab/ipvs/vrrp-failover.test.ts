import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {hostNetnsName} from '../../../src/lab/names.js'
import {createBridge, createHost, destroyPrefix} from '../../../src/lab/netns.js'
import {nginxBackend, request, scratch, sleep, waitFor, type Nginx} from './harness.js'
import {halctlRunNodeArgs} from '../../helpers/halctl-entry.js'

/**
 * VRRP + IPVS together: two lab hosts run `halctl run` on the same
 * keepalived.conf (one vrrp_instance holding the VIP, one virtual_server on
 * it, two nginx real servers on two more hosts). Under wrk load and a probe
 * client, the master dies (process SIGKILLed, link down); the backup takes
 * the VIP and serves the virtual server. The report gives failed requests and
 * the gap. Prefix `hip`, subnet 10.204.0.0/24.
 */
const PREFIX = 'hip'
const VIP = '10.204.0.100'
const LBS = {lb1: '10.204.0.11', lb2: '10.204.0.12'}
const WEBS = {web1: '10.204.0.21', web2: '10.204.0.22'}
const repo = join(import.meta.dirname, '..', '..', '..')

const sc = scratch('hip-ipvs-vrrp-')
const engines = new Map<string, ChildProcess>()
const logs = new Map<string, string[]>()
let webs: Nginx[] = []

const conf = `global_defs {
  router_id hip
  vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 204
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${Object.values(WEBS)
  .map((ip) => `  real_server ${ip} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      warmup 0\n    }\n  }`)
  .join('\n')}
}
`

function startRun(host: string): void {
  const file = join(sc.dir, 'keepalived.conf')
  const env = {...process.env}
  delete env.VITEST
  delete env.VITEST_WORKER_ID
  delete env.VITEST_POOL_ID
  const child = spawn('ip', ['netns', 'exec', hostNetnsName(PREFIX, host), process.execPath, ...halctlRunNodeArgs(), '-f', file, '--config-id', host], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  child.stdout!.on('data', (d: Buffer) => lines.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()))
  engines.set(host, child)
  logs.set(host, lines)
}

const holders = (): string[] =>
  Object.keys(LBS).filter((h) => {
    const out = execFileSync('ip', ['-n', hostNetnsName(PREFIX, h), '-br', 'addr', 'show', 'dev', 'eth0'], {encoding: 'utf8'})
    return out.split(/\s+/).some((w) => w.split('/')[0] === VIP)
  })

beforeAll(async () => {
  await destroyPrefix(PREFIX)
  await createBridge(PREFIX, {controlAddresses: ['10.204.0.1/24']})
  for (const [name, ip] of Object.entries({...LBS, ...WEBS})) await createHost({prefix: PREFIX, name, addresses: [`${ip}/24`]})
  webs = Object.entries(WEBS).map(([name, ip]) => nginxBackend(sc.dir, name, ip, 80, {netns: hostNetnsName(PREFIX, name)}))
  await Promise.all(webs.map((w) => w.start()))
  writeFileSync(join(sc.dir, 'keepalived.conf'), conf)
  for (const h of Object.keys(LBS)) startRun(h)
}, 120_000)

afterAll(async () => {
  for (const c of engines.values()) if (c.exitCode === null) c.kill('SIGKILL')
  await Promise.all(webs.map((w) => w.stop()))
  await destroyPrefix(PREFIX)
  sc.cleanup()
})

describe('halctl run: VRRP + userspace IPVS on two hosts', () => {
  it('moves the virtual server with the VIP when the master dies under load', async () => {
    const settled = await waitFor(async () => holders().length === 1, 30_000, 100)
    expect(settled, logs.get('lb1')!.join('') + logs.get('lb2')!.join('')).toBeDefined()
    const master = holders()[0]
    const backup = master === 'lb1' ? 'lb2' : 'lb1'
    const served = await waitFor(async () => (await request(VIP, 80)).ok, 15_000, 200)
    expect(served).toBeDefined()

    // wrk keep-alive load plus a probe client with a new connection per request
    const wrk = spawn('wrk', ['-t1', '-c10', '-d10s', `http://${VIP}/`], {stdio: ['ignore', 'pipe', 'pipe']})
    let wrkOut = ''
    wrk.stdout!.on('data', (d: Buffer) => (wrkOut += d.toString()))
    const wrkDone = new Promise((r) => wrk.once('exit', r))
    const samples: {start: number; end: number; ok: boolean; body: string}[] = []
    let running = true
    const probes = Array.from({length: 4}, async () => {
      while (running) {
        const start = Date.now()
        const r = await request(VIP, 80, undefined, 1000)
        samples.push({start, end: Date.now(), ...r})
        if (!r.ok) await sleep(20)
      }
    })
    await sleep(2500)
    const killedAt = Date.now()
    engines.get(master)!.kill('SIGKILL')
    execFileSync('ip', ['-n', hostNetnsName(PREFIX, master), 'link', 'set', 'eth0', 'down'])
    const tookOver = await waitFor(async () => holders().includes(backup), 10_000, 20)
    await sleep(4000)
    running = false
    await Promise.all(probes)
    await wrkDone

    const firstOkAfter = samples.filter((s) => s.ok && s.start >= killedAt).sort((a, b) => a.end - b.end)[0]
    const failed = samples.filter((s) => !s.ok)
    const gapMs = firstOkAfter ? firstOkAfter.end - killedAt : undefined
    const wrkRequests = Number(/(\d+) requests in/.exec(wrkOut)?.[1] ?? 0)
    const wrkErrors = /Socket errors: (.*)/.exec(wrkOut)?.[1] ?? 'none'
    console.log(
      'VRRP+IPVS master kill under load:',
      JSON.stringify({master, backup, vipMovedAfterMs: tookOver, gapMs, probeRequests: samples.length, probeFailed: failed.length, wrkRequests, wrkSocketErrors: wrkErrors}),
    )
    expect(tookOver).toBeDefined()
    expect(gapMs).toBeDefined()
    // VRRPv2, advert_int 1, priority 100: master down after 3 * 1 s + skew 0.61 s; then GARP and listen
    expect(gapMs!).toBeLessThan(6000)
    const after = samples.filter((s) => s.start > killedAt + gapMs! + 200)
    expect(after.length).toBeGreaterThan(10)
    expect(after.every((s) => s.ok)).toBe(true)
    expect(new Set(after.map((s) => s.body))).toEqual(new Set(['web1', 'web2']))
    expect(wrkRequests).toBeGreaterThan(0)
  })
})
