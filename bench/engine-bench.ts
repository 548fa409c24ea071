/**
 * halctl run vs keepalived, same lab, same settings (VRRPv3, advert_int 0.1 s):
 *  - takeover time of the backup when the keepalived master crashes (SIGKILL)
 *    and when it stops cleanly (SIGTERM, priority 0), 20 rounds each, medians
 *    side by side;
 *  - RSS of `halctl run` with 1 and 50 instances, beside keepalived's (parent +
 *    VRRP child) for the same config.
 * The RSS is taken both from src through tsx and from a plain-JS build (tsc into a
 * scratch directory, so dist/ is left alone), which is what an installed halctl runs.
 * `cost` instead of a round count: the daemon's cost beside keepalived's, for the
 * built CLI (bin/run.js; run `npm run build` first), which is what an installed halctl runs:
 *  - start to first advert with priority 255 (state MASTER), seen by tcpdump on the peer;
 *  - idle CPU of one MASTER instance (advert_int 1) over 20 s;
 *  - RSS with 1 and 50 instances;
 *  - advert gaps (p50/p99/max) of a MASTER at 50 ms adverts for 60 s with both cores
 *    busy, and takeovers by the keepalived backup in that time (each spurious).
 *  The jitter run is left out with BENCH_JITTER_SECS=0.
 * Every daemon runs with the environment a service manager gives it: no NODE_EXTRA_CA_CERTS
 * (a shell's setting that makes every node start read a certificate file first: about
 * 0.1-0.2 s and 2 MiB here). Beside the figures, a bare `node -e 0` start for scale.
 * Lab prefix and /24: BENCH_LAB_PREFIX (default hen) and BENCH_LAB_NET (default 10.203.0).
 * Run as root: npx tsx bench/engine-bench.ts [rounds|cost]
 */
import {mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {EngineLab, sleep, vrrpConf, type Proc} from '../test/lab/engine/lab.js'
import {masterDownMs, skewMs} from '../src/vrrp/timers.js'

delete process.env.NODE_EXTRA_CA_CERTS
const COST = process.argv[2] === 'cost'
const ROUNDS = COST ? 0 : Number(process.argv[2] ?? 20)
const PREFIX = process.env.BENCH_LAB_PREFIX ?? 'hen'
const NET = process.env.BENCH_LAB_NET ?? '10.203.0'
const VIP = `${NET}.100`
const ADV = 0.1
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function takeovers(lab: EngineLab, backup: 'engine' | 'keepalived', how: 'crash' | 'stop'): Promise<number[]> {
  const b = backup === 'engine' ? await lab.startEngine('b', vrrpConf({priority: 100, version: 3, advertInt: ADV})) : await lab.startKeepalived('b', vrrpConf({priority: 100, version: 3, advertInt: ADV}))
  const out: number[] = []
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const m = await lab.startKeepalived('m', vrrpConf({priority: 150, version: 3, advertInt: ADV}))
      if ((await lab.waitHolder(VIP, 'm', 10_000)) < 0) throw new Error('master did not take the VIP')
      await sleep(500)
      const t0 = performance.now()
      const [took] = await Promise.all([
        lab.waitHeldBy(VIP, 'b', 5000, t0),
        (async () => {
          if (how === 'crash') {
            await lab.kill(m)
            await execa('ip', ['-n', lab.host('m').netns, 'addr', 'flush', 'dev', 'eth0', 'to', `${NET}.96/28`], {reject: false})
          } else await lab.stop(m)
        })(),
      ])
      out.push(took)
    }
  } finally {
    await lab.killAll()
  }
  void b
  return out
}

async function rssKb(pids: number[]): Promise<number> {
  let total = 0
  for (const pid of pids) {
    const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    total += Number(s.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0)
  }
  return total
}

function manyInstances(n: number): string {
  const parts = ['global_defs {', '  router_id hen', '  vrrp_garp_master_delay 0', '}']
  for (let i = 1; i <= n; i++) {
    parts.push(
      `vrrp_instance VI_${i} {`,
      '  state BACKUP',
      '  interface eth0',
      `  virtual_router_id ${i}`,
      '  priority 100',
      '  advert_int 1',
      '  virtual_ipaddress {',
      `    ${NET}.${149 + i}/32`,
      '  }',
      '}',
    )
  }
  return parts.join('\n') + '\n'
}

