/**
 * The lab service behind `halctl lab up|down|status|exec`: N hosts on a
 * bridge (see netns.ts), each with an OpenSSH sshd on its lab address, and
 * the files that make `halctl deploy -s <stateDir>/lab.yaml` work at once.
 * Services return data and report progress through a callback; they never print.
 */
import {execa} from 'execa'
import {chmod, copyFile, mkdir, readdir, readFile, rm, rmdir} from 'node:fs/promises'
import {writeFileSafeAsync} from '../lib/safe-write.js'
import {connect} from 'node:net'
import {basename, dirname, isAbsolute, join, relative, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {which} from '../lib/tools.js'
import {
  embeddedEngineArgv,
  embeddedEngineFiles,
  readEngineStatus,
  resolveHalctlEntry,
  startEmbeddedEngine,
  stopEmbeddedEngine,
  writeEngineConfigs,
} from './embedded.js'
import {bridgeName, hostNetnsName, hostVethName} from './names.js'
import {allocateUserIds, renderKnownHosts, renderLabSpec, renderSshConfig, renderSshdConfig, type LabFilePaths, type LabSudo} from './files.js'
import {
  createBridge,
  createHost,
  destroyPrefix,
  execInHost,
  findHost,
  hostCommandPrefix,
  isRunningInHost,
  listNetns,
  requireRoot,
  type HostInit,
  type LabHost,
} from './netns.js'
import {overlappingRoutes, planLab, type LabEngine, type LabPlan, type RouteEntry} from './plan.js'
import {defaultStateDir, LAB_RECORD_DIR, readLabState, readStateDir, removeLabRecord, writeLabState, type LabHostState, type LabState} from './state.js'

export type ProgressFn = (message: string) => void

export interface LabUpOptions {
  name: string
  hosts: number
  subnet: string
  engine: LabEngine
  /** state directory (default ./.lab/<name>) */
  stateDir?: string
  /** login users besides root on every host (key login with the lab key); the written spec and ssh config log in as the first */
  users?: Array<{name: string; sudo: LabSudo}>
  /** give every host a copy-on-write /usr, /var and /etc, so packages can be installed and removed on it alone */
  packageRoot?: boolean
  /** sysv: every host looks like a SysV-init system (deploy manages keepalived with `service`); systemd: systemd is every host's PID 1; default none */
  init?: HostInit
  /** --engine embedded: how long each engine may take to answer on its status socket (default 60 s) */
  engineTimeoutMs?: number
  onProgress?: ProgressFn
}

export interface LabUpResult {
  name: string
  stateDir: string
  spec: string
  sshConfig: string
  knownHosts: string
  identityFile: string
  subnet: string
  control: string
  vip: string
  engine: LabEngine
  hosts: Array<{name: string; address: string; netns: string; hostname: string}>
}

export interface LabHostStatus {
  name: string
  address: string
  netns: string
  /** the network namespace exists */
  present: boolean
  sshd: 'up' | 'down'
  keepalived: boolean
  /** --engine embedded: the host's `halctl run` (running, and its instances' VRRP states when it answers) */
  embedded?: LabEngineStatus
  /** addresses on the host besides its own lab address (the VIPs it holds) */
  vips: string[]
}

export interface LabEngineStatus {
  running: boolean
  /** pid inside the host */
  pid?: number
  /** instance name -> VRRP state (MASTER, BACKUP, FAULT, ...) from the engine's status socket */
  instances: Record<string, string>
  log: string
}

export interface LabStatusResult {
  name: string
  stateDir: string
  subnet: string
  control: string
  vip: string
  engine: LabEngine
  hosts: LabHostStatus[]
  /** hosts that hold the spec's VIP: one is right; none or several is a fault */
  vipHolders: string[]
}

export interface LabDownResult {
  name: string
  /** a recorded lab was found (false: only leftovers by name were swept, or nothing) */
  found: boolean
  removedHosts: string[]
  stateDir?: string
}

const SSH_PORT = 22
/** hosts brought up at once */
const HOST_PARALLELISM = 4

/** map with at most `limit` calls in flight; results in input order; the first failure rejects (after in-flight calls settle) */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  let failed: unknown
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++
      try {
        out[i] = await fn(items[i])
      } catch (e) {
        failed ??= e
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  if (failed !== undefined) throw failed
  return out
}

/** Routes of the root namespace, from `ip -j route` (IPv4). */
export async function readRoutes(): Promise<RouteEntry[]> {
  const r = await execa('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], {reject: false})
  if (r.exitCode !== 0 || !r.stdout.trim()) return []
  return (JSON.parse(r.stdout) as Array<{dst: string; dev?: string; type?: string; table?: string}>)
    .filter((x) => (x.type === undefined || x.type === 'unicast') && x.table !== 'local')
    .map((x) => ({dst: x.dst, dev: x.dev}))
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({host, port})
    const finish = (ok: boolean) => {
      s.destroy()
      done(ok)
    }
    s.setTimeout(timeoutMs, () => finish(false))
    s.once('connect', () => finish(true))
    s.once('error', () => finish(false))
  })
}

