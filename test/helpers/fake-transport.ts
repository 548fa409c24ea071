/**
 * A scripted stand-in for the SSH transport (src/remote/types.ts), in the
 * spirit of nock: every remote call is recorded; answers come from rules the
 * test scripts (`on`) or from a small simulation of a Linux node (files,
 * keepalived, nftables, sysctls, VIP election across the fake cluster); any
 * other call fails the test. `expect` registers calls that MUST happen (in
 * order where it matters) and `assertDone()` checks them.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {shellJoin} from '../../src/remote/shell.js'
import type {ExecOptions, ExecResult, RemoteHost, SshTarget, StreamHandle, Transport} from '../../src/remote/types.js'

export type Matcher = string[] | RegExp | ((argv: string[]) => boolean)
export type Reply = Partial<ExecResult> | ((argv: string[], m: FakeMachine) => Partial<ExecResult>)

export interface FakeCall {
  /** global sequence number across the fake cluster */
  seq: number
  conn: number
  kind: 'exec' | 'readFile' | 'writeFile'
  argv: string[]
  /** what the remote shell would receive */
  wire: string
}

export interface MachineState {
  os: 'debian' | 'rocky'
  init: 'systemd' | 'sysv' | 'none'
  firewall: 'firewalld' | 'nftables' | 'iptables' | 'none'
  keepalivedInstalled: boolean
  running: boolean
  interfaces: {name: string; addrs: string[]}[]
  sysctls: Record<string, string>
  nftTable: boolean
  /** iptables: halctl's chain (undefined = absent) and whether INPUT jumps to it */
  iptablesChain?: string[]
  iptablesJump: boolean
  /** firewalld's permanent rich rules (its default zone is public, no interface bound to a zone) */
  firewalldRules: Array<{zone: string; rule: string}>
  files: Map<string, {content: Buffer; mode: number}>
  /** the node lock's owner text (src/remote/lock.ts), when held */
  lock?: string
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** Does argv match: array = prefix, RegExp = tested on the joined argv, function = predicate. */
export function matches(m: Matcher, argv: string[]): boolean {
  if (Array.isArray(m)) return m.every((x, i) => argv[i] === x)
  if (m instanceof RegExp) return m.test(argv.join(' '))
  return m(argv)
}

export class FakeMachine {
  readonly calls: FakeCall[] = []
  readonly state: MachineState
  private rules: {m: Matcher; reply: Reply; times: number}[] = []
  private expected: {m: Matcher; ordered: boolean; label: string}[] = []
  private cut?: {m: Matcher; after: boolean}
  unreachable?: string
  hostKeyChanged = false
  private pidCounter = 100
  /** staging directories made on the machine (they hold no file until one is written) */
  readonly stageDirs = new Set<string>()

  constructor(
    readonly name: string,
    readonly address: string,
    state: Partial<Omit<MachineState, 'files'>> & {files?: Record<string, string>},
    private readonly cluster: FakeTransport,
  ) {
    const {files, ...rest} = state
    this.state = {
      os: 'debian',
      init: 'none',
      firewall: 'nftables',
      keepalivedInstalled: true,
      running: false,
      interfaces: [{name: 'eth0', addrs: [`${address}/24`]}],
      sysctls: {'net.ipv4.ip_forward': '0', 'net.ipv4.ip_nonlocal_bind': '0', 'net.ipv6.ip_nonlocal_bind': '0'},
      nftTable: false,
      iptablesJump: false,
      firewalldRules: [],
      files: new Map(Object.entries(files ?? {}).map(([p, c]) => [p, {content: Buffer.from(c), mode: 0o644}])),
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    }
    if (!this.state.files.has('/etc/nftables.conf') && this.state.firewall === 'nftables') {
      this.state.files.set('/etc/nftables.conf', {content: Buffer.from('#!/usr/sbin/nft -f\nflush ruleset\n'), mode: 0o755})
    }
  }

  /** Script the answer to a command (first matching rule wins; `times` bounds its use). */
  on(m: Matcher, reply: Reply, times = Infinity): this {
    this.rules.push({m, reply, times})
    return this
  }

  /** This call must happen; ordered expectations must happen in the order they were declared. */
  expect(m: Matcher, opts: {ordered?: boolean; label?: string} = {}): this {
    this.expected.push({m, ordered: opts.ordered ?? true, label: opts.label ?? (Array.isArray(m) ? m.join(' ') : String(m))})
    return this
  }