/** Compile src/ to plain JS in a scratch dir (its own package.json, node_modules linked); returns the entry. */
async function buildScratch(): Promise<string> {
  const root = join(import.meta.dirname, '..')
  const out = '/tmp/hen-engine-build'
  await rm(out, {recursive: true, force: true})
  await mkdir(out, {recursive: true})
  await writeFile(join(out, 'package.json'), await readFile(join(root, 'package.json')))
  await symlink(join(root, 'node_modules'), join(out, 'node_modules'))
  // other in-progress files may not typecheck; tsc still emits
  await execa(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json'), '--outDir', join(out, 'dist'), '--incremental', 'false'], {reject: false})
  const entry = join(out, 'run.js')
  await writeFile(entry, `import Run from './dist/commands/run.js'\nawait Run.run(process.argv.slice(2), {root: ${JSON.stringify(root)}})\n`)
  return entry
}

async function rss(lab: EngineLab, n: number, entry: string): Promise<{engine: number; compiled: number; keepalived: number}> {
  const conf = manyInstances(n)
  if (COST) {
    // the built CLI only (bin/run.js, as installed)
    const c = await lab.startEngine('m', conf)
    await sleep(6000)
    const compiled = await rssKb([c.child.pid!])
    await lab.killAll()
    const k = await lab.startKeepalived('b', conf)
    await sleep(6000)
    const vrrpPid = Number((await readFile((k as Proc).vrrpPidFile!, 'utf8')).trim())
    const keepalived = await rssKb([k.child.pid!, vrrpPid])
    await lab.killAll()
    return {engine: Number.NaN, compiled, keepalived}
  }
  const e = await lab.startEngine('m', conf)
  await sleep(6000)
  const engine = await rssKb([e.child.pid!])
  await lab.killAll()
  const c = await lab.startEngine('m', conf, [], {entry})
  await sleep(6000)
  const compiled = await rssKb([c.child.pid!])
  const k = await lab.startKeepalived('b', conf)
  await sleep(6000)
  const vrrpPid = Number((await readFile((k as Proc).vrrpPidFile!, 'utf8')).trim())
  const keepalived = await rssKb([k.child.pid!, vrrpPid])
  await lab.killAll()
  return {engine, compiled, keepalived}
}

const lab = await EngineLab.create(['m', 'b'], {prefix: PREFIX, net: NET})
try {
  if (COST) {
    await costFigures(lab)
    const r1 = await rss(lab, 1, '')
    const r50 = await rss(lab, 50, '')
    const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`
    console.log('\nRSS after 6 s (every instance MASTER)  halctl run (bin/run.js)   keepalived (parent + VRRP child)')
    for (const [label, r] of [['1 instance', r1], ['50 instances', r50]] as const) console.log(`${label.padEnd(39)}${mib(r.compiled).padEnd(26)}${mib(r.keepalived)}`)
    console.log(`load average at the end: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`)
    await lab.destroy()
    process.exit(0)
  }
  const mdi = masterDownMs(3, 100, ADV * 1000)
  const skew = skewMs(3, 100, ADV * 1000)
  const rows: Array<[string, number[], number[]]> = []
  for (const how of ['crash', 'stop'] as const) {
    const e = await takeovers(lab, 'engine', how)
    const k = await takeovers(lab, 'keepalived', how)
    rows.push([how, e, k])
  }
  console.log(`\ntakeover by the backup (priority 100) after the keepalived master (150) goes away; VRRPv3 advert_int ${ADV}s, ${ROUNDS} rounds each`)
  console.log(`Master_Down_Interval ${mdi} ms, Skew_Time ${skew} ms; time from the kill/SIGTERM until the backup holds the VIP (as reported by ip monitor address)`)
  console.log('scenario            halctl run (median / min / max)    keepalived (median / min / max)')
  for (const [how, e, k] of rows) {
    const f = (xs: number[]) => `${median(xs).toFixed(0)} / ${Math.min(...xs).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms`.padEnd(35)
    console.log(`${(how === 'crash' ? 'master crash' : 'master clean stop').padEnd(20)}${f(e)}${f(k)}`)
  }
  const entry = await buildScratch()
  const r1 = await rss(lab, 1, entry)
  const r50 = await rss(lab, 50, entry)
  const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`
  console.log('\nRSS after 6 s (every instance MASTER)  halctl run (built JS)   halctl run (tsx, from src)   keepalived (parent + VRRP child)')
  for (const [label, r] of [['1 instance', r1], ['50 instances', r50]] as const)
    console.log(`${label.padEnd(39)}${mib(r.compiled).padEnd(24)}${mib(r.engine).padEnd(29)}${mib(r.keepalived)}`)
} finally {
  await lab.destroy()
  await rm('/tmp/hen-engine-build', {recursive: true, force: true})
}
process.exit(0)

// ------------------------------------------------------------------ cost (bench/engine-bench.ts cost)

/** CPU seconds (user + system) of the processes so far. */
async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0
  for (const pid of pids) {
    const f = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? []
    ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0)
  }
  return ticks / 100
}

/** keepalived's pids (parent and VRRP child) or the engine's. */
async function pidsOf(p: Proc): Promise<number[]> {
  if (!p.vrrpPidFile) return [p.child.pid!]
  return [p.child.pid!, Number((await readFile(p.vrrpPidFile, 'utf8')).trim())]
}

function ownerConf(advertInt: number, priority = 255): string {
  return vrrpConf({priority, state: 'MASTER', version: 3, advertInt, vrid: 200, vips: [`${NET}.120/24`]})
}

/** tcpdump in `host` until the first VRRP advert from `from`, ready when it says it is listening. */
async function firstAdvert(lab: EngineLab, host: string, from: string): Promise<{ready: Promise<void>; seen: Promise<number>}> {
  const {spawn} = await import('node:child_process')
  const td = spawn('ip', ['netns', 'exec', lab.host(host).netns, 'tcpdump', '-i', 'eth0', '-n', '-l', '--immediate-mode', '-c', '1', `src ${from} and ip proto 112`], {stdio: ['ignore', 'pipe', 'pipe']})
  const ready = new Promise<void>((r) => td.stderr.on('data', (d: Buffer) => d.toString().includes('listening') && r()))
  const seen = new Promise<number>((r) => td.stdout.once('data', () => r(performance.now())))
  setTimeout(() => td.kill(), 20_000).unref()
  return {ready, seen}
}

async function startToAdvert(lab: EngineLab, kind: 'engine' | 'keepalived'): Promise<number> {
  const w = await firstAdvert(lab, 'b', lab.host('m').ipv4)
  await w.ready
  const t0 = performance.now()
  // the engine: started the way a unit would start it, measured from the spawn
  const {spawn} = await import('node:child_process')
  const conf = join(lab.dir, 'owner.conf')
  await writeFile(conf, ownerConf(1))
  const argv =
    kind === 'engine'
      ? [process.execPath, join(import.meta.dirname, '..', 'bin', 'run.js'), 'run', '-f', conf]
      : ['keepalived', '-n', '-l', '-D', '-P', '-f', conf, '-p', join(lab.dir, 'o.pid'), '-r', join(lab.dir, 'ov.pid'), '-i', 'm']
  const child = spawn('ip', ['netns', 'exec', lab.host('m').netns, ...argv], {stdio: 'ignore'})
  const t = (await w.seen) - t0
  child.kill('SIGTERM')
  await new Promise((r) => child.on('exit', r))
  await sleep(300)
  return t
}

async function idleCpu(lab: EngineLab, kind: 'engine' | 'keepalived'): Promise<number> {
  const p = kind === 'engine' ? await lab.startEngine('m', ownerConf(1)) : await lab.startKeepalived('m', ownerConf(1))
  await sleep(5000)
  const pids = await pidsOf(p)
  const c0 = await cpuSeconds(pids)
  const t0 = performance.now()
  await sleep(20_000)
  const pct = ((await cpuSeconds(pids)) - c0) / ((performance.now() - t0) / 1000) * 100
  await lab.killAll()
  return pct
}

/** Advert gaps of a MASTER at 50 ms for `secs` with both cores busy; the keepalived backup's adverts count takeovers. */
async function jitter(lab: EngineLab, kind: 'engine' | 'keepalived', secs: number): Promise<{p50: number; p99: number; max: number; takeovers: number; status?: unknown}> {
  const {spawn} = await import('node:child_process')
  const conf = (priority: number) => vrrpConf({priority, version: 3, advertInt: 0.05, vrid: 201, vips: [`${NET}.121/24`]})
  await lab.startKeepalived('b', conf(100))
  const m = kind === 'engine' ? await lab.startEngine('m', conf(150)) : await lab.startKeepalived('m', conf(150))
  await sleep(3000)
  const burners = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], {stdio: 'ignore'}))
  const td = spawn('ip', ['netns', 'exec', lab.host('b').netns, 'tcpdump', '-i', 'eth0', '-n', '-l', '-tt', '--immediate-mode', 'ip proto 112'], {stdio: ['ignore', 'pipe', 'ignore']})
  let out = ''
  td.stdout.on('data', (d: Buffer) => (out += d.toString()))
  await sleep(secs * 1000)
  const status = kind === 'engine' ? await lab.status(m).catch(() => undefined) : undefined
  td.kill()
  for (const b of burners) b.kill('SIGKILL')
  await lab.killAll()
  const mIp = lab.host('m').ipv4
  const bIp = lab.host('b').ipv4
  const times: number[] = []
  let takeovers = 0
  let bWasSending = false
  for (const line of out.split('\n')) {
    const t = Number(line.split(' ')[0])
    if (line.includes(`IP ${mIp} >`)) {
      times.push(t * 1000)
      bWasSending = false
    } else if (line.includes(`IP ${bIp} >`)) {
      if (!bWasSending) takeovers++
      bWasSending = true
    }
  }
  const gaps = times.slice(1).map((t, i) => t - times[i])
  const s = [...gaps].sort((a, b) => a - b)
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN
  return {p50: at(50), p99: at(99), max: s.at(-1) ?? Number.NaN, takeovers, status}
}