async function waitForTcp(host: string, port: number, totalMs: number): Promise<boolean> {
  const deadline = Date.now() + totalMs
  while (Date.now() < deadline) {
    if (await tcpReachable(host, port, 500)) return true
    await sleep(50)
  }
  return false
}

async function requireTool(name: string, pkg: string): Promise<string> {
  const path = await which(name)
  if (!path)
    throw new HalError('LAB_MISSING_TOOL', `${name} is not installed on this machine`, {
      exitCode: ExitCode.Environment,
      hint: `install the Debian package ${pkg} (apt-get install ${pkg})`,
    })
  return path
}

/** keepalived for the lab hosts (they share /usr with this machine): install the package when missing. */
async function ensureKeepalivedInstalled(progress: ProgressFn): Promise<void> {
  if (await which('keepalived')) return
  progress('installing the keepalived package (the lab hosts share /usr with this machine)')
  const r = await execa('apt-get', ['install', '-y', '--no-install-recommends', 'keepalived'], {
    reject: false,
    env: {DEBIAN_FRONTEND: 'noninteractive'},
    timeout: 300_000,
  })
  if (r.exitCode !== 0 || !(await which('keepalived')))
    throw new HalError('LAB_KEEPALIVED_INSTALL', 'could not install keepalived for --engine keepalived', {
      exitCode: ExitCode.Environment,
      hint: 'install it with apt-get install keepalived, or use --engine none',
    })
}

/** Lab login users with uids free on this machine (the hosts' passwd is the machine's plus these). */
async function labUsers(wanted: Array<{name: string; sudo: LabSudo}>): Promise<NonNullable<LabState['users']>> {
  if (wanted.length === 0) return []
  if (wanted.some((u) => u.sudo === 'nopasswd')) await requireTool('sudo', 'sudo')
  const uids = allocateUserIds(await readFile('/etc/passwd', 'utf8'), await readFile('/etc/group', 'utf8'), wanted)
  return wanted.map((u, i) => ({name: u.name, uid: uids[i], sudo: u.sudo}))
}

async function sshKeygen(path: string, comment: string): Promise<string> {
  await rm(path, {force: true})
  await rm(`${path}.pub`, {force: true})
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], {stdin: 'ignore'})
  await chmod(path, 0o600)
  return (await readFile(`${path}.pub`, 'utf8')).trim()
}

function filePaths(stateDir: string): LabFilePaths {
  return {
    stateDir,
    spec: join(stateDir, 'lab.yaml'),
    sshConfig: join(stateDir, 'ssh_config'),
    knownHosts: join(stateDir, 'known_hosts'),
    identityFile: join(stateDir, 'id_ed25519'),
    authorizedKeys: join(stateDir, 'authorized_keys'),
  }
}

