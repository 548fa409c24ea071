/**
 * Lab for the engine's tests and benchmark: a bridge `hen-br` (10.203.0.1/24,
 * fd00:203::1/64) and hosts `hen-<name>` on it, each running either `halctl run`
 * (from src, through tsx) or a real keepalived. Everything started here is
 * tracked and killed by destroy(), also when a test fails.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {afterAll, afterEach, beforeAll} from 'vitest'
import {createBridge, createHost, destroyPrefix, type HostInit, type LabHost} from '../../../src/lab/netns.js'
import type {EngineStatus} from '../../../src/engine/status.js'
import {halctlRunNodeArgs} from '../../helpers/halctl-entry.js'

export const PREFIX = 'hen'
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export interface Proc {
  kind: 'engine' | 'keepalived'
  host: string
  child: ChildProcess
  log: () => string
  exited: Promise<number | null>
  /** engine: its status socket */
  socket?: string
  /** keepalived: the VRRP child's pid file */
  vrrpPidFile?: string
}

export interface EngineLabOptions {
  /** lab prefix (default hen) */
  prefix?: string
  /** the /24's first three octets (default 10.203.0); IPv6 is fd00:<third octet>:: */
  net?: string
  /** the hosts' init system (default none) */
  init?: HostInit
}

export class EngineLab {
  readonly hosts = new Map<string, LabHost & {ipv4: string; ipv6: string}>()
  private readonly procs = new Set<Proc>()
  private starts = 0
  dir = ''
  readonly prefix: string
  /** e.g. 10.203.0 */
  readonly net: string
  /** e.g. fd00:203: */
  readonly net6: string

  private constructor(opts: EngineLabOptions) {
    this.prefix = opts.prefix ?? PREFIX
    this.net = opts.net ?? '10.203.0'
    const [, b, c] = this.net.split('.')
    this.net6 = c === '0' ? `fd00:${b}:` : `fd00:${b}:${c}:`
  }

  static async create(names: string[], opts: EngineLabOptions = {}): Promise<EngineLab> {
    const lab = new EngineLab(opts)
    await destroyPrefix(lab.prefix)
    lab.dir = await mkdtemp(join(tmpdir(), `${lab.prefix}-`))
    try {
      await createBridge(lab.prefix, {controlAddresses: [`${lab.net}.1/24`, `${lab.net6}:1/64`]})
      let n = 10
      for (const name of names) {
        const ipv4 = `${lab.net}.${n}`
        const ipv6 = `${lab.net6}:${n}`
        n++
        const h = await createHost({prefix: lab.prefix, name, addresses: [`${ipv4}/24`, `${ipv6}/64`], init: opts.init})
        lab.hosts.set(name, {...h, ipv4, ipv6})
      }
      // IPv6 link-local addresses need a moment (DAD) before anyone can send from them
      for (const h of lab.hosts.values()) await waitFor(async () => (await linkLocal(h.netns)) !== undefined, 5000)
    } catch (e) {
      await lab.destroy()
      throw e
    }
    return lab
  }

  host(name: string) {
    const h = this.hosts.get(name)
    if (!h) throw new Error(`no lab host ${name}`)
    return h
  }

