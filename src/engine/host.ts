/**
 * The host side of the engine: interface facts and addresses through `ip`
 * (node:child_process). Behind an interface so the engine can run against a fake host in
 * unit tests.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {networkInterfaces, type NetworkInterfaceInfo} from 'node:os'
import type {VirtualAddress} from '../keepalived/model.js'
import {runProcess} from './proc.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface LinkFacts {
  name: string
  mac: string
  up: boolean
  /** first global IPv4 address (keepalived's default source) */
  ipv4?: string
  /** first link-local IPv6 address (source of IPv6 adverts) */
  ipv6LinkLocal?: string
  ipv6Global?: string
}

export interface HostOps {
  link(name: string): Promise<LinkFacts | undefined>
  /**
   * Operational state of the interfaces, by name: every interface, or (with
   * `need`) at least those named. Without `fresh`, a read taken moments ago
   * may answer.
   */
  linkStates(opts?: {fresh?: boolean; need?: readonly string[]}): Promise<Map<string, boolean>>
  /**
   * Kernel link events: `onChange(name, up)` for each change (up undefined when the
   * link was deleted). Returns a function that stops watching.
   */
  watchLinks(onChange: (name: string, up: boolean | undefined) => void): () => void
  addAddress(v: VirtualAddress, defaultDev: string): Promise<void>
  delAddress(v: VirtualAddress, defaultDev: string): Promise<void>
  neighbourMac(ip: string, dev: string): Promise<string | undefined>
  /** `ip route|rule add|del ARGS` (virtual_routes, virtual_rules); an add that exists already is no error */
  routeOrRule(kind: 'route' | 'rule', op: 'add' | 'del', args: readonly string[]): Promise<void>
  /** use_vmac: a private-mode macvlan `name` with `mac` on `base`, up, with keepalived's ARP settings */
  addVmac(name: string, base: string, mac: string): Promise<void>
  delVmac(name: string): Promise<void>
}

interface IpAddrJson {
  ifname: string
  address?: string
  flags?: string[]
  operstate?: string
  addr_info?: Array<{family: string; local: string; prefixlen: number; scope: string; secondary?: boolean; label?: string}>
}

async function ipJson<T>(args: string[]): Promise<T> {
  const r = await runProcess('ip', ['-j', ...args], {stdout: true})
  if (r.exitCode !== 0) return [] as T
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T
}

/** `ip addr add|del` arguments for one keepalived address line (host prefix when none is given). */
export function addressArgs(op: 'add' | 'del', v: VirtualAddress, defaultDev: string): string[] {
  const addr = v.address.includes('/') ? v.address : `${v.address}/${v.address.includes(':') ? 128 : 32}`
  const args = ['addr', op, addr, 'dev', v.dev ?? defaultDev]
  if (op === 'add') {
    if (v.brd) args.push('brd', v.brd)
    if (v.scope) args.push('scope', v.scope)
    if (v.label) args.push('label', v.label)
    if (addr.includes(':')) args.push('nodad')
  }
  return args
}

/**
 * Start a helper that outlives a signal to the engine's whole process group or
 * cgroup (Ctrl-C, `timeout`, systemd's KillMode=control-group): its own session
 * (no terminal hangup, no group signals) and SIGINT/SIGTERM/SIGHUP ignored
 * (an ignored disposition survives exec). It still ends when the engine does:
 * its stdin reaches end of file, or its next write to a closed pipe is a SIGPIPE.
 */
export function spawnSurvivor(argv: string[]): ChildProcessWithoutNullStreams {
  return spawn('sh', ['-c', 'trap "" INT TERM HUP; exec "$@"', 'sh', ...argv], {stdio: ['pipe', 'pipe', 'pipe'], detached: true})
}

/** The sysctls keepalived sets for a vMAC interface and its base (arp_ignore, arp_filter, accept_local, rp_filter). */
export function vmacSysctls(vmac: string, base: string): Array<[string, string, string]> {
  return [
    [vmac, 'arp_ignore', '1'],
    [vmac, 'accept_local', '1'],
    [vmac, 'rp_filter', '0'],
    [base, 'arp_ignore', '1'],
    [base, 'arp_filter', '1'],
  ]
}

/** One line of `ip -o monitor link`: the link's name and whether it is up (undefined: deleted). */
export function parseLinkEvent(line: string): {name: string; up: boolean | undefined} | undefined {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>(.*)$/.exec(line.trim())
  if (!m) return undefined
  if (m[1]) return {name: m[2], up: undefined}
  const flags = m[3].split(',')
  const state = /\bstate (\S+)/.exec(m[4])?.[1]
  return {name: m[2], up: linkIsUp(flags, state)}
}

/** keepalived's view of an interface: administratively up, carrier, and not operationally down. */
function linkIsUp(flags: readonly string[], operstate: string | undefined): boolean {
  return flags.includes('UP') && !flags.includes('NO-CARRIER') && operstate !== 'DOWN' && operstate !== 'LOWERLAYERDOWN'
}