function hostState(plan: LabPlan, stateDir: string, h: LabPlan['hosts'][number]): LabHostState {
  const dir = join(stateDir, 'hosts', h.name)
  const netns = hostNetnsName(plan.name, h.name)
  return {
    name: h.name,
    netns,
    veth: hostVethName(plan.name, h.name),
    hostname: h.name,
    address: h.address,
    cidr: h.cidr,
    sshdConfig: join(dir, 'sshd_config'),
    sshdPidFile: join(dir, 'sshd.pid'),
    sshdLog: join(dir, 'sshd.log'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    ...(plan.engine === 'embedded' ? {embedded: embeddedEngineFiles(dir, netns)} : {}),
  }
}

/** --engine embedded: render the lab spec into each host's keepalived.conf and start `halctl run` on every host. */
async function startEngines(state: LabState, entry: string, progress: ProgressFn, timeoutMs?: number): Promise<void> {
  const withEngine = state.hosts.filter((hs) => hs.embedded !== undefined)
  await writeEngineConfigs(state.files.spec, new Map(withEngine.map((hs) => [hs.name, hs.embedded!.config])))
  await mapLimit(withEngine, HOST_PARALLELISM, async (hs) => {
    const host = await findHost(state.prefix, hs.name)
    if (!host) throw new HalError('LAB_HOST_GONE', `lab host ${hs.name} vanished while the lab came up`, {exitCode: ExitCode.Environment})
    const pid = await startEmbeddedEngine(host, hs.embedded!, embeddedEngineArgv({node: hs.name, entry, files: hs.embedded!}), {
      timeoutMs,
      onWait: (ms) => progress(`host ${hs.name}: waiting for halctl run to answer (${Math.round(ms / 1000)} s)`),
    })
    progress(`host ${hs.name}: halctl run started (pid ${pid} in the host), config ${hs.embedded!.config}`)
  })
}

/** --engine embedded: stop every host's engine (SIGTERM, bounded wait, SIGKILL) so each leaves cleanly before its host goes. */
async function stopEngines(state: LabState, progress: ProgressFn): Promise<void> {
  await Promise.all(
    state.hosts.map(async (hs) => {
      if (!hs.embedded) return
      const host = await findHost(state.prefix, hs.name)
      // the pid file holds a pid of the host's PID namespace: without its anchor (PID 1 there) no process of the host is left
      if (host?.anchorPid && (await stopEmbeddedEngine(host, hs.embedded))) progress(`host ${hs.name}: halctl run stopped`)
    }),
  )
}

/** Start sshd in the host and wait until it accepts TCP on its lab address; returns the host public key. */
async function startSshd(host: LabHost, hs: LabHostState, sshd: string, authorizedKeys: string): Promise<string> {
  await mkdir(join(hs.hostKey, '..'), {recursive: true})
  const hostPub = await sshKeygen(hs.hostKey, `halctl-lab ${hs.name}`)
  await writeFileSafeAsync(hs.sshdConfig, renderSshdConfig(hs.address, {config: hs.sshdConfig, hostKey: hs.hostKey, pidFile: hs.sshdPidFile, logFile: hs.sshdLog}, authorizedKeys))
  await rm(hs.sshdLog, {force: true})
  const r = await execInHost(host, [sshd, '-f', hs.sshdConfig, '-E', hs.sshdLog], {reject: false})
  if (r.exitCode !== 0 || !(await waitForTcp(hs.address, SSH_PORT, 10_000))) {
    const log = await readFile(hs.sshdLog, 'utf8').catch(() => '')
    throw new HalError('LAB_SSHD', `sshd did not start on lab host ${hs.name}: ${(r.stderr || log).trim().split('\n').slice(-2).join(' / ')}`, {
      exitCode: ExitCode.Environment,
      where: hs.sshdLog,
    })
  }
  return hostPub
}

/** Bring a lab up. On any failure, everything made so far is removed before the error is thrown. */
export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? (() => undefined)
  requireRoot('halctl lab up')
  const plan = planLab({name: opts.name, subnet: opts.subnet, hosts: opts.hosts, engine: opts.engine})
  const stateDir = resolve(opts.stateDir ?? defaultStateDir(plan.name))
  const paths = filePaths(stateDir)

  const previous = await readLabState(plan.name, stateDir)
  const present = (await listNetns()).filter((n) => n.startsWith(`${plan.name}-`))
  if (present.length > 0)
    throw new HalError('LAB_EXISTS', `lab "${plan.name}" is already up (${present.join(', ')})`, {
      hint: `run \`halctl lab down --name ${plan.name}\` first, or choose another --name`,
      where: previous?.files.stateDir,
    })
  if (previous) await labDown({name: plan.name, stateDir})

  const overlaps = overlappingRoutes(plan.subnet, await readRoutes())
  if (overlaps.length > 0)
    throw new HalError('LAB_SUBNET_IN_USE', `subnet ${plan.subnet} overlaps existing route(s): ${overlaps.map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`).join(', ')}`, {
      hint: 'choose another --subnet (e.g. 10.213.1.0/24); the lab must not shadow a network this machine uses',
    })

  const sshd = await requireTool('sshd', 'openssh-server')
  await requireTool('ssh-keygen', 'openssh-client')
  const users = await labUsers(opts.users ?? [])
  if (plan.engine === 'keepalived') await ensureKeepalivedInstalled(progress)
  const engineEntry = plan.engine === 'embedded' ? resolveHalctlEntry() : undefined

  const state: LabState = {
    version: 1,
    name: plan.name,
    prefix: plan.name,
    bridge: bridgeName(plan.name),
    subnet: plan.subnet,
    control: plan.control,
    vip: plan.vip,
    engine: plan.engine,
    createdAt: new Date().toISOString(),
    files: paths,
    hosts: plan.hosts.map((h) => hostState(plan, stateDir, h)),
    ...(users.length ? {users} : {}),
    ...(opts.packageRoot ? {packageRoot: true} : {}),
  }
  // recorded before anything is created, so `lab down` can clean up after a crash half-way
  await writeLabState(state)
  try {
    progress(`lab ${plan.name}: ${plan.hosts.length} hosts on ${plan.subnet}, state in ${stateDir}`)
    const clientPub = await sshKeygen(paths.identityFile, `halctl-lab ${plan.name}`)
    await writeFileSafeAsync(paths.authorizedKeys, `${clientPub}\n`, {mode: 0o600})
    await createBridge(plan.name, {controlAddresses: [plan.control]})
    progress(`bridge ${state.bridge} up, control address ${plan.control}`)
    const hostsFile = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...plan.hosts.map((h) => `${h.address}\t${h.name}`)].join('\n') + '\n'
    const known = await mapLimit(state.hosts, HOST_PARALLELISM, async (hs) => {
      const host = await createHost({
        prefix: plan.name,
        name: hs.name,
        addresses: [hs.cidr],
        hostname: hs.hostname,
        hostsFile,
        visiblePaths: [stateDir],
        users: users.map((u) => ({...u, authorizedKeys: `${clientPub}\n`})),
        packageRoot: opts.packageRoot,
        init: opts.init,
      })
      const publicKey = await startSshd(host, hs, sshd, paths.authorizedKeys)
      progress(`host ${hs.name} ${hs.address} up, sshd listening`)
      return {name: hs.name, address: hs.address, publicKey}
    })
    await writeFileSafeAsync(paths.knownHosts, renderKnownHosts(known))
    const login = users[0]?.name
    await writeFileSafeAsync(paths.sshConfig, renderSshConfig(plan, paths, login))
    await writeFileSafeAsync(paths.spec, renderLabSpec(plan, paths, login))
    progress(`spec written: ${paths.spec}`)
    if (engineEntry) await startEngines(state, engineEntry, progress, opts.engineTimeoutMs)
  } catch (e) {
    progress('bringing the lab up failed; removing what was made')
    // the rollback removes the state dir: the hosts' logs are kept beside it first, and the error points there
    const kept = await keepLogs(state).catch(() => undefined)
    if (kept) progress(`the hosts' logs are kept in ${kept}`)
    await labDown({name: plan.name, stateDir})
    throw kept ? pointIntoKeptLogs(e, stateDir, kept) : e
  }
  return {
    name: plan.name,
    stateDir,
    spec: paths.spec,
    sshConfig: paths.sshConfig,
    knownHosts: paths.knownHosts,
    identityFile: paths.identityFile,
    subnet: plan.subnet,
    control: plan.control,
    vip: plan.vip,
    engine: plan.engine,
    hosts: state.hosts.map((h) => ({name: h.name, address: h.address, netns: h.netns, hostname: h.hostname})),
  }
}

