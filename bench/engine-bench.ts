/**
 * halctl run vs keepalived, same lab, same settings (VRRPv3, advert_int 0.1 s):
 *  - takeover time of the backup when the keepalived master crashes (SIGKILL)
 *    and when it stops cleanly (SIGTERM, priority 0), 20 rounds each, medians
 *    side by side;
 *  - RSS of `halctl run` with 1 and 50 instances, beside keepalived's (parent +
 *    VRRP child) for the same config.
 * The RSS is taken both from src through tsx and from a plain-JS build (tsc into a
 * scratch directory, so dist/ is left alone), which is what an installed halctl runs.
 * Run as root: npx tsx bench/engine-bench.ts [rounds]
 */
import {mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {EngineLab, sleep, vrrpConf, type Proc} from '../test/lab/engine/lab.js'
import {masterDownMs, skewMs} from '../src/vrrp/timers.js'

const ROUNDS = Number(process.argv[2] ?? 20)
const VIP = '10.203.0.100'
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
            await execa('ip', ['-n', lab.host('m').netns, 'addr', 'flush', 'dev', 'eth0', 'to', '10.203.0.96/28'], {reject: false})
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
      `    10.203.0.${149 + i}/32`,
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

const lab = await EngineLab.create(['m', 'b'])
try {
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
