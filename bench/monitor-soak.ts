/**
 * Accelerated soak of `halctl monitor`'s memory bound: a day (HOURS, default 24) of VRRP adverts
 * every 50 ms on 20 VRIDs, fed synthetically, as fast as the CPU goes, through the same path a
 * capture source takes (FrameCache -> SniffTracker with the monitor's cap on findings that are
 * over -> MonitorModel.view every 200 ms of capture time, as runSniff's onUpdate does) into the
 * model, with the alerts going through the metrics, a /metrics rendering and a page state every
 * simulated minute. Each VRID has two routers; every hour the master resigns and the backup takes
 * over (findings, alerts, timeline entries, a takeover in the histogram), and every 6 hours a
 * 10 s split brain. Each router counts its IPv4 ID up per advert, with a fresh header checksum:
 * no two frames are byte-identical, as on a wire.
 *
 *   node --expose-gc --import tsx bench/monitor-soak.ts [HOURS=24] [LIMIT_MIB=64]
 *
 * Prints the heap after GC every simulated hour (stderr), then JSON: adverts fed, wall seconds,
 * heap used after GC at 1 h and at the end (MiB), the growth between them, and the peak; exits 1
 * when the heap after GC goes above LIMIT_MIB. Some growth is expected until the per-VRID
 * timeline rings (512 entries each) are full: a day with a failover per hour fills about a fifth.
 */
import {FrameCache} from '../src/capture/frame-cache.js'
import {buildVrrpFrame} from '../src/capture/frame.js'
import {LinkType} from '../src/capture/link-types.js'
import {MonitorMetrics} from '../src/monitor/metrics.js'
import {MonitorModel} from '../src/monitor/model.js'
import {SniffTracker} from '../src/sniff/tracker.js'
import {internetChecksum} from '../src/vrrp/checksum.js'
import {makeAdvertisement} from '../src/vrrp/codec.js'

const HOURS = Number(process.argv[2] ?? 24)
const LIMIT_MIB = Number(process.argv[3] ?? 64)
const VRIDS = 20
const IVL_MS = 50
const SOURCE = 'soak0'
const gc = (globalThis as {gc?: () => void}).gc
if (!gc) {
  console.error('run with node --expose-gc')
  process.exit(2)
}

interface Router {
  frame: Buffer
  resign: Buffer
  id: number
}
const routers: Router[][] = []
for (let v = 1; v <= VRIDS; v++) {
  const mk = (host: number, priority: number) =>
    buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: v, priority, intervalCs: IVL_MS / 10, addresses: [`10.99.${v}.100`]}), src: `10.99.0.${host}`, srcMac: `02:00:00:00:${v.toString(16).padStart(2, '0')}:${host.toString(16).padStart(2, '0')}`})
  routers.push([
    {frame: mk(v * 2, 150), resign: mk(v * 2, 0), id: 0},
    {frame: mk(v * 2 + 1, 100), resign: mk(v * 2 + 1, 0), id: 0},
  ])
}
/** the next IPv4 ID of the router in its frame, with the header checksum redone */
function next(r: Router, f: Buffer): Buffer {
  r.id = (r.id + 1) & 0xffff
  f.writeUInt16BE(r.id, 18)
  f.writeUInt16BE(0, 24)
  f.writeUInt16BE(internetChecksum(f, 14, 20), 24)
  return f
}

const T0 = Date.UTC(2026, 0, 1)
const model = new MonitorModel()
let now = T0
const metrics = new MonitorMetrics(model, () => now)
const cache = new FrameCache()
const tracker = new SniffTracker({maxDoneFindings: 200, onFinding: (e, f) => model.finding(SOURCE, e, f, now).forEach((a) => metrics.observe(a))})
model.sourceUp(SOURCE, T0)

const heap = () => {
  gc!()
  return process.memoryUsage().heapUsed / 2 ** 20
}
const started = process.hrtime.bigint()
let adverts = 0
let n = 0
let peak = 0
let atHour1 = 0
let renders = 0
const end = HOURS * 3_600_000
const master = new Array<number>(VRIDS).fill(0)
for (let t = 0; t < end; t += IVL_MS) {
  now = T0 + t
  const hourPhase = t % 3_600_000
  const split = t % 21_600_000 >= 1_800_000 && t % 21_600_000 < 1_810_000
  for (let v = 0; v < VRIDS; v++) {
    // the master resigns at the top of every hour; the backup takes over Skew_Time later (~30 ms)
    if (hourPhase === 0 && t > 0) {
      const old = routers[v][master[v]]
      tracker.observe(++n, now, SOURCE, cache.parse(next(old, old.resign), LinkType.ETHERNET))
      master[v] = 1 - master[v]
      adverts++
      continue
    }
    const r = routers[v][master[v]]
    tracker.observe(++n, now, SOURCE, cache.parse(next(r, r.frame), LinkType.ETHERNET))
    adverts++
    if (split) {
      const o = routers[v][1 - master[v]]
      tracker.observe(++n, now, SOURCE, cache.parse(next(o, o.frame), LinkType.ETHERNET))
      adverts++
    }
  }
  if (t % 200 === 0) {
    tracker.tick(now)
    model.view(SOURCE, tracker.vrids(), tracker.findings(), now)
  }
  if (t % 60_000 === 0) {
    await metrics.render()
    JSON.stringify(model.state(now))
    renders++
  }
  if (t % 3_600_000 === 0 && t > 0) {
    const h = heap()
    if (t === 3_600_000) atHour1 = h
    peak = Math.max(peak, h)
    process.stderr.write(`hour ${t / 3_600_000}: heap after GC ${h.toFixed(1)} MiB, ${adverts} adverts, ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s\n`)
  }
}
const final = heap()
peak = Math.max(peak, final)
const wall = Number(process.hrtime.bigint() - started) / 1e9
const growth = atHour1 ? final - atHour1 : 0
const report = {
  simulatedHours: HOURS,
  vrids: VRIDS,
  advertIntervalMs: IVL_MS,
  adverts,
  metricsRenders: renders,
  wallSeconds: Math.round(wall * 10) / 10,
  advertsPerSecond: Math.round(adverts / wall),
  heapAfterGcMiB: {atHour1: Math.round(atHour1 * 10) / 10, end: Math.round(final * 10) / 10, peak: Math.round(peak * 10) / 10, growthAfterHour1: Math.round(growth * 10) / 10},
  limitMiB: LIMIT_MIB,
  findingsKept: tracker.findings().length,
  firing: model.firing().length,
  timelineEntries: model.state(now).vrids.reduce((s, v) => s + v.timeline.length, 0),
}
console.log(JSON.stringify(report, null, 2))
const ok = peak <= LIMIT_MIB
if (!ok) {
  console.error(`monitor soak: heap after GC ${peak.toFixed(1)} MiB, over the limit of ${LIMIT_MIB} MiB`)
  process.exit(1)
}
