/**
 * The same three nginx backends behind HAProxy (tcp mode, Debian's) and behind
 * the userspace IPVS proxy (bench/ipvs-serve.ts), one after the other in one
 * run; wrk with keep-alive and with a new connection per request.
 * Prints requests/s, p50/p99 latency, proxy CPU and peak RSS side by side.
 *
 *   npx tsx bench/ipvs-bench.ts [--duration 10] [--connections 50] [--threads 1] [--rounds 3]
 *                               [--pinning pinned,unpinned] [--haproxy-threads 1] [--relays handles,sockets]
 *
 * Each mode runs `rounds` times, HAProxy and halctl alternating, and the
 * median round is reported (the machine may be shared: the load average is
 * printed with the figures). `--relays handles,sockets` runs the userspace
 * proxy twice, once per TCP relay (libuv handles, the default, and
 * net.Socket), as two rows of the same run.
 * Loopback only (127.0.0.2-4 backends, 127.0.0.30-32 front ends). HAProxy runs
 * with one thread (the userspace proxy is one Node process). `--pinning` runs
 * every mode under each placement in turn, in the same run:
 *   pinned    (2+ CPUs) wrk and nginx on CPU 0, the proxy under test on CPU 1
 *   unpinned  nothing pinned, as users run it: every process may use every CPU
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {cpus} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {nginxBackend, scratch, sleep, startIpvs} from '../test/lab/ipvs/harness.js'

const {values} = parseArgs({
  options: {
    duration: {type: 'string', default: '10'},
    connections: {type: 'string', default: '50'},
    threads: {type: 'string', default: '1'},
    'haproxy-threads': {type: 'string', default: '1'},
    rounds: {type: 'string', default: '3'},
    pinning: {type: 'string', default: 'pinned,unpinned'},
    relays: {type: 'string', default: 'handles'},
  },
})
const ROUNDS = Math.max(1, Number(values.rounds))
const DURATION = Number(values.duration)
const CONNS = Number(values.connections)
const base = 41000 + Math.floor(Math.random() * 500) * 10
const BACKENDS = ['127.0.0.2', '127.0.0.3', '127.0.0.4']
const HAPROXY = {address: '127.0.0.30', port: base + 1}
const RELAYS = values.relays.split(',').filter((r): r is 'handles' | 'sockets' => r === 'handles' || r === 'sockets')
if (RELAYS.length === 0) throw new Error('--relays: handles, sockets or both')
/** one front end per relay: 127.0.0.31, .32 */
const HALCTL = RELAYS.map((relay, i) => ({relay, name: RELAYS.length > 1 ? `halctl/${relay}` : 'halctl', address: `127.0.0.${31 + i}`, port: base + 2 + i}))
const twoCpus = cpus().length >= 2
const PLACEMENTS = values.pinning.split(',').filter((p): p is 'pinned' | 'unpinned' => (p === 'pinned' && twoCpus) || p === 'unpinned')
if (PLACEMENTS.length === 0) throw new Error('--pinning: pinned (needs 2 CPUs), unpinned or both')
const ALL_CPUS = `0-${cpus().length - 1}`
/** the placement being measured */
let pinned = false
const pin = (cpu: number, cmd: string[]): string[] => (pinned ? ['taskset', '-c', String(cpu), ...cmd] : cmd)

interface WrkResult {
  rps: number
  p50ms: number
  p99ms: number
  errors: number
  requests: number
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim())
  if (!m) return NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000
}

function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const errors = (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + non2xx
  return {rps, p50ms: toMs(p50), p99ms: toMs(p99), errors, requests}
}

function wrk(target: {address: string; port: number}, close: boolean): WrkResult {
  const args = ['-t', String(values.threads), '-c', String(CONNS), '-d', `${DURATION}s`, '--latency']
  if (close) args.push('-H', 'Connection: close')
  const cmd = pin(0, ['wrk', ...args, `http://${target.address}:${target.port}/`])
  const out = execFileSync(cmd[0], cmd.slice(1), {encoding: 'utf8', maxBuffer: 1 << 24})
  return parseWrk(out)
}

const CLK_TCK = 100
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

interface Row extends WrkResult {
  cpuPct: number
}

function measure(pid: number, target: {address: string; port: number}, close: boolean): Row {
  const c0 = cpuSeconds(pid)
  const t0 = process.hrtime.bigint()
  const r = wrk(target, close)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  return {...r, cpuPct: (100 * (cpuSeconds(pid) - c0)) / wall}
}

const sc = scratch('hip-ipvs-bench-')
const backends = BACKENDS.map((ip) => nginxBackend(sc.dir, `b${ip.split('.')[3]}`, ip, base, {workers: 1}))
let haproxy: ChildProcess | undefined
const halctl: Awaited<ReturnType<typeof startIpvs>>[] = []
const results: Record<string, Record<string, Row>> = {}
const placementNote: string[] = []
let loadBefore = ''
let loadAfter = ''