  /** Cut the connection when a matching call is made (before it runs, or after with after: true). */
  cutConnectionAt(m: Matcher, opts: {after?: boolean} = {}): this {
    this.cut = {m, after: opts.after ?? false}
    return this
  }

  /** A matching call never answers (a peer that vanished without closing the connection); later calls on that connection fail. */
  hangAt(m: Matcher): this {
    this.hang = m
    return this
  }

  hang?: Matcher

  file(path: string): string | undefined {
    return this.state.files.get(path)?.content.toString('utf8')
  }

  execs(): string[][] {
    return this.calls.filter((c) => c.kind === 'exec').map((c) => c.argv)
  }

  /** Throws listing what is missing when an expected call did not happen (or not in order). */
  assertDone(): void {
    const argvs = this.calls.map((c) => c.argv)
    let cursor = 0
    const missing: string[] = []
    for (const e of this.expected) {
      if (e.ordered) {
        const i = argvs.findIndex((a, idx) => idx >= cursor && matches(e.m, a))
        if (i < 0) missing.push(`${e.label} (in order)`)
        else cursor = i + 1
      } else if (!argvs.some((a) => matches(e.m, a))) missing.push(e.label)
    }
    if (missing.length) {
      throw new Error(`${this.name}: expected remote calls did not happen:\n  ${missing.join('\n  ')}\ncalls were:\n  ${argvs.map((a) => a.join(' ').slice(0, 160)).join('\n  ')}`)
    }
  }

  /** the conf's `priority N` (highest, when several instances) */
  priority(): number {
    const conf = this.file('/etc/keepalived/keepalived.conf') ?? ''
    return Math.max(0, ...[...conf.matchAll(/^\s*priority\s+(\d+)/gm)].map((m) => Number(m[1])))
  }

  record(conn: number, kind: FakeCall['kind'], argv: string[]): void {
    this.calls.push({seq: this.cluster.nextSeq(), conn, kind, argv, wire: shellJoin(argv)})
  }

  checkCut(argv: string[], after: boolean): void {
    if (this.cut && this.cut.after === after && matches(this.cut.m, argv)) {
      this.cut = undefined
      throw Object.assign(new Error(`connection to ${this.name} lost`), {code: 'ECONNRESET', cutNow: true})
    }
  }

  exec(argv: string[], opts: ExecOptions = {}): ExecResult {
    for (const r of this.rules) {
      if (r.times > 0 && matches(r.m, argv)) {
        r.times--
        const out = typeof r.reply === 'function' ? r.reply(argv, this) : r.reply
        return {stdout: '', stderr: '', code: 0, ...out}
      }
    }
    return this.simulate(argv, opts)
  }

  private ok(stdout = ''): ExecResult {
    return {stdout, stderr: '', code: 0}
  }

