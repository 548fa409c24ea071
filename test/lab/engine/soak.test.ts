/**
 * Three engines alone (no keepalived), VRRPv3 at 100 ms, 25 rounds (HEN_SOAK_ROUNDS) of random
 * crashes (SIGKILL, the host's VIP flushed as if it died), clean stops and
 * restarts. A poller watches who holds the VIP among the live hosts: never two
 * holders for longer than Master_Down_Interval, never none for longer than
 * Master_Down_Interval + 0.2 s. Bounded in rounds and time.
 */
import {execa} from 'execa'
import {expect, it} from 'vitest'
import {masterDownMs} from '../../../src/vrrp/timers.js'
import {EngineLab, sleep, type Proc, useEngineLab, vrrpConf} from './lab.js'

const VIP = '10.203.0.100'
const ADV = 0.1
const NAMES = ['a', 'b', 'c']
const PRIO: Record<string, number> = {a: 100, b: 110, c: 120}
/** 25 rounds take about a minute; HEN_SOAK_ROUNDS=200 (and HEN_SOAK_SEED) for a longer soak */
const ROUNDS = Number(process.env.HEN_SOAK_ROUNDS ?? 25)
let lab: EngineLab

useEngineLab(NAMES, (l) => (lab = l))

/** deterministic pseudo-random, so a failing run can be replayed */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

it(`three engines survive ${ROUNDS} rounds of random kills and restarts`, {timeout: 660_000}, async () => {
  const conf = (n: string) => vrrpConf({priority: PRIO[n], version: 3, advertInt: ADV})
  const live = new Map<string, Proc>()
  await Promise.all(NAMES.map(async (n) => live.set(n, await lab.startEngine(n, conf(n)))))
  // worst Master_Down_Interval of the three (the lowest priority has the largest skew)
  const mdi = masterDownMs(3, Math.min(...Object.values(PRIO)), ADV * 1000)
  const samples: Array<{t: number; holders: string[]}> = []
  let watching = true
  const watcher = (async () => {
    while (watching) {
      const h = (await lab.holders(VIP)).filter((n) => live.has(n))
      samples.push({t: performance.now(), holders: h})
      await sleep(5)
    }
  })()
  const seed = Number(process.env.HEN_SOAK_SEED ?? 20_203)
  const rand = rng(seed)
  const started = performance.now()
  const log: string[] = []
  try {
    await sleep(2000)
    for (let round = 0; round < ROUNDS && performance.now() - started < 600_000; round++) {
      const dead = NAMES.filter((n) => !live.has(n))
      const doRestart = dead.length > 0 && (live.size === 1 || rand() < 0.5)
      if (doRestart) {
        const n = dead[Math.floor(rand() * dead.length)]
        live.set(n, await lab.startEngine(n, conf(n)))
        log.push(`${round}: restart ${n}`)
      } else {
        const names = [...live.keys()]
        const n = names[Math.floor(rand() * names.length)]
        const p = live.get(n)!
        if (rand() < 0.5) {
          live.delete(n)
          await lab.kill(p)
          // the host died with it: its addresses go too
          await execa('ip', ['-n', lab.host(n).netns, 'addr', 'flush', 'dev', 'eth0', 'to', '10.203.0.96/28'], {reject: false})
          log.push(`${round}: crash ${n}`)
        } else {
          await lab.stop(p)
          live.delete(n)
          log.push(`${round}: stop ${n}`)
        }
      }
      await sleep(300 + rand() * 1200)
    }
    await sleep(1500)
  } finally {
    watching = false
    await watcher
  }
  // longest runs of "two or more holders" and "no holder"
  let worstDual = 0
  let worstNone = 0
  let runStart: number | undefined
  let runKind: 'dual' | 'none' | undefined
  for (const s of samples) {
    const kind = s.holders.length >= 2 ? 'dual' : s.holders.length === 0 ? 'none' : undefined
    if (kind !== runKind) {
      runStart = kind ? s.t : undefined
      runKind = kind
    }
    if (runKind && runStart !== undefined) {
      if (runKind === 'dual') worstDual = Math.max(worstDual, s.t - runStart)
      else worstNone = Math.max(worstNone, s.t - runStart)
    }
  }
  const gaps = samples.slice(1).map((s, i) => s.t - samples[i].t)
  const poll = gaps.sort((x, y) => x - y)[Math.floor(gaps.length / 2)]
  console.log(
    `soak seed ${seed}: ${log.length} rounds in ${((performance.now() - started) / 1000).toFixed(1)} s, ${samples.length} samples (median poll ${poll.toFixed(1)} ms); ` +
      `Master_Down_Interval ${mdi} ms; longest dual master ${worstDual.toFixed(0)} ms, longest no master ${worstNone.toFixed(0)} ms`,
  )
  expect(log.length).toBe(ROUNDS)
  expect(worstDual).toBeLessThanOrEqual(mdi)
  expect(worstNone).toBeLessThanOrEqual(mdi + 200)
})