/** the round with the median requests/s */
function median(rows: Row[]): Row {
  return [...rows].sort((a, b) => a.rps - b.rps)[Math.floor(rows.length / 2)]
}
try {
  await Promise.all(backends.map((b) => b.start()))

  // HAProxy, tcp mode, round robin, TCP checks every second
  const hcfg = join(sc.dir, 'haproxy.cfg')
  writeFileSync(
    hcfg,
    `global
    nbthread ${values['haproxy-threads']}
    maxconn 8000
defaults
    mode tcp
    timeout connect 3s
    timeout client 30s
    timeout server 30s
listen bench
    bind ${HAPROXY.address}:${HAPROXY.port}
    balance roundrobin
${BACKENDS.map((ip, i) => `    server b${i} ${ip}:${base} check inter 1s`).join('\n')}
`,
  )
  haproxy = spawn('/usr/sbin/haproxy', ['-db', '-f', hcfg], {stdio: ['ignore', 'ignore', 'inherit']})
  // userspace IPVS: the same backends, rr, TCP_CHECK every second
  for (const [i, h] of HALCTL.entries()) {
    const kcfg = join(sc.dir, `keepalived-${h.relay}.conf`)
    writeFileSync(
      kcfg,
      `virtual_server ${h.address} ${h.port} {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${BACKENDS.map((ip) => `    real_server ${ip} ${base} {\n        TCP_CHECK {\n            connect_timeout 1\n            warmup 0\n        }\n    }`).join('\n')}
}
`,
    )
    const proc = await startIpvs(kcfg, base + 7 + i, {relay: h.relay})
    halctl.push(proc)
  }
  await sleep(1500)

  loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  for (const placement of PLACEMENTS) {
  pinned = placement === 'pinned'
  // nginx on CPU 0 and the proxies on CPU 1, or every process back on every CPU
  const nginxPids = backends.map((b) => readFileSync(join(sc.dir, `nginx-${b.name}`, 'nginx.pid'), 'utf8').trim())
  for (const pid of nginxPids) pinTree(pid, pinned ? '0' : ALL_CPUS)
  for (const pid of [String(haproxy.pid), ...halctl.map((h) => String(h.pid))]) pinTree(pid, pinned ? '1' : ALL_CPUS)
  placementNote.push(pinned ? 'pinned: wrk + nginx on CPU 0, proxy under test on CPU 1' : 'unpinned: nothing pinned (as users run it)')
  for (const [mode0, close] of [['keep-alive', false], ['new connection', true]] as const) {
    const mode = `${placement} ${mode0}`
    const runs: Record<string, Row[]> = {haproxy: []}
    for (const h of HALCTL) runs[h.name] = []
    for (let r = 0; r < ROUNDS; r++) {
      runs.haproxy.push(measure(haproxy.pid!, HAPROXY, close))
      await sleep(1000)
      for (const [i, h] of HALCTL.entries()) {
        runs[h.name].push(measure(halctl[i].pid, h, close))
        await sleep(1000)
      }
    }
    results[mode] = Object.fromEntries(Object.entries(runs).map(([name, rows]) => [name, median(rows)]))
  }
  }
  loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const rss: Record<string, number> = {haproxy: peakRssMb(haproxy.pid!)}
  for (const [i, h] of HALCTL.entries()) rss[h.name] = peakRssMb(halctl[i].pid)
  report(rss)
} finally {
  await Promise.all(halctl.map((h) => h.stop()))
  if (haproxy && haproxy.exitCode === null) haproxy.kill('SIGTERM')
  await Promise.all(backends.map((b) => b.stop()))
  sc.cleanup()
}

function pinTree(pid: string, cpus: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, pid], {stdio: 'ignore'})
    for (const kid of execFileSync('pgrep', ['-P', pid], {encoding: 'utf8'}).trim().split('\n').filter(Boolean)) pinTree(kid, cpus)
  } catch {
    // no children
  }
}

function report(rss: Record<string, number>): void {
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-')
  const lines: string[] = []
  lines.push(`userspace IPVS vs HAProxy (tcp mode) — wrk -t${values.threads} -c${CONNS} -d${DURATION}s, 3 nginx backends, loopback; median of ${ROUNDS} alternating rounds`)
  lines.push(`load average before ${loadBefore}, after ${loadAfter} (${cpus().length} CPUs)`)
  lines.push(`${placementNote.join('; ')}; HAProxy nbthread ${values['haproxy-threads']}`)
  lines.push('')
  lines.push(`${'placement, mode'.padEnd(28)}${'proxy'.padEnd(16)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'CPU %'.padStart(8)}${'CPU us/req'.padStart(12)}`)
  for (const [mode, rows] of Object.entries(results)) {
    for (const [name, r] of Object.entries(rows)) {
      const usPerReq = (r.cpuPct / 100 / r.rps) * 1e6
      lines.push(
        `${mode.padEnd(28)}${name.padEnd(16)}${f(r.rps).padStart(10)}${f(r.p50ms, 2).padStart(9)}${f(r.p99ms, 2).padStart(9)}${String(r.errors).padStart(8)}${f(r.cpuPct).padStart(8)}${f(usPerReq, 1).padStart(12)}`,
      )
    }
    for (const h of HALCTL) {
      const ratio = rows[h.name].rps / rows.haproxy.rps
      const p99x = rows[h.name].p99ms / rows.haproxy.p99ms
      lines.push(
        `${''.padEnd(28)}${h.name}/haproxy: req/s ${f(ratio, 2)}x (target >= 0.8: ${ratio >= 0.8 ? 'met' : 'NOT met'}), p99 ${f(p99x, 2)}x (target <= 2: ${p99x <= 2 ? 'met' : 'NOT met'})`,
      )
    }
  }
  lines.push('')
  lines.push(`peak RSS: ${Object.entries(rss).map(([name, mb]) => `${name} ${f(mb, 1)} MiB`).join(', ')}`)
  process.stdout.write(lines.join('\n') + '\n')
}
