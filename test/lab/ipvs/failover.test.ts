import {createHash} from 'node:crypto'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {nginxBackend, randomPortBase, request, scratch, sleep, startIpvs, waitFor, type IpvsProcess, type Nginx} from './harness.js'

/**
 * Health checking under load: three nginx backends behind the userspace proxy
 * (HTTP_GET with digest on two, TCP_CHECK on one), a sorry server, clients
 * making a new connection per request. A backend is SIGKILLed: it must leave
 * the table within delay_loop + retry x (connect_timeout + delay_before_retry),
 * come back after it restarts, and only requests in flight on it when it died
 * may fail (new connections it refuses meanwhile are retried on another
 * server). With every backend dead the sorry server answers.
 */
const VIP = '127.0.0.21'
const base = randomPortBase()
const VPORT = base + 1
const DELAY_LOOP = 1
const CONNECT_TIMEOUT = 1
const RETRY = 1
const DELAY_BEFORE_RETRY = 1
const BOUND_MS = (DELAY_LOOP + RETRY * (CONNECT_TIMEOUT + DELAY_BEFORE_RETRY)) * 1000
const SLACK_MS = 400

const sc = scratch('hip-ipvs-failover-')
let backends: Nginx[] = []
let sorry: Nginx
let ipvs: IpvsProcess | undefined
const md5 = (s: string) => createHash('md5').update(s).digest('hex')

function checkerFor(name: string): string {
  const timers = `            connect_timeout ${CONNECT_TIMEOUT}
            retry ${RETRY}
            delay_before_retry ${DELAY_BEFORE_RETRY}
            warmup 0`
  if (name === 'b4') return `        TCP_CHECK {\n${timers}\n        }`
  return `        HTTP_GET {
            url {
                path /health
                status_code 200
                digest ${md5(`${name}\n`)}
            }
${timers}
        }`
}

beforeAll(async () => {
  backends = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => nginxBackend(sc.dir, `b${ip.split('.')[3]}`, ip, base))
  sorry = nginxBackend(sc.dir, 'sorry', '127.0.0.5', base)
  await Promise.all([...backends, sorry].map((b) => b.start()))
  const conf = join(sc.dir, 'keepalived.conf')
  writeFileSync(
    conf,
    `virtual_server ${VIP} ${VPORT} {
    delay_loop ${DELAY_LOOP}
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum_down "/usr/bin/touch ${sc.dir}/quorum-down"
    sorry_server 127.0.0.5 ${base}
${backends
  .map(
    (b) => `    real_server ${b.address} ${base} {
        notify_down "/usr/bin/touch ${sc.dir}/${b.name}-down"
        notify_up "/usr/bin/touch ${sc.dir}/${b.name}-up"
${checkerFor(b.name)}
    }`,
  )
  .join('\n')}
}
`,
  )
  ipvs = await startIpvs(conf, base + 9)
})

afterAll(async () => {
  await ipvs?.stop()
  await Promise.all([...backends, sorry].map((b) => b?.stop()))
  sc.cleanup()
})

interface Sample {
  at: number
  ok: boolean
  body: string
}