async function costFigures(lab: EngineLab): Promise<void> {
  const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
  console.log(`load average at the start: ${await load()}`)
  const starts: Record<string, number[]> = {engine: [], keepalived: []}
  for (let i = 0; i < 5; i++) for (const k of ['engine', 'keepalived'] as const) starts[k].push(await startToAdvert(lab, k))
  const f = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`
  console.log('\nstart to first advert, priority 255, 5 rounds   halctl run (bin/run.js)          keepalived')
  console.log(`${''.padEnd(48)}${f(starts.engine).padEnd(33)}${f(starts.keepalived)}`)
  const bare: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    await execa('ip', ['netns', 'exec', lab.host('m').netns, process.execPath, '-e', '0'])
    bare.push(performance.now() - t0)
  }
  console.log(`for scale, a bare \`node -e 0\` in the same way, start to exit: ${f(bare)}  (load ${await load()})`)
  const cpuE = await idleCpu(lab, 'engine')
  const cpuK = await idleCpu(lab, 'keepalived')
  console.log(`\nidle CPU, one MASTER instance, advert_int 1, 20 s: halctl run ${cpuE.toFixed(2)}% of a core, keepalived ${cpuK.toFixed(2)}%  (load ${await load()})`)
  const secs = Number(process.env.BENCH_JITTER_SECS ?? 60)
  if (secs <= 0) return
  const je = await jitter(lab, 'engine', secs)
  const jk = await jitter(lab, 'keepalived', secs)
  const g = (j: {p50: number; p99: number; max: number; takeovers: number}) => `${j.p50.toFixed(1)} / ${j.p99.toFixed(1)} / ${j.max.toFixed(1)} ms, ${j.takeovers} takeover(s)`
  console.log(`\nadvert gaps of a MASTER at 50 ms adverts, ${secs} s, both cores busy (p50 / p99 / max, takeovers by the keepalived backup)`)
  console.log(`halctl run  ${g(je)}   (its status: ${JSON.stringify((je.status as {instances?: Array<{advertGaps?: unknown}>} | undefined)?.instances?.[0]?.advertGaps)})`)
  console.log(`keepalived  ${g(jk)}`)
  console.log(`p99 ratio halctl/keepalived: ${(je.p99 / jk.p99).toFixed(2)}  (load ${await load()})`)
}