  private simulate(argv: string[], opts: ExecOptions): ExecResult {
    const [cmd, ...args] = argv
    const s = this.state
    if (cmd === 'sh' && args[0] === '-c') return this.simulateScript(args[2], args.slice(3), opts)
    if (cmd === 'mkdir' || cmd === 'cp') return this.ok()
    if (cmd === 'rm') {
      const path = args[args.length - 1]
      for (const p of [...s.files.keys()]) if (p === path || p.startsWith(`${path}/`)) s.files.delete(p)
      return this.ok()
    }
    if (cmd === 'keepalived' && args[0] === '-t') {
      const conf = this.file(args[2])
      return conf === undefined ? {stdout: '', stderr: `Configuration file '${args[2]}' is not a regular non-executable file`, code: 4} : this.ok()
    }
    if (cmd === 'keepalived' && args[0] === '-f') return this.setRunning(true)
    if (cmd === 'env' && args.includes('apt-get')) {
      s.keepalivedInstalled = true
      return this.ok()
    }
    if (cmd === 'nft' && args[0] === '-f') {
      s.nftTable = true
      return this.ok()
    }
    if (cmd === 'nft' && args[0] === 'delete') {
      s.nftTable = false
      return this.ok()
    }
    if (cmd === 'sysctl' && args[0] === '-q' && args[1] === '-w') {
      const [k, v] = args[2].split('=')
      s.sysctls[k] = v
      return this.ok()
    }
    if (cmd === 'systemctl' || cmd === 'service') {
      const action = cmd === 'systemctl' ? args[0] : args[1]
      if (action === 'start' || action === 'reload') return this.setRunning(true)
      if (action === 'stop') return this.setRunning(false)
      if (action === 'enable') return this.ok()
      if (action === 'is-active') return {stdout: '', stderr: '', code: s.running ? 0 : 3}
    }
    if (cmd === 'iptables' || cmd === 'ip6tables') {
      if (cmd === 'ip6tables') return ['-S', '-D'].includes(args[0]) ? {stdout: '', stderr: 'No chain/target/match by that name.', code: 1} : this.ok()
      const [op, chain] = args
      if (op === '-S') return s.iptablesChain ? this.ok(s.iptablesChain.join('\n')) : {stdout: '', stderr: 'No chain/target/match by that name.', code: 1}
      if (op === '-N') s.iptablesChain = []
      else if (op === '-F') s.iptablesChain = []
      else if (op === '-A') s.iptablesChain?.push(args.join(' '))
      else if (op === '-C') return {stdout: '', stderr: '', code: s.iptablesJump ? 0 : 1}
      else if (op === '-I') s.iptablesJump = true
      else if (op === '-D' && chain === 'INPUT') {
        if (!s.iptablesJump) return {stdout: '', stderr: 'Bad rule', code: 1}
        s.iptablesJump = false
      } else if (op === '-X') s.iptablesChain = undefined
      return this.ok()
    }
    if (cmd === 'firewall-cmd') {
      const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
      const zone = opt('zone') ?? 'public'
      const add = opt('add-rich-rule')
      const remove = opt('remove-rich-rule')
      if (add !== undefined && !s.firewalldRules.some((r) => r.zone === zone && r.rule === add)) s.firewalldRules.push({zone, rule: add})
      if (remove !== undefined) s.firewalldRules = s.firewalldRules.filter((r) => !(r.zone === zone && r.rule === remove))
      return this.ok()
    }
    throw new Error(`${this.name}: unexpected remote call: ${argv.join(' ').slice(0, 200)}`)
  }

  private setRunning(on: boolean): ExecResult {
    this.state.running = on
    this.cluster.elect()
    return this.ok()
  }

  private simulateScript(name: string, args: string[], opts: ExecOptions): ExecResult {
    const s = this.state
    switch (name) {
      case 'halctl-facts':
        return this.ok(this.factsOutput(args.slice(1)))
      case 'halctl-backup':
        if (![...s.files.keys()].some((p) => p.startsWith(`${args[0]}/`))) return {stdout: '', stderr: '', code: 3}
        for (const [p, f] of [...s.files]) {
          const rel = p.slice(args[0].length + 1)
          if (p.startsWith(`${args[0]}/`) && !rel.startsWith('.halctl-')) s.files.set(`${args[1]}/${rel}`, {...f})
        }
        return this.ok()
      case 'halctl-append': {
        const cur = this.file(args[1]) ?? ''
        s.files.set(args[1], {content: Buffer.from(`${cur}${args[0]}\n`), mode: 0o644})
        return this.ok()
      }
      case 'halctl-rewrite':
        s.files.set(args[0], {content: Buffer.from(String(opts.stdin ?? '')), mode: s.files.get(args[0])?.mode ?? 0o644})
        return this.ok()
      case 'halctl-iptables-save':
        s.files.set(args[1], {content: Buffer.from(`*filter\n${(s.iptablesChain ?? []).join('\n')}\nCOMMIT\n`), mode: 0o644})
        return this.ok()
      case 'halctl-signal':
        if (!s.running) return {stdout: '', stderr: 'kill: no such process', code: 1}
        if (args[0] === 'TERM') return this.setRunning(false)
        return this.setRunning(true)
      case 'halctl-running':
        return {stdout: '', stderr: '', code: s.running ? 0 : 1}
      case 'halctl-lock': {
        // args: lock path, owner, run id (the node lock of src/remote/lock.ts)
        const [, owner, run] = args
        if (s.lock && !s.lock.includes(`run=${run} `)) return {stdout: `HELD ${s.lock} sess=1\n`, stderr: '', code: 75}
        s.lock = `${owner} sess=1`
        return this.ok('ACQUIRED\n')
      }
      case 'halctl-unlock':
        if (s.lock?.includes(`run=${args[1]} `)) s.lock = undefined
        return this.ok()
      case 'halctl-stage': {
        let n = 0
        for (const p of [...s.files.keys()]) if (p.startsWith(args[0])) s.files.delete(p)
        for (const d of [...this.stageDirs]) if (d.startsWith(args[0])) (this.stageDirs.delete(d), n++)
        const dir = `${args[0]}${String(++this.pidCounter).padStart(8, '0')}`
        this.stageDirs.add(dir)
        return this.ok(`${dir}\n${n}\n`)
      }
      case 'halctl-adopt':
        // the fake's packages never start keepalived under the distribution's pid file: nothing to adopt
        return {stdout: '', stderr: '', code: 1}
      case 'halctl-dump': {
        if (!s.running) return {stdout: '', stderr: '', code: 3}
        const conf = this.file('/etc/keepalived/keepalived.conf') ?? ''
        const master = this.cluster.vips.length > 0 && this.cluster.holders(this.cluster.vips[0]).includes(this.name)
        const blocks = [...conf.matchAll(/vrrp_instance\s+(\S+)/g)].map((m) =>
          [` VRRP Instance = ${m[1]}`, `   State = ${master ? 'MASTER' : 'BACKUP'}`, `   Priority = ${this.priority()}`, `   Effective priority = ${this.priority()}`].join('\n'),
        )
        return this.ok(['------< VRRP Topology >------', ...blocks, '------< VRRP Sockpool >------', ''].join('\n'))
      }
      default:
        throw new Error(`${this.name}: unexpected remote script ${name}`)
    }
  }

