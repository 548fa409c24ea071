/**
 * Hostile and malformed packets against the engine (MASTER, priority 150) with
 * a real keepalived as its backup: fuzzed VRRP with valid checksums, priority
 * 255 with a wrong TTL, priority 255 for another VRID, and a 10k packets/s
 * flood. The engine must not crash, must keep the VIP (and keepalived must not
 * take it), must count the drops, and its CPU use is reported.
 */
import {readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineLab, sleep, vrrpConf, type Proc} from './lab.js'

const VIP = '10.203.0.100'
const sender = join(dirname(fileURLToPath(import.meta.url)), 'hostile-sender.ts')
let lab: EngineLab
let engine: Proc

beforeAll(async () => {
  lab = await EngineLab.create(['e', 'k', 'x'])
  engine = await lab.startEngine('e', vrrpConf({priority: 150}))
  expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
  await lab.startKeepalived('k', vrrpConf({priority: 100}))
  await sleep(1000)
})
afterAll(async () => {
  await lab?.destroy()
})

async function send(mode: string, count: number, rate: number): Promise<{sent: number; seconds: number}> {
  const env = {...process.env}
  delete env.VITEST
  const r = await execa('ip', ['netns', 'exec', lab.host('x').netns, process.execPath, '--import', 'tsx', sender, mode, String(count), String(rate), lab.host('x').ipv4, VIP], {
    env,
    timeout: 120_000,
  })
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {sent: number; seconds: number}
}

/** utime+stime of a process in clock ticks */
async function cpuTicks(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return Number(f[11]) + Number(f[12])
}

async function expectUnmoved(): Promise<void> {
  expect(engine.child.exitCode).toBeNull()
  expect(await lab.holders(VIP)).toEqual(['e'])
  const st = (await lab.status(engine)).instances[0]
  expect(st.state).toBe('MASTER')
  expect(st.counters.becameMaster).toBe(1)
}

describe('hostile packets', () => {
  it('fuzzed VRRP with valid checksums: dropped and counted, nothing moves', async () => {
    await send('fuzz', 5000, 2000)
    await sleep(500)
    await expectUnmoved()
    const st = await lab.status(engine)
    const sum = (o: Record<string, number | undefined>) => Object.values(o).reduce((a: number, b) => a + (b ?? 0), 0)
    const total = sum(st.unmatchedBadPackets) + sum(st.instances[0].counters.badPackets)
    expect(total).toBeGreaterThan(1000)
    console.log(`fuzz drops: unmatched ${JSON.stringify(st.unmatchedBadPackets)}, VI_1 ${JSON.stringify(st.instances[0].counters.badPackets)}`)
  })

  it('priority 255 with TTL 64, and priority 255 for another VRID: ignored and counted', async () => {
    await send('ttl', 200, 1000)
    await send('vrid', 200, 1000)
    await sleep(500)
    await expectUnmoved()
    const st = await lab.status(engine)
    expect(st.instances[0].counters.badPackets['bad-ttl']).toBeGreaterThanOrEqual(200)
    expect(st.unmatchedBadPackets['unknown-vrid']).toBeGreaterThanOrEqual(200)
  })

  // the sender's own rate is checked too (a slower flood would prove less); on a busy 2-core
  // machine it has fallen short once (3k pps, the engine idle at 5 % CPU): one retry for that
  it('a 10k packets/s flood for 5 s: no crash, no move, CPU bounded and reported', {retry: 1}, async () => {
    const pid = engine.child.pid!
    const hz = Number((await execa('getconf', ['CLK_TCK'])).stdout.trim()) || 100
    const before = await cpuTicks(pid)
    const t0 = performance.now()
    const r = await send('flood', 50_000, 10_000)
    const wall = (performance.now() - t0) / 1000
    const cpu = (await cpuTicks(pid)) - before
    const pct = (cpu / hz / wall) * 100
    console.log(`flood: ${r.sent} packets in ${r.seconds.toFixed(2)} s (${Math.round(r.sent / r.seconds)} pps); engine CPU ${pct.toFixed(1)}% of one core over ${wall.toFixed(1)} s`)
    expect(r.sent / r.seconds).toBeGreaterThan(9000)
    await sleep(1000)
    await expectUnmoved()
    expect(pct).toBeLessThan(100)
    // and it still answers as a peer: keepalived saw no master loss
    const st = (await lab.status(engine)).instances[0]
    expect(st.counters.advertsSent).toBeGreaterThan(5)
  })
})
