/**
 * Lab host primitives: a bridge in the root namespace and "hosts" on it.
 *
 * A host is a network namespace joined to the bridge by a veth (named eth0
 * inside), plus an anchor process that holds its own UTS (hostname), mount
 * and PID namespaces:
 *   - /etc/netns/<netns>/{keepalived,hostname,hosts,sysctl.d,default,...} are
 *     bind-mounted over /etc by `ip netns exec`, so those /etc paths are per host;
 *   - /run (and so /var/run) is a per-host directory, so pid files never collide;
 *   - /root is a fresh per-host home (from /etc/skel), so the machine's shell
 *     start-up files and keys stay out of the lab hosts;
 *   - processes started in the host (sshd, keepalived) see only the host's
 *     processes (`pidof keepalived` answers for this host alone);
 *   - optional login users (HostOptions.users): per-host passwd, group, shadow
 *     and sudoers.d in the /etc overlay, a home under the host's /run;
 *   - optionally an init system (HostOptions.init): PID 1 called init (SysV
 *     look, for Debian's `service`), or systemd itself;
 *   - an optional package root (HostOptions.packageRoot): copy-on-write
 *     overlays over /usr, /var and /etc in the host's mount namespace, so
 *     dpkg/apt inside the host change the host alone (see ANCHOR_SCRIPT).
 * Killing the anchor (PID 1 of the host's PID namespace) ends every process
 * in the host; destroyHost() also kills whatever remains in the netns.
 *
 * Every name is derived from a caller-chosen prefix, so several labs coexist:
 *   netns and root-side veth  <prefix>-<host>     bridge  <prefix>-br
 * All destroy functions are idempotent and work from names alone (after a crash).
 */
import {execa} from 'execa'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, chown, cp, mkdir, readdir, readFile, rm, rmdir, stat, symlink, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {LAB_SUDOERS_FILE, renderSudoers, renderUserTables, type LabSudo, type LabUserEntry} from './files.js'
import {bridgeName, checkNames, hostNetnsName, hostVethName} from './names.js'
import {bareAddress} from '../net/address.js'

/** Where `ip netns exec` finds per-namespace /etc overlays. */
export const NETNS_ETC = '/etc/netns'
/** Per-host /run directories live here, keyed by netns name. */
export const HOST_RUN_ROOT = '/run/halctl-lab/hosts'
/** Per-host home directories of root (bind-mounted over /root in the host), keyed by netns name. */
export const HOST_HOME_ROOT = '/run/halctl-lab/homes'
/** Mount points of the per-host package roots (a tmpfs in the host's mount namespace only), keyed by netns name. */
export const HOST_PKGROOT_ROOT = '/run/halctl-lab/pkgroot'
/** Where lab login users' homes are, inside a host (its own /run). */
export const USER_HOME_ROOT = '/run/home'
/** Directories a package root overlays copy-on-write. */
export const PACKAGE_ROOT_DIRS = ['usr', 'var', 'etc'] as const

/**
 * /etc entries made per host by default. Directories start as a copy of the
 * machine's (so /etc/default/keepalived is there as Debian ships it), except
 * keepalived/, which starts empty like a freshly installed package.
 * An entry is overlaid only when the machine has it: `ip netns exec` can bind
 * only over an existing path.
 */
export const DEFAULT_ETC_OVERLAY: ReadonlyArray<{name: string; copy: boolean}> = [
  {name: 'keepalived', copy: false},
  {name: 'sysctl.d', copy: true},
  {name: 'default', copy: true},
  {name: 'nftables.conf', copy: true},
  {name: 'iptables', copy: true},
  {name: 'rsyslog.d', copy: true},
  {name: 'logrotate.d', copy: true},
]

export function hostRunDir(netns: string): string {
  return join(HOST_RUN_ROOT, netns)
}

export function hostHomeDir(netns: string): string {
  return join(HOST_HOME_ROOT, netns)
}

export function hostPackageRootDir(netns: string): string {
  return join(HOST_PKGROOT_ROOT, netns)
}

export function requireRoot(what = 'the lab'): void {
  if (process.getuid?.() !== 0)
    throw new HalError('NEED_ROOT', `${what} needs root: it creates network namespaces, links and daemons`, {
      exitCode: ExitCode.Environment,
      hint: 'run it as root (sudo halctl ...)',
    })
}