/** Where a failed `lab up` keeps its hosts' logs: beside the state dir, which its rollback removes. */
export function keptLogsDir(stateDir: string): string {
  return `${stateDir}.failed`
}

/** Copy every host's *.log into keptLogsDir (hosts/<name>/<file>, replacing an earlier copy); its path, or undefined when there was no log. */
async function keepLogs(state: LabState): Promise<string | undefined> {
  const dest = keptLogsDir(state.files.stateDir)
  await rm(dest, {recursive: true, force: true})
  let copied = 0
  for (const hs of state.hosts) {
    const dir = dirname(hs.sshdLog)
    const logs = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log'))
    if (logs.length === 0) continue
    await mkdir(join(dest, 'hosts', hs.name), {recursive: true, mode: 0o700})
    for (const f of logs) {
      await copyFile(join(dir, f), join(dest, 'hosts', hs.name, f))
      copied++
    }
  }
  if (copied === 0) {
    await rm(dest, {recursive: true, force: true})
    return undefined
  }
  return dest
}

/** The error with its `where` moved from a file the rollback removed to its kept copy. */
function pointIntoKeptLogs(e: unknown, stateDir: string, kept: string): unknown {
  if (!isHalError(e) || !e.where || !isAbsolute(e.where)) return e
  const rel = relative(stateDir, e.where)
  if (rel === '' || rel.startsWith('..')) return e
  return new HalError(e.code, e.message, {exitCode: e.exitCode, hint: e.hint, where: join(kept, rel), cause: e})
}