  private track(kind: Proc['kind'], host: string, child: ChildProcess, extra: Partial<Proc> = {}): Proc {
    const chunks: string[] = []
    child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()))
    child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))))
    const p: Proc = {kind, host, child, log: () => chunks.join(''), exited, ...extra}
    this.procs.add(p)
    void exited.then(() => this.procs.delete(p))
    return p
  }

  /**
   * `halctl run -f <conf> --json-status <sock> --json` inside the host; from src through
   * tsx, or `opts.entry`: a compiled entry run by plain node. `opts.detached`: in a process
   * group of its own, for signals to the whole group. `opts.nodeArgs`: node options first.
   */
  async startEngine(host: string, conf: string, args: string[] = [], opts: {entry?: string; detached?: boolean; nodeArgs?: string[]} = {}): Promise<Proc> {
    const h = this.host(host)
    const file = join(this.dir, `${host}-engine.conf`)
    const socket = join(this.dir, `${host}-engine.sock`)
    await writeFile(file, conf)
    const env = {...process.env}
    delete env.VITEST
    delete env.VITEST_WORKER_ID
    delete env.VITEST_POOL_ID
    const launcher = opts.entry ? [opts.entry] : halctlRunNodeArgs()
    const child = spawn('ip', ['netns', 'exec', h.netns, process.execPath, ...(opts.nodeArgs ?? []), ...launcher, '-f', file, '--json-status', socket, '--json', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group (`ip netns exec` execs node, so the group's id is the engine's pid)
      detached: opts.detached ?? false,
    })
    const p = this.track('engine', host, child, {socket})
    await waitFor(async () => (await this.status(p).catch(() => undefined)) !== undefined || child.exitCode !== null, 30_000)
    if (child.exitCode !== null) throw new Error(`engine on ${host} exited: ${p.log()}`)
    return p
  }

  async startKeepalived(host: string, conf: string): Promise<Proc> {
    const h = this.host(host)
    const file = join(this.dir, `${host}-keepalived.conf`)
    await writeFile(file, conf)
    const n = ++this.starts
    const pid = join(this.dir, `${host}-k${n}.pid`)
    const vrrpPidFile = join(this.dir, `${host}-kv${n}.pid`)
    const child = spawn('ip', ['netns', 'exec', h.netns, 'keepalived', '-n', '-P', '-l', '-D', '-f', file, '-p', pid, '-r', vrrpPidFile, '-i', host], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const p = this.track('keepalived', host, child, {vrrpPidFile})
    await waitFor(async () => (await readFile(vrrpPidFile, 'utf8').catch(() => '')).trim() !== '' || child.exitCode !== null, 10_000)
    if (child.exitCode !== null) throw new Error(`keepalived on ${host} exited: ${p.log()}`)
    return p
  }

  /** Crash: SIGKILL (keepalived: the parent first so it cannot respawn its VRRP child, then the child). */
  async kill(p: Proc): Promise<void> {
    const vrrpPid = p.vrrpPidFile ? Number((await readFile(p.vrrpPidFile, 'utf8').catch(() => '')).trim()) : 0
    // keepalived: freeze the parent (no respawn, no parent-death signal), kill the VRRP child, then the parent
    if (vrrpPid > 0) p.child.kill('SIGSTOP')
    if (vrrpPid > 0) {
      try {
        process.kill(vrrpPid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    p.child.kill('SIGKILL')
    await p.exited
  }

  /** Clean stop: SIGTERM and wait for the exit (bounded). */
  async stop(p: Proc, timeoutMs = 15_000): Promise<number | null> {
    p.child.kill('SIGTERM')
    const t = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())
    const r = await Promise.race([p.exited, t])
    if (r === 'timeout') throw new Error(`${p.kind} on ${p.host} did not exit within ${timeoutMs} ms after SIGTERM`)
    return r
  }

  async status(p: Proc): Promise<EngineStatus> {
    return getJson(p.socket!) as Promise<EngineStatus>
  }

  /** Names of the hosts that hold `vip` on eth0 right now. */
  async holders(vip: string): Promise<string[]> {
    const out: string[] = []
    await Promise.all(
      [...this.hosts].map(async ([name, h]) => {
        const r = await execa('ip', ['-n', h.netns, '-br', 'addr', 'show', 'dev', 'eth0'], {reject: false})
        if (r.stdout.split(/\s+/).some((w) => w.split('/')[0] === vip)) out.push(name)
      }),
    )
    return out.sort()
  }

  /** Poll until `vip` is held by exactly `host` (or by nobody when host is undefined); ms waited, or -1 on timeout. */
  async waitHolder(vip: string, host: string | undefined, timeoutMs: number, since = performance.now()): Promise<number> {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      const h = await this.holders(vip)
      if (host === undefined ? h.length === 0 : h.length === 1 && h[0] === host) return performance.now() - since
      await sleep(10)
    }
    return -1
  }

  /**
   * Wait until `host` holds `vip` (others may too, e.g. a crashed master); ms since `since`,
   * or -1 on timeout. Watches `ip monitor address` in the host, so the time is when the
   * kernel reported the address, not when a poll happened to see it.
   */
  async waitHeldBy(vip: string, host: string, timeoutMs: number, since = performance.now()): Promise<number> {
    const mon = spawn('ip', ['-n', this.host(host).netns, 'monitor', 'address'], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const added = new Promise<number>((resolve) => {
        let buf = ''
        mon.stdout.on('data', (d: Buffer) => {
          const at = performance.now()
          buf += d.toString()
          for (const line of buf.split('\n')) if (!line.startsWith('Deleted') && line.includes(` ${vip}/`)) resolve(at - since)
          buf = buf.slice(buf.lastIndexOf('\n') + 1)
        })
      })
      await sleep(30) // the monitor is subscribed
      if ((await this.holders(vip)).includes(host)) return performance.now() - since
      const timeout = new Promise<number>((r) => setTimeout(() => r(-1), timeoutMs).unref())
      return await Promise.race([added, timeout])
    } finally {
      mon.kill('SIGKILL')
    }
  }

  /** Kill every process started here (between tests). */
  async killAll(): Promise<void> {
    for (const p of [...this.procs]) await this.kill(p)
    for (const h of this.hosts.values()) await execa('ip', ['-n', h.netns, 'addr', 'flush', 'dev', 'eth0', 'to', `${this.net}.96/28`], {reject: false})
    for (const h of this.hosts.values()) await execa('ip', ['-n', h.netns, 'addr', 'flush', 'dev', 'eth0', 'to', `${this.net6}:100/120`], {reject: false})
  }

  async destroy(): Promise<void> {
    for (const p of [...this.procs]) {
      p.child.kill('SIGKILL')
      const vrrpPid = p.vrrpPidFile ? Number((await readFile(p.vrrpPidFile, 'utf8').catch(() => '')).trim()) : 0
      if (vrrpPid > 0) {
        try {
          process.kill(vrrpPid, 'SIGKILL')
        } catch {
          // gone
        }
      }
    }
    await destroyPrefix(this.prefix)
    if (this.dir) await rm(this.dir, {recursive: true, force: true})
  }
}

/**
 * A test file's lab: created before its tests (handed to `use`), every process killed after
 * each test when `killAfterEach`, torn down after the file, also when a test fails.
 */
export function useEngineLab(names: string[], use: (lab: EngineLab) => void, opts: {killAfterEach?: boolean} & EngineLabOptions = {}): void {
  let lab: EngineLab | undefined
  beforeAll(async () => {
    lab = await EngineLab.create(names, opts)
    use(lab)
  })
  if (opts.killAfterEach) afterEach(async () => lab?.killAll())
  afterAll(async () => lab?.destroy())
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function linkLocal(netns: string): Promise<string | undefined> {
  const r = await execa('ip', ['-n', netns, '-j', 'addr', 'show', 'dev', 'eth0'], {reject: false})
  const j = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{family: string; scope: string; local: string; tentative?: boolean}>}>
  return j[0]?.addr_info?.find((a) => a.family === 'inet6' && a.scope === 'link' && !a.tentative)?.local
}

export function getJson(socketPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({socketPath, path: '/', method: 'GET', timeout: 2000}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => {
        try {
          resolve(JSON.parse(body))
        } catch (e) {
          reject(e)
        }
      })
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('status timeout')))
    req.end()
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return true
    await sleep(stepMs)
  }
  return false
}