  factsOutput(watched: string[]): string {
    const s = this.state
    const os =
      s.os === 'rocky'
        ? 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"'
        : 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"'
    const pid = ++this.pidCounter
    const running = s.running ? (s.init === 'systemd' ? `systemd ${pid}` : s.init === 'sysv' ? `default ${pid}` : `pidfile ${pid}`) : ''
    const addr = JSON.stringify(
      s.interfaces.map((i, idx) => ({
        ifindex: idx + 2,
        ifname: i.name,
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        addr_info: i.addrs.map((a) => ({family: a.includes(':') ? 'inet6' : 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1] ?? 32)})),
      })),
    )
    const files = watched.flatMap((p) => {
      const f = s.files.get(p)
      return f ? [`${sha(f.content)} ${f.mode.toString(8)} ${p}`] : []
    })
    const persisted = (this.file('/etc/nftables.conf') ?? '').includes('/etc/keepalived/halctl/vrrp.nft')
    const sec = (n: string, body: string): string => `\n@@${n}\n${body}${body ? '\n' : ''}`
    return [
      sec('os', os),
      sec('hostname', this.name),
      sec('pm', s.os === 'rocky' ? 'dnf\nyum' : 'apt-get'),
      sec('init', s.init),
      sec('firewall', s.firewall),
      sec('keepalived', s.keepalivedInstalled ? 'Keepalived v2.2.7 (01/16,2022)' : ''),
      sec('ipvsadm', ''),
      sec('running', running),
      sec('addr', addr),
      sec('files', files.join('\n')),
      sec('kdir', [...s.files].filter(([p]) => p.startsWith('/etc/keepalived/') && !p.includes('/.halctl-')).map(([p, f]) => `${sha(f.content)}  ${p}`).join('\n')),
      sec('sysctl', Object.entries(s.sysctls).map(([k, v]) => `${k}=${v}`).join('\n')),
      sec('nft', [s.nftTable ? 'present' : '', this.file('/etc/nftables.conf') !== undefined ? 'conf /etc/nftables.conf' : '', persisted ? 'persisted' : ''].filter(Boolean).join('\n')),
      sec('iptables', [s.iptablesChain ? 'chain' : '', s.iptablesJump ? 'jump' : '', this.file('/etc/iptables/rules.v4') !== undefined ? 'save4 /etc/iptables/rules.v4' : ''].filter(Boolean).join('\n')),
      sec('firewalld', s.firewall === 'firewalld' ? ['default public', ...s.firewalldRules.map((r) => `rich ${r.zone} ${r.rule}`)].join('\n') : ''),
      sec('end', ''),
    ].join('')
  }
}

const HANG = Symbol('hang')
const never = <T>(): Promise<T> => new Promise<T>(() => undefined)

class FakeConnection implements RemoteHost {
  readonly isRoot = true
  private broken = false
  constructor(
    private readonly m: FakeMachine,
    private readonly id: number,
  ) {}

  get name(): string {
    return this.m.name
  }

  get address(): string {
    return this.m.address
  }