/**
 * One long-lived `ip -force -batch -`: address changes go down its stdin
 * instead of a process per change (a takeover must not wait for fork+exec).
 * After each command a `link show dev lo` is written; its output line marks
 * the command as done, and anything on stderr before it is that command's error.
 */
export class IpBatch {
  private proc?: ChildProcessWithoutNullStreams
  private out = ''
  private err = ''
  private waiting?: {resolve: (stderr: string) => void}
  private chain: Promise<unknown> = Promise.resolve()

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.proc && this.proc.exitCode === null && !this.proc.killed) return this.proc
    // a stop after a group-wide signal still needs it to remove the addresses
    const p = spawnSurvivor(['ip', '-force', '-batch', '-'])
    p.stdin.on('error', () => undefined) // a dead helper: reported through 'exit'
    p.stdout.on('data', (d: Buffer) => {
      this.out += d.toString()
      if (/^\d+: lo: /m.test(this.out)) {
        const e = this.err
        this.out = ''
        this.err = ''
        this.waiting?.resolve(e)
        this.waiting = undefined
      }
    })
    p.stderr.on('data', (d: Buffer) => (this.err += d.toString()))
    p.on('exit', () => {
      if (this.proc === p) this.proc = undefined
      this.out = ''
      const e = this.err
      this.err = ''
      this.waiting?.resolve(EXITED + e)
      this.waiting = undefined
    })
    p.unref()
    this.proc = p
    return p
  }

  /**
   * Run one `ip` command (argv without "ip"); resolves with its stderr ('' on success).
   * A helper that died under the command is replaced and the command sent once more.
   */
  run(args: string[]): Promise<string> {
    const once = () =>
      new Promise<string>((resolve) => {
        const p = this.ensure()
        this.waiting = {resolve}
        p.stdin.write(`${args.join(' ')}\nlink show dev lo\n`)
      })
    const next = this.chain.then(async () => {
      const first = await once()
      if (!first.startsWith(EXITED)) return first
      const second = await once()
      return second.startsWith(EXITED) ? `ip -batch exited: ${second.slice(EXITED.length)}` : second
    })
    this.chain = next.catch(() => undefined)
    return next
  }

  close(): void {
    this.proc?.stdin.end()
    this.proc = undefined
  }
}

const EXITED = '\0exited\0'

const batch = new IpBatch()

/** Close the shared `ip -batch` process (on engine stop). */
export function closeIpBatch(): void {
  batch.close()
}

/**
 * `ip -j addr show` for every interface, shared: the start needs both an
 * interface's facts and every link's state, and one `ip` answers both (a
 * process start is most of the time to the first advert on a loaded host).
 * A read is reused for a second after it ends unless a fresh one is asked for.
 */
let lastRead: {at: number; links: Promise<IpAddrJson[]>} | undefined
const REUSE_MS = 1000

function readLinks(fresh = false): Promise<IpAddrJson[]> {
  const now = performance.now()
  if (!fresh && lastRead && now - lastRead.at < REUSE_MS) return lastRead.links
  const read = {at: Number.POSITIVE_INFINITY, links: ipJson<IpAddrJson[]>(['addr', 'show'])}
  // reusable from when it ends (a read still running is shared too)
  void read.links.finally(() => (read.at = performance.now())).catch(() => undefined)
  lastRead = read
  return read.links
}

/**
 * An interface's facts from the process itself (getifaddrs: no `ip` to start),
 * or undefined when it is not listed there: Node lists only interfaces that
 * are up, running and have an address, which is all a start needs in the
 * usual case. The first IPv4 address listed is a primary one (the kernel keeps
 * secondaries after the primaries); loopback and link-local ranges are not
 * global.
 */
function quickLink(name: string, all: NodeJS.Dict<NetworkInterfaceInfo[]>): LinkFacts | undefined {
  const infos = all[name]
  if (!infos || infos.length === 0) return undefined
  const v4 = infos.find((a) => a.family === 'IPv4' && !/^(127\.|169\.254\.)/.test(a.address))
  const v6 = infos.filter((a) => a.family === 'IPv6')
  const linkLocal6 = (a: string) => /^fe[89ab]/i.test(a)
  return {
    name,
    mac: infos[0].mac,
    up: true,
    ipv4: v4?.address,
    ipv6LinkLocal: v6.find((a) => linkLocal6(a.address))?.address,
    ipv6Global: v6.find((a) => !linkLocal6(a.address) && a.address !== '::1')?.address,
  }
}