async function ip(args: string[], opts: {reject?: boolean} = {}): Promise<{exitCode: number; stdout: string; stderr: string}> {
  const r = await execa('ip', args, {reject: false, timeout: 15_000})
  const res = {exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
  if (opts.reject !== false && res.exitCode !== 0)
    throw new HalError('LAB_IP_FAILED', `ip ${args.join(' ')} failed: ${res.stderr.trim() || `exit ${res.exitCode}`}`, {
      exitCode: ExitCode.Environment,
    })
  return res
}

async function linkExists(name: string, netns?: string): Promise<boolean> {
  const r = await ip([...(netns ? ['-n', netns] : []), 'link', 'show', 'dev', name], {reject: false})
  return r.exitCode === 0
}

export async function listNetns(): Promise<string[]> {
  const r = await ip(['-j', 'netns', 'list'], {reject: false})
  if (r.exitCode !== 0 || !r.stdout.trim()) return []
  return (JSON.parse(r.stdout) as Array<{name: string}>).map((n) => n.name)
}

export async function listLinks(): Promise<string[]> {
  const r = await ip(['-j', 'link', 'show'], {reject: false})
  if (r.exitCode !== 0 || !r.stdout.trim()) return []
  return (JSON.parse(r.stdout) as Array<{ifname: string}>).map((l) => l.ifname)
}

// ---------------------------------------------------------------- bridge

export interface BridgeOptions {
  /** control address(es) of the root namespace on the bridge, CIDR (e.g. 10.202.0.1/24, fd00:202::1/64) */
  controlAddresses: string[]
}

/** Create (or complete) the lab bridge with the control address(es); returns its name. */
export async function createBridge(prefix: string, opts: BridgeOptions): Promise<string> {
  checkNames(prefix)
  const br = bridgeName(prefix)
  if (!(await linkExists(br))) {
    await ip(['link', 'add', 'name', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'])
  }
  for (const a of opts.controlAddresses) {
    await ip(['addr', 'replace', a, 'dev', br, ...(a.includes(':') ? ['nodad'] : [])])
  }
  await ip(['link', 'set', br, 'up'])
  return br
}

export async function destroyBridge(prefix: string): Promise<void> {
  await ip(['link', 'del', bridgeName(prefix)], {reject: false})
}

// ---------------------------------------------------------------- hosts

/** Parents of the per-host directories (named by netns), for cleanup by name. */
const HOST_DIR_ROOTS = [NETNS_ETC, HOST_RUN_ROOT, HOST_HOME_ROOT, HOST_PKGROOT_ROOT]

export interface HostOptions {
  prefix: string
  /** short host name (lb1); the netns is <prefix>-<name> */
  name: string
  /** addresses on eth0, CIDR, IPv4 and/or IPv6 */
  addresses: string[]
  /** UTS hostname; default: name */
  hostname?: string
  /** /etc/hosts content; default: localhost lines and this host */
  hostsFile?: string
  /** /etc entries to make per host (default DEFAULT_ETC_OVERLAY) */
  etcOverlay?: ReadonlyArray<{name: string; copy: boolean}>
  /** machine paths the host must still see although they are under /root (e.g. the lab state dir) */
  visiblePaths?: string[]
  /** extra files to write into the host's /etc overlay: relative path under /etc -> content */
  etcFiles?: Record<string, string>
  /** login users besides root (uids not used on the machine; see allocateUserIds) */
  users?: HostUser[]
  /** copy-on-write /usr, /var and /etc for this host (packages can be installed and removed in it alone) */
  packageRoot?: boolean
  /**
   * 'sysv': the host's PID 1 is called init, so it looks like a SysV-init system
   * (Debian's `service` then runs the /etc/init.d scripts); 'systemd': the host's
   * PID 1 is systemd (booted into a target of its own, with /etc/systemd per host);
   * default: no init system
   */
  init?: HostInit
}

export type HostInit = 'none' | 'sysv' | 'systemd'
export const HOST_INITS: readonly HostInit[] = ['none', 'sysv', 'systemd']

/** The unit a systemd host boots into: nothing but itself. */
const SYSTEMD_TARGET = 'halctl-lab.target'
/**
 * Units a systemd host never starts: they would act on what the host shares with
 * the machine (/tmp, /var, kernel-wide sysctls, devices, the journal) or reconfigure
 * its network. keepalived.service gets DefaultDependencies=no, so sysinit.target
 * is not pulled in either.
 */
const SYSTEMD_MASKED = [
  'network-online.target',
  'systemd-tmpfiles-setup.service',
  'systemd-tmpfiles-setup-dev.service',
  'systemd-tmpfiles-clean.service',
  'systemd-tmpfiles-clean.timer',
  'systemd-sysctl.service',
  'systemd-modules-load.service',
  'systemd-udevd.service',
  'systemd-udev-trigger.service',
  'systemd-remount-fs.service',
  'systemd-journald.service',
  'systemd-journald.socket',
  'systemd-journald-dev-log.socket',
  'systemd-journal-flush.service',
]

/** A link named init to sh, in the host's run dir: the anchor started through it has /proc/1/comm "init". */
const sysvInitLink = (runDir: string): string => join(runDir, '.sbin', 'init')

export interface HostUser {
  name: string
  /** uid, and gid of the user's own group */
  uid: number
  sudo: LabSudo
  /** authorized_keys content for ~/.ssh/authorized_keys */
  authorizedKeys: string
}

/** A host as the primitives know it; all fields are derivable from prefix+name except anchorPid. */
export interface LabHost {
  prefix: string
  name: string
  netns: string
  /** root-namespace end of the veth on the bridge */
  veth: string
  hostname: string
  addresses: string[]
  /** pid (root namespace) of the anchor process that holds UTS/mount/PID namespaces */
  anchorPid?: number
  /** the host's /run, as seen from the root namespace */
  runDir: string
}

/**
 * Shell run as the anchor: set the hostname, make /run per-host, then wait forever reaping children.
 * With a package root ($pkg set): a tmpfs at $pkg (in this mount namespace only, so it
 * goes with the host) holds the upper and work dirs of overlays over /usr, /var and /etc.
 * An overlay does not show the mounts below its lower dir, so the per-host /etc entries
 * that `ip netns exec` bound are bound again on top, from the real /etc/netns/<netns>
 * (bound aside first: through the overlay they would copy up instead of staying shared
 * with the root namespace's view).
 */
const ANCHOR_SCRIPT = [
  'hostname "$1"; run=$2; home=$3; pkg=$4; ns=$5; init=$6; shift 6',
  'fail() { echo "$*" > "$run/.anchor-error"; exit 1; }',
  // paths under /root that must stay visible (e.g. a lab state dir) are carried over the home bind
  'i=0; for k in "$@"; do mkdir -p "$run/.keep$i" && mount --bind "$k" "$run/.keep$i"; i=$((i+1)); done',
  'if [ -n "$pkg" ]; then',
  '  mkdir -p "$pkg" && mount -t tmpfs -o mode=0755 halctl-pkgroot "$pkg" || fail "package root: cannot mount a tmpfs on $pkg"',
  '  mkdir -p "$pkg/netns-etc" && mount --bind "/etc/netns/$ns" "$pkg/netns-etc" || fail "package root: cannot bind /etc/netns/$ns"',
  `  for d in ${PACKAGE_ROOT_DIRS.join(' ')}; do`,
  '    mkdir -p "$pkg/$d/upper" "$pkg/$d/work" && chmod --reference="/$d" "$pkg/$d/upper" &&',
  '      mount -t overlay "halctl-$d" -o "lowerdir=/$d,upperdir=$pkg/$d/upper,workdir=$pkg/$d/work" "/$d" || fail "package root: overlay on /$d failed"',
  '  done',
  '  for e in $(ls -A "$pkg/netns-etc"); do [ -e "/etc/$e" ] || continue; mount --bind "$pkg/netns-etc/$e" "/etc/$e" || fail "package root: cannot bind /etc/$e again"; done',
  'fi',
  'mount --bind "$home" /root',
  'mount --rbind "$run" /run',
  'i=0; for k in "$@"; do mkdir -p "$k" && mount --bind "/run/.keep$i" "$k"; i=$((i+1)); done',
  'mkdir -p /run/sshd /run/lock',
  // systemd as PID 1: a cgroup hierarchy of its own, its boot target, the masked units
  'if [ "$init" = systemd ]; then',
  '  mount -t tmpfs -o mode=0755 halctl-cgroup /sys/fs/cgroup && mkdir -p /sys/fs/cgroup/systemd &&',
  '    mount -t cgroup -o none,name=systemd halctl-systemd /sys/fs/cgroup/systemd || fail "systemd: cannot mount a cgroup hierarchy for it"',
  '  u=/run/systemd/system; mkdir -p "$u/keepalived.service.d"',
  `  printf '[Unit]\\nDescription=halctl lab host\\nDefaultDependencies=no\\n' > "$u/${SYSTEMD_TARGET}"`,
  `  printf '[Unit]\\nDefaultDependencies=no\\n' > "$u/keepalived.service.d/halctl-lab.conf"`,
  `  for m in ${SYSTEMD_MASKED.join(' ')}; do ln -sf /dev/null "$u/$m"; done`,
  '  : > /run/.anchor-ready',
  `  exec /lib/systemd/systemd --system --unit=${SYSTEMD_TARGET}`,
  'fi',
  ': > /run/.anchor-ready',
  "trap 'exit 0' TERM INT",
  'while :; do sleep 3600 & wait $!; done',
].join('\n')

function defaultHostsFile(hostname: string, addresses: string[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']
  for (const a of addresses) lines.push(`${bareAddress(a)}\t${hostname}`)
  return lines.join('\n') + '\n'
}

/** A copy of a machine file with its owner and mode, new content. */
async function writeLike(src: string, dst: string, content: string): Promise<void> {
  const st = await stat(src)
  await writeFile(dst, content, {mode: st.mode & 0o7777})
  await chmod(dst, st.mode & 0o7777)
  await chown(dst, st.uid, st.gid)
}

/** Per-host passwd, group, shadow (machine's + the users) and sudoers.d (machine's + the lab's file). */
async function prepareUserEtc(dir: string, users: LabUserEntry[]): Promise<void> {
  const read = (f: string) => readFile(join('/etc', f), 'utf8')
  const tables = renderUserTables({passwd: await read('passwd'), group: await read('group'), shadow: await read('shadow')}, users)
  for (const f of ['passwd', 'group', 'shadow'] as const) await writeLike(join('/etc', f), join(dir, f), tables[f])
  const sudoersD = join(dir, 'sudoers.d')
  if (existsSync('/etc/sudoers.d')) await cp('/etc/sudoers.d', sudoersD, {recursive: true, preserveTimestamps: true})
  else await mkdir(sudoersD, {recursive: true, mode: 0o755})
  // sudo reads only root-owned files of mode 0440 (or stricter) from sudoers.d
  await writeFile(join(sudoersD, LAB_SUDOERS_FILE), renderSudoers(users), {mode: 0o440})
  await chmod(join(sudoersD, LAB_SUDOERS_FILE), 0o440)
}

/** Homes under the host's /run, shaped so sshd's StrictModes accepts them: owned by the user, 0755, .ssh 0700, authorized_keys 0600. */
async function prepareUserHomes(runDir: string, users: HostUser[]): Promise<void> {
  const root = join(runDir, USER_HOME_ROOT.replace(/^\/run\//, ''))
  await mkdir(root, {recursive: true, mode: 0o755})
  for (const u of users) {
    const home = join(root, u.name)
    const ssh = join(home, '.ssh')
    const keys = join(ssh, 'authorized_keys')
    await mkdir(ssh, {recursive: true})
    await writeFile(keys, u.authorizedKeys)
    for (const [p, mode] of [[home, 0o755], [ssh, 0o700], [keys, 0o600]] as const) {
      await chmod(p, mode)
      await chown(p, u.uid, u.uid)
    }
  }
}

function userEntries(users: HostUser[]): LabUserEntry[] {
  return users.map((u) => ({name: u.name, uid: u.uid, sudo: u.sudo, home: `${USER_HOME_ROOT}/${u.name}`}))
}

async function prepareEtcOverlay(netns: string, opts: HostOptions, hostname: string): Promise<void> {
  const dir = join(NETNS_ETC, netns)
  await mkdir(dir, {recursive: true})
  // a systemd host enables units in its own /etc/systemd
  const entries = [...(opts.etcOverlay ?? DEFAULT_ETC_OVERLAY), ...(opts.init === 'systemd' ? [{name: 'systemd', copy: true}] : [])]
  for (const e of entries) {
    const src = join('/etc', e.name)
    const dst = join(dir, e.name)
    if (!existsSync(src) || existsSync(dst)) continue
    if (e.copy) await cp(src, dst, {recursive: true, preserveTimestamps: true})
    else await mkdir(dst, {recursive: true})
  }
  await writeFile(join(dir, 'hostname'), `${hostname}\n`)
  await writeFile(join(dir, 'hosts'), opts.hostsFile ?? defaultHostsFile(hostname, opts.addresses))
  for (const [rel, content] of Object.entries(opts.etcFiles ?? {})) {
    const p = join(dir, rel)
    await mkdir(join(p, '..'), {recursive: true})
    await writeFile(p, content)
  }
  if (opts.users?.length) await prepareUserEtc(dir, userEntries(opts.users))
}

/** Start the anchor in the netns and return its root-namespace pid once the host is ready. */
async function startAnchor(netns: string, hostname: string, runDir: string, homeDir: string, pkgDir: string, keep: string[], init: HostInit): Promise<number> {
  let shell = 'sh'
  if (init === 'sysv') {
    shell = sysvInitLink(runDir)
    await mkdir(dirname(shell), {recursive: true})
    if (!existsSync(shell)) await symlink('/bin/sh', shell)
  }
  const args = ['netns', 'exec', netns, 'unshare', '--uts', '--pid', '--fork', '--mount-proc', shell, '-c', ANCHOR_SCRIPT, 'anchor', hostname, runDir, homeDir, pkgDir, netns, init, ...keep]
  const child = spawn('ip', args, {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
  const unsharePid = child.pid
  if (!unsharePid) throw new HalError('LAB_ANCHOR', `could not start the anchor of ${netns}`, {exitCode: ExitCode.Environment})
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const kids = await readFile(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').catch(() => '')
    const pid = Number(kids.trim().split(/\s+/)[0])
    if (pid > 0 && existsSync(join(runDir, '.anchor-ready'))) {
      await writeFile(join(runDir, 'anchor.pid'), `${pid}\n`)
      return pid
    }
    if (child.exitCode !== null) break
    await sleep(20)
  }
  const why = (await readFile(join(runDir, '.anchor-error'), 'utf8').catch(() => '')).trim()
  throw new HalError('LAB_ANCHOR', `the anchor process of ${netns} did not come up${why ? `: ${why}` : ''}`, {
    exitCode: ExitCode.Environment,
    hint: 'check that unshare (util-linux) supports --uts --pid --mount-proc on this kernel',
  })
}

/** Read the anchor pid recorded for a netns; undefined when the anchor is gone. */
export async function readAnchorPid(netns: string): Promise<number | undefined> {
  const raw = await readFile(join(hostRunDir(netns), 'anchor.pid'), 'utf8').catch(() => '')
  const pid = Number(raw.trim())
  if (!(pid > 0)) return undefined
  // the pid must still be a process inside this netns
  const r = await ip(['netns', 'pids', netns], {reject: false})
  return r.stdout.split(/\s+/).includes(String(pid)) ? pid : undefined
}

/**
 * Create a host: netns, veth into the bridge (eth0 inside), addresses, lo up,
 * per-host /etc overlay and /run, hostname, anchor process. The bridge must exist.
 */
export async function createHost(opts: HostOptions): Promise<LabHost> {
  checkNames(opts.prefix, [opts.name])
  const netns = hostNetnsName(opts.prefix, opts.name)
  const veth = hostVethName(opts.prefix, opts.name)
  const hostname = opts.hostname ?? opts.name
  const runDir = hostRunDir(netns)
  const br = bridgeName(opts.prefix)
  if (!(await linkExists(br)))
    throw new HalError('LAB_NO_BRIDGE', `bridge ${br} does not exist`, {exitCode: ExitCode.Environment, hint: 'call createBridge first'})
  await destroyHost(opts.prefix, opts.name)
  try {
    await prepareEtcOverlay(netns, opts, hostname)
    await mkdir(runDir, {recursive: true})
    const homeDir = hostHomeDir(netns)
    await mkdir(homeDir, {recursive: true, mode: 0o700})
    if (existsSync('/etc/skel')) await cp('/etc/skel', homeDir, {recursive: true})
    if (opts.users?.length) await prepareUserHomes(runDir, opts.users)
    await ip(['netns', 'add', netns])
    await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns])
    await ip(['link', 'set', veth, 'master', br])
    await ip(['link', 'set', veth, 'up'])
    await ip(['-n', netns, 'link', 'set', 'lo', 'up'])
    for (const a of opts.addresses) await ip(['-n', netns, 'addr', 'add', a, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : [])])
    await ip(['-n', netns, 'link', 'set', 'eth0', 'up'])
    const keep = (opts.visiblePaths ?? []).map((p) => resolve(p)).filter((p) => p.startsWith('/root/') && existsSync(p))
    const anchorPid = await startAnchor(netns, hostname, runDir, homeDir, opts.packageRoot ? hostPackageRootDir(netns) : '', keep, opts.init ?? 'none')
    const host: LabHost = {prefix: opts.prefix, name: opts.name, netns, veth, hostname, addresses: [...opts.addresses], anchorPid, runDir}
    if (opts.init === 'systemd') await waitForSystemd(host)
    return host
  } catch (e) {
    await destroyHost(opts.prefix, opts.name)
    throw e
  }
}

/** Bounded wait until the host's systemd answers systemctl (booted into its target). */
async function waitForSystemd(host: LabHost): Promise<void> {
  let state = ''
  for (let i = 0; i < 100; i++) {
    state = (await execInHost(host, ['systemctl', 'is-system-running'], {reject: false, timeoutMs: 5000})).stdout.trim()
    if (['running', 'degraded', 'maintenance'].includes(state)) return
    await sleep(100)
  }
  throw new HalError('LAB_SYSTEMD', `systemd on ${host.name} did not come up (systemctl is-system-running: ${state || 'no answer'})`, {
    exitCode: ExitCode.Environment,
    hint: 'systemd needs to mount a cgroup hierarchy of its own; use --init none or sysv where it cannot',
  })
}

/** A LabHost from names alone (for a lab made by another process), with its anchor when alive. */
export async function findHost(prefix: string, name: string): Promise<LabHost | undefined> {
  const netns = hostNetnsName(prefix, name)
  if (!(await listNetns()).includes(netns)) return undefined
  const r = await ip(['-j', '-n', netns, 'addr', 'show', 'dev', 'eth0'], {reject: false})
  const addresses: string[] = []
  if (r.exitCode === 0 && r.stdout.trim()) {
    for (const l of JSON.parse(r.stdout) as Array<{addr_info?: Array<{local: string; prefixlen: number; scope: string}>}>)
      for (const a of l.addr_info ?? []) if (a.scope === 'global') addresses.push(`${a.local}/${a.prefixlen}`)
  }
  const hostname = (await readFile(join(NETNS_ETC, netns, 'hostname'), 'utf8').catch(() => name)).trim()
  return {prefix, name, netns, veth: hostVethName(prefix, name), hostname, addresses, anchorPid: await readAnchorPid(netns), runDir: hostRunDir(netns)}
}

/** argv prefix that runs a command inside the host (its netns, /etc overlay, /run, hostname, PID namespace). */
export function hostCommandPrefix(host: Pick<LabHost, 'netns' | 'anchorPid'>): string[] {
  if (host.anchorPid) return ['nsenter', '-t', String(host.anchorPid), '-m', '-u', '-n', '-p', '--']
  return ['ip', 'netns', 'exec', host.netns]
}

export interface HostExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Run argv inside the host and wait for it. Rejects with a HalError on non-zero exit unless reject: false. */
export async function execInHost(
  host: Pick<LabHost, 'netns' | 'anchorPid' | 'name'>,
  argv: string[],
  opts: {input?: string; timeoutMs?: number; reject?: boolean} = {},
): Promise<HostExecResult> {
  const cmd = [...hostCommandPrefix(host), ...argv]
  const r = await execa(cmd[0], cmd.slice(1), {reject: false, input: opts.input, timeout: opts.timeoutMs ?? 30_000, stdin: opts.input === undefined ? 'ignore' : undefined})
  const res = {stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1}
  if (opts.reject !== false && res.exitCode !== 0)
    throw new HalError('LAB_EXEC_FAILED', `${argv.join(' ')} failed on lab host ${host.name} (exit ${res.exitCode}): ${res.stderr.trim().split('\n').slice(-3).join(' / ')}`, {
      exitCode: ExitCode.Environment,
      where: host.name,
    })
  return res
}

/**
 * Start a long-running process in the host, detached, its stdout/stderr to
 * logFile, its pid (as seen inside the host) written to pidFile. Both paths are
 * as seen from inside the host; paths under the state dir look the same inside.
 */
export async function startInHost(
  host: Pick<LabHost, 'netns' | 'anchorPid' | 'name'>,
  argv: string[],
  opts: {pidFile: string; logFile?: string},
): Promise<number> {
  const script = 'log=$1; pidf=$2; shift 2; "$@" >"$log" 2>&1 </dev/null & echo $! >"$pidf"'
  await execInHost(host, ['sh', '-c', script, 'start', opts.logFile ?? '/dev/null', opts.pidFile, ...argv])
  const r = await execInHost(host, ['cat', opts.pidFile])
  return Number(r.stdout.trim())
}

/** Signal the process whose pid is in pidFile inside the host; true when it was running. */
export async function stopInHost(
  host: Pick<LabHost, 'netns' | 'anchorPid' | 'name'>,
  pidFile: string,
  signal = 'TERM',
): Promise<boolean> {
  const r = await execInHost(host, ['sh', '-c', 'p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && kill -s "$2" "$p"', 'stop', pidFile, signal], {reject: false})
  return r.exitCode === 0
}

/** True when the pid in pidFile (inside the host) is a live process. */
export async function isRunningInHost(host: Pick<LabHost, 'netns' | 'anchorPid' | 'name'>, pidFile: string): Promise<boolean> {
  const r = await execInHost(host, ['sh', '-c', 'p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p"', 'alive', pidFile], {reject: false})
  return r.exitCode === 0
}

async function killNetnsProcesses(netns: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await ip(['netns', 'pids', netns], {reject: false})
    const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((p) => p > 0 && p !== process.pid)
    if (r.exitCode !== 0 || pids.length === 0) return
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await sleep(40)
  }
}

/**
 * Remove one host: its processes, netns, veth, /etc/netns dir and /run dir. Safe to repeat.
 * A package root's tmpfs and overlays exist only in the host's mount namespace:
 * they are unmounted when its last process is gone; its empty mount point is removed here.
 */
export async function destroyHost(prefix: string, name: string): Promise<void> {
  const netns = hostNetnsName(prefix, name)
  if ((await listNetns()).includes(netns)) {
    await killNetnsProcesses(netns)
    await ip(['netns', 'del', netns], {reject: false})
  }
  await ip(['link', 'del', hostVethName(prefix, name)], {reject: false})
  await rm(join(NETNS_ETC, netns), {recursive: true, force: true})
  await rm(hostRunDir(netns), {recursive: true, force: true})
  await rm(hostHomeDir(netns), {recursive: true, force: true})
  await rm(hostPackageRootDir(netns), {recursive: true, force: true})
  // the shared parents go when empty (rmdir refuses otherwise, so other labs are unaffected)
  for (const d of HOST_DIR_ROOTS) await rmdir(d).catch(() => undefined)
}

/** Remove every host, link, /etc/netns dir and /run dir named <prefix>-*, and the bridge. */
export async function destroyPrefix(prefix: string): Promise<void> {
  checkNames(prefix)
  const start = `${prefix}-`
  const names = new Set<string>()
  for (const n of await listNetns()) if (n.startsWith(start)) names.add(n.slice(start.length))
  for (const d of HOST_DIR_ROOTS) {
    for (const n of await readdir(d).catch(() => [] as string[])) if (n.startsWith(start)) names.add(n.slice(start.length))
  }
  for (const n of names) await destroyHost(prefix, n)
  for (const l of await listLinks()) if (l.startsWith(start)) await ip(['link', 'del', l], {reject: false})
  await destroyBridge(prefix)
}