  private guard(argv: string[], kind: FakeCall['kind']): void {
    if (this.broken) throw Object.assign(new Error(`connection to ${this.m.name} lost`), {code: 'ECONNRESET'})
    this.m.record(this.id, kind, argv)
    if (this.m.hang && matches(this.m.hang, argv)) {
      this.m.hang = undefined
      this.broken = true
      throw HANG
    }
    try {
      this.m.checkCut(argv, false)
    } catch (e) {
      this.broken = true
      throw e
    }
  }

  /** false when the call must hang */
  private pass(argv: string[], kind: FakeCall['kind']): boolean {
    try {
      this.guard(argv, kind)
      return true
    } catch (e) {
      if (e === HANG) return false
      throw e
    }
  }

  private after(argv: string[]): void {
    try {
      this.m.checkCut(argv, true)
    } catch (e) {
      this.broken = true
      throw e
    }
  }

  async exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    if (!this.pass(argv, 'exec')) return never()
    const r = this.m.exec(argv, opts)
    this.after(argv)
    return r
  }

  async stream(): Promise<StreamHandle> {
    throw new Error('stream is not scripted in the fake transport')
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    if (!this.pass(['<readFile>', path], 'readFile')) return never()
    const f = this.m.state.files.get(path)
    return f ? Buffer.from(f.content) : undefined
  }

  async writeFile(path: string, content: string | Buffer, opts?: {mode?: number}): Promise<void> {
    if (!this.pass(['<writeFile>', path], 'writeFile')) return never()
    this.m.state.files.set(path, {content: Buffer.from(content), mode: opts?.mode ?? 0o644})
    this.after(['<writeFile>', path])
  }

  async close(): Promise<void> {
    this.broken = true
  }
}

export class FakeTransport implements Transport {
  readonly machines = new Map<string, FakeMachine>()
  readonly connects: SshTarget[] = []
  private conn = 0
  private seq = 0

  nextSeq(): number {
    return ++this.seq
  }

  /** cluster VIPs: after every keepalived start/reload/stop the running machine with the highest priority holds them */
  constructor(readonly vips: string[] = []) {}

  machine(name: string, address: string, state: ConstructorParameters<typeof FakeMachine>[2] = {}): FakeMachine {
    const m = new FakeMachine(name, address, state, this)
    this.machines.set(name, m)
    return m
  }

  get(name: string): FakeMachine {
    const m = this.machines.get(name)
    if (!m) throw new Error(`no fake machine ${name}`)
    return m
  }

  async connect(target: SshTarget): Promise<RemoteHost> {
    this.connects.push(target)
    const m = this.get(target.name)
    if (m.unreachable) throw Object.assign(new Error(`connect ${m.unreachable} ${target.host}:${target.port ?? 22}`), {code: m.unreachable})
    if (m.hostKeyChanged) throw new Error(`host key for ${target.host} does not match known_hosts`)
    return new FakeConnection(m, ++this.conn)
  }

  elect(): void {
    if (!this.vips.length) return
    const running = [...this.machines.values()].filter((m) => m.state.running)
    const winner = running.sort((a, b) => b.priority() - a.priority())[0]
    for (const m of this.machines.values()) {
      const eth = m.state.interfaces[0]
      if (!eth) continue
      eth.addrs = eth.addrs.filter((a) => !this.vips.includes(a.split('/')[0]))
      if (m === winner) eth.addrs.push(...this.vips.map((v) => `${v}/24`))
    }
  }

  /** Where each VIP is: machine names holding it. */
  holders(vip: string): string[] {
    return [...this.machines.values()].filter((m) => m.state.interfaces.some((i) => i.addrs.some((a) => a.split('/')[0] === vip))).map((m) => m.name)
  }

  assertDone(): void {
    for (const m of this.machines.values()) m.assertDone()
  }
}

/**
 * Proof against injection: hand the wire string to a real POSIX shell and
 * check it comes back as exactly the argv that was meant, word for word.
 */
export function roundTripsThroughShell(argv: string[]): boolean {
  const wire = shellJoin(argv)
  const out = execFileSync('sh', ['-c', `printArgs() { for a in "$@"; do printf '%s\\0' "$a"; done; }; printArgs ${wire}`], {encoding: 'buffer'})
  const back = out.toString('utf8').split('\0').slice(0, -1)
  return back.length === argv.length && back.every((a, i) => a === argv[i])
}