export const ipHost: HostOps = {
  async link(name) {
    const quick = quickLink(name, networkInterfaces())
    if (quick) return quick
    const l = (await readLinks()).find((x) => x.ifname === name)
    if (!l) return undefined
    const infos = l.addr_info ?? []
    return {
      name,
      mac: l.address ?? '00:00:00:00:00:00',
      up: (l.flags ?? []).includes('UP') && l.operstate !== 'DOWN',
      ipv4: infos.find((a) => a.family === 'inet' && a.scope === 'global' && !a.secondary)?.local,
      ipv6LinkLocal: infos.find((a) => a.family === 'inet6' && a.scope === 'link')?.local,
      ipv6Global: infos.find((a) => a.family === 'inet6' && a.scope === 'global')?.local,
    }
  },
  async linkStates(opts) {
    if (!opts?.fresh && opts?.need) {
      // every interface needed is up and running: no `ip` read before the first advert
      const all = networkInterfaces()
      if (opts.need.every((n) => (all[n]?.length ?? 0) > 0)) return new Map(opts.need.map((n) => [n, true]))
    }
    const j = await readLinks(opts?.fresh)
    return new Map(j.map((l) => [l.ifname, linkIsUp(l.flags ?? [], l.operstate)]))
  },
  watchLinks(onChange) {
    return watchIp(['-o', 'monitor', 'link'], (line) => {
      const e = parseLinkEvent(line)
      if (e) onChange(e.name, e.up)
    })
  },
  async addAddress(v, dev) {
    const stderr = await batch.run(addressArgs('add', v, dev))
    if (stderr.trim() && !/File exists/.test(stderr)) {
      throw new HalError('ENGINE_ADDR', `ip ${addressArgs('add', v, dev).join(' ')}: ${stderr.trim()}`, {
        exitCode: ExitCode.Environment,
        hint: 'the engine needs root (CAP_NET_ADMIN) and an existing interface',
        where: v.loc ? `${v.loc.file}:${v.loc.line}` : undefined,
      })
    }
  },
  async delAddress(v, dev) {
    await batch.run(addressArgs('del', v, dev))
  },
  async routeOrRule(kind, op, args) {
    const stderr = await batch.run([kind, op, ...args])
    if (op === 'add' && stderr.trim() && !/File exists/.test(stderr)) {
      throw new HalError('ENGINE_ROUTE', `ip ${kind} ${op} ${args.join(' ')}: ${stderr.trim()}`, {
        exitCode: ExitCode.Environment,
        hint: `check the virtual_${kind}s line against \`ip ${kind}\` on this host`,
      })
    }
  },
  async addVmac(name, base, mac) {
    await batch.run(['link', 'del', name]) // one left by a killed run
    const stderr = await batch.run(['link', 'add', 'link', base, 'name', name, 'address', mac, 'type', 'macvlan', 'mode', 'private'])
    if (stderr.trim()) {
      throw new HalError('ENGINE_VMAC', `use_vmac: cannot add ${name} on ${base}: ${stderr.trim()}`, {
        exitCode: ExitCode.Environment,
        hint: `check that ${base} can take a macvlan (ip link add link ${base} name ${name} type macvlan)`,
      })
    }
    // keepalived's settings: only the vMAC interface answers ARP for the VIPs on it
    for (const [dev, key, value] of vmacSysctls(name, base)) await writeFile(`/proc/sys/net/ipv4/conf/${dev}/${key}`, value).catch(() => undefined)
    await batch.run(['link', 'set', name, 'up'])
  },
  async delVmac(name) {
    await batch.run(['link', 'del', name])
  },
  async neighbourMac(ip, dev) {
    const j = await ipJson<Array<{lladdr?: string; state?: string[]}>>(['neigh', 'show', 'to', ip, 'dev', dev])
    const e = j.find((n) => n.lladdr && !(n.state ?? []).includes('FAILED') && !(n.state ?? []).includes('INCOMPLETE'))
    return e?.lladdr
  },
}

/**
 * Follow `ip ARGS` line by line until the returned function is called; the
 * helper is restarted if it dies on its own (a group-wide signal is followed by
 * the stop that closes the watch, so no restart races it).
 */
function watchIp(args: string[], onLine: (line: string) => void): () => void {
  let closed = false
  let proc: ReturnType<typeof spawn> | undefined
  let restart: NodeJS.Timeout | undefined
  const open = () => {
    // the watcher ends with the engine, however it ends: its stdin reaches end of file
    const p = spawn('sh', ['-c', 'trap "" INT TERM HUP; "$@" & cat >/dev/null; kill $! 2>/dev/null', 'sh', 'ip', ...args], {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    })
    proc = p
    let buf = ''
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) onLine(l)
    })
    p.stdin.on('error', () => undefined)
    p.on('error', () => undefined)
    p.on('exit', () => {
      if (closed) return
      restart = setTimeout(open, 500)
      restart.unref()
    })
    p.unref()
    for (const s of [p.stdin, p.stdout] as unknown as Array<{unref?: () => void}>) s.unref?.()
  }
  open()
  return () => {
    closed = true
    clearTimeout(restart)
    try {
      if (proc?.pid) process.kill(-proc.pid, 'SIGKILL') // its own group: sh, cat and ip
    } catch {
      // already gone
    }
  }
}