/** `workers` clients, each a new connection per request, until stop() */
function load(workers: number): {samples: Sample[]; stop: () => Promise<void>} {
  const samples: Sample[] = []
  let running = true
  const loops = Array.from({length: workers}, async () => {
    while (running) {
      const started = Date.now()
      const r = await request(VIP, VPORT)
      samples.push({at: started, ...r})
    }
  })
  return {
    samples,
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

const inTable = async (name: string): Promise<boolean> => {
  const st = await ipvs!.status()
  const b = [...backends, sorry].find((x) => x.name === name)!
  return st.virtualServers[0].realServers.some((r) => r.ip === b.address && r.inTable && r.weight > 0)
}

describe('checkers under load', () => {
  it('removes a killed backend in time, re-adds it, and only requests in flight on it fail', async () => {
    expect(await waitFor(async () => (await ipvs!.status()).virtualServers[0].realServers.every((r) => r.role === 'sorry' || r.checkers.every((c) => c.checks > 0)), 5000)).toBeDefined()
    const traffic = load(8)
    await sleep(1000)
    const errorsBefore = (await ipvs!.status()).virtualServers[0].backendErrors
    const killedAt = Date.now()
    await backends[1].kill()
    const removedAfter = await waitFor(async () => !(await inTable('b3')), BOUND_MS + 3000, 20)
    const removedAt = Date.now()
    await sleep(1000)
    await backends[1].start()
    const restartedAt = Date.now()
    const readdedAfter = await waitFor(() => inTable('b3'), (DELAY_BEFORE_RETRY + CONNECT_TIMEOUT) * 1000 + 3000, 20)
    await sleep(1000)
    await traffic.stop()

    const st = (await ipvs!.status()).virtualServers[0]
    const failed = traffic.samples.filter((s) => !s.ok)
    const backendErrors = st.backendErrors - errorsBefore
    const summary = {
      requests: traffic.samples.length,
      failed: failed.length,
      failedReasons: [...new Set(failed.map((f) => f.body))],
      connectsRefusedByDeadBackendAndRetried: backendErrors,
      removedAfterMs: removedAfter,
      boundMs: BOUND_MS,
      readdedAfterMs: readdedAfter,
      b3: st.realServers.find((r) => r.ip === '127.0.0.3')?.checkers[0],
    }
    console.log('backend kill under load:', JSON.stringify(summary))

    expect(removedAfter).toBeDefined()
    expect(removedAfter!).toBeLessThanOrEqual(BOUND_MS + SLACK_MS)
    expect(readdedAfter).toBeDefined()
    expect(readdedAfter!).toBeLessThanOrEqual(DELAY_BEFORE_RETRY * 1000 + SLACK_MS + 500)
    // failures: only requests in flight on b3 when it was killed (at most one per client loop)
    for (const f of failed) expect(f.at).toBeLessThanOrEqual(killedAt + 50)
    expect(failed.length).toBeLessThanOrEqual(8)
    // connections b3 refused before its removal were retried elsewhere
    expect(backendErrors).toBeGreaterThan(0)
    expect(traffic.samples.filter((s) => s.at > killedAt + 50 && s.at < removedAt).every((s) => s.ok)).toBe(true)
    // after the restart b3 serves again, and requests after re-adding all succeed
    const afterReadd = traffic.samples.filter((s) => s.at > restartedAt + (readdedAfter ?? 0) + 100)
    expect(afterReadd.length).toBeGreaterThan(10)
    expect(afterReadd.every((s) => s.ok)).toBe(true)
    expect(afterReadd.some((s) => s.body === 'b3')).toBe(true)
    expect(existsSync(join(sc.dir, 'b3-down'))).toBe(true)
    expect(existsSync(join(sc.dir, 'b3-up'))).toBe(true)
    expect(st.realServers.find((r) => r.ip === '127.0.0.3')!.checkers[0]).toMatchObject({type: 'HTTP_GET', up: true})
  })

  it('answers from the sorry server when every real server is down', async () => {
    const traffic = load(4)
    await sleep(300)
    await Promise.all(backends.map((b) => b.kill()))
    const sorryAfter = await waitFor(async () => (await ipvs!.status()).virtualServers[0].sorryServerActive, BOUND_MS + 3000, 20)
    const sorryAt = Date.now()
    await sleep(1500)
    await traffic.stop()
    const after = traffic.samples.filter((s) => s.at > sorryAt + 50)
    const failed = traffic.samples.filter((s) => !s.ok)
    console.log('all backends killed:', JSON.stringify({sorryAfterMs: sorryAfter, failed: failed.length, answeredBySorry: traffic.samples.filter((s) => s.body === 'sorry').length}))
    expect(sorryAfter).toBeDefined()
    // before quorum is lost, connections the dead servers refuse go to the sorry server: only in-flight requests fail
    expect(failed.length).toBeLessThanOrEqual(4)
    expect(after.length).toBeGreaterThan(10)
    expect(after.every((s) => s.ok && s.body === 'sorry')).toBe(true)
    expect(existsSync(join(sc.dir, 'quorum-down'))).toBe(true)
    expect(await ipvs!.table()).toMatch(new RegExp(`-> 127\\.0\\.0\\.5:${base} +Masq +1 `))
  })
})