/** Tear a lab down: processes, namespaces, links, bridge, /etc/netns dirs, state. Safe to repeat and after a crash. */
export async function labDown(opts: {name: string; stateDir?: string; onProgress?: ProgressFn}): Promise<LabDownResult> {
  const progress = opts.onProgress ?? (() => undefined)
  requireRoot('halctl lab down')
  const state = await readLabState(opts.name, opts.stateDir)
  const prefix = state?.prefix ?? opts.name
  // sorted: `ip netns list` gives them in no stable order, and --json should not vary with it
  const removedHosts = (await listNetns()).filter((n) => n.startsWith(`${prefix}-`)).sort()
  if (state) await stopEngines(state, progress)
  await destroyPrefix(prefix)
  for (const h of removedHosts) progress(`removed host ${h}`)
  let stateDir: string | undefined
  const dir = state?.files.stateDir ?? resolve(opts.stateDir ?? defaultStateDir(opts.name))
  // only a directory that holds this lab's state file is removed
  if ((await readStateDir(dir))?.name === opts.name) {
    await rm(dir, {recursive: true, force: true})
    // the default parent (./.lab) goes too when this was its last lab
    if (basename(dirname(dir)) === '.lab') await rmdir(dirname(dir)).catch(() => undefined)
    stateDir = dir
    progress(`removed ${dir}`)
  }
  await removeLabRecord(opts.name)
  await rmdir(LAB_RECORD_DIR).catch(() => undefined)
  return {name: opts.name, found: state !== undefined, removedHosts, stateDir}
}

async function requireLab(name: string, stateDir?: string): Promise<LabState> {
  const state = await readLabState(name, stateDir)
  if (!state)
    throw new HalError('LAB_NOT_FOUND', `no lab named "${name}" is up`, {hint: `start one with \`halctl lab up --name ${name}\``})
  return state
}