export interface InstanceOpts {
  name?: string
  state?: 'MASTER' | 'BACKUP'
  priority: number
  vrid?: number
  advertInt?: number
  version?: 2 | 3
  vips?: string[]
  authPass?: string
  nopreempt?: boolean
  preemptDelay?: number
  unicastSrc?: string
  unicastPeers?: string[]
  extra?: string[]
  globals?: string[]
  scripts?: string
}

/** A keepalived.conf both keepalived and the engine accept. */
export function vrrpConf(o: InstanceOpts): string {
  const lines = ['global_defs {', '  router_id hen', '  vrrp_garp_master_delay 0', ...(o.globals ?? []).map((g) => `  ${g}`), '}']
  if (o.scripts) lines.push(o.scripts)
  lines.push(
    `vrrp_instance ${o.name ?? 'VI_1'} {`,
    `  state ${o.state ?? 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
  )
  if (o.version) lines.push(`  version ${o.version}`)
  if (o.nopreempt) lines.push('  nopreempt')
  if (o.preemptDelay !== undefined) lines.push(`  preempt_delay ${o.preemptDelay}`)
  if (o.authPass) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${o.authPass}`, '  }')
  if (o.unicastSrc) lines.push(`  unicast_src_ip ${o.unicastSrc}`)
  if (o.unicastPeers) lines.push('  unicast_peer {', ...o.unicastPeers.map((p) => `    ${p}`), '  }')
  lines.push(...(o.extra ?? []).map((e) => `  ${e}`))
  lines.push('  virtual_ipaddress {', ...(o.vips ?? ['10.203.0.100/24']).map((v) => `    ${v}`), '  }', '}')
  return lines.join('\n') + '\n'
}