async function hostStatus(state: LabState, hs: LabHostState): Promise<LabHostStatus> {
  const host = await findHost(state.prefix, hs.name)
  const base = {name: hs.name, address: hs.address, netns: hs.netns}
  if (!host) return {...base, present: false, sshd: 'down', keepalived: false, ...(hs.embedded ? {embedded: {running: false, instances: {}, log: hs.embedded.log}} : {}), vips: []}
  const sshdUp = (await isRunningInHost(host, hs.sshdPidFile)) && (await tcpReachable(hs.address, SSH_PORT, 1000))
  const ka = await execInHost(host, ['pidof', 'keepalived'], {reject: false})
  const addrs = await execInHost(host, ['ip', '-j', 'addr', 'show'], {reject: false})
  const vips: string[] = []
  if (addrs.exitCode === 0 && addrs.stdout.trim()) {
    for (const l of JSON.parse(addrs.stdout) as Array<{ifname: string; addr_info?: Array<{local: string; prefixlen: number; scope: string}>}>) {
      if (l.ifname === 'lo') continue
      for (const a of l.addr_info ?? []) if (a.scope === 'global' && a.local !== hs.address) vips.push(`${a.local}/${a.prefixlen}`)
    }
  }
  const embedded = hs.embedded ? await engineStatus(host, hs.embedded) : undefined
  return {...base, present: true, sshd: sshdUp ? 'up' : 'down', keepalived: ka.exitCode === 0 && ka.stdout.trim() !== '', ...(embedded ? {embedded} : {}), vips}
}

async function engineStatus(host: LabHost, files: NonNullable<LabHostState['embedded']>): Promise<LabEngineStatus> {
  // pids in the pid file are the host PID namespace's; it ends with its anchor
  const running = host.anchorPid !== undefined && (await isRunningInHost(host, files.pidFile))
  const pid = Number((await readFile(files.pidFile, 'utf8').catch(() => '')).trim())
  const status = running ? await readEngineStatus(files.statusSocketOutside) : undefined
  const instances = Object.fromEntries((status?.instances ?? []).map((i) => [i.name, String(i.state)]))
  return {running, ...(running && pid > 0 ? {pid} : {}), instances, log: files.log}
}

export async function labStatus(opts: {name: string; stateDir?: string}): Promise<LabStatusResult> {
  requireRoot('halctl lab status')
  const state = await requireLab(opts.name, opts.stateDir)
  const hosts = await Promise.all(state.hosts.map((h) => hostStatus(state, h)))
  return {
    name: state.name,
    stateDir: state.files.stateDir,
    subnet: state.subnet,
    control: state.control,
    vip: state.vip,
    engine: state.engine,
    hosts,
    vipHolders: hosts.filter((h) => h.vips.includes(state.vip)).map((h) => h.name),
  }
}

/** Find a lab host by node name, netns name, hostname or address. */
export async function resolveLabHost(opts: {name: string; stateDir?: string; node: string}): Promise<LabHost> {
  requireRoot('halctl lab exec')
  const state = await requireLab(opts.name, opts.stateDir)
  const hs = state.hosts.find((h) => [h.name, h.netns, h.hostname, h.address].includes(opts.node))
  if (!hs)
    throw new HalError('LAB_NO_NODE', `lab "${state.name}" has no node "${opts.node}"`, {hint: `nodes: ${state.hosts.map((h) => h.name).join(', ')}`})
  const host = await findHost(state.prefix, hs.name)
  if (!host)
    throw new HalError('LAB_HOST_GONE', `lab host ${hs.name} is gone (namespace ${hs.netns} missing)`, {
      exitCode: ExitCode.Environment,
      hint: `run \`halctl lab down --name ${state.name}\` and \`halctl lab up\` again`,
    })
  return host
}

/** argv that runs `argv` inside a lab host (for callers that manage the process themselves). */
export function labHostArgv(host: LabHost, argv: string[]): string[] {
  return [...hostCommandPrefix(host), ...argv]
}
