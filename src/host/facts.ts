import {createHash} from 'node:crypto'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost} from '../remote/types.js'
import {daemonTarget, type DaemonTarget} from './daemon.js'
import {SERVICE_MANAGER_SH, type InitSystem} from './service-manager.js'
import type {DaemonPathsSpec} from '../spec/schema.js'
import {DAEMON_DEFAULTS, DISTRO_PID_FILE, IPTABLES_CHAIN, IPTABLES_FILE, IPTABLES_SAVE_CANDIDATES, KEEPALIVED_CONF, KEEPALIVED_DIR, NFT_CONF_CANDIDATES, NFT_FILE, NFT_TABLE, RSYSLOG_DROP_IN, SYSCTL_FILE, pidFiles} from './paths.js'

export type PackageManager = 'apt' | 'dnf' | 'yum' | 'none'
export type {InitSystem} from './service-manager.js'
export type FirewallKind = 'firewalld' | 'nftables' | 'iptables' | 'none'

export interface FirewalldState {
  defaultZone?: string
  /** active zone -> the interfaces bound to it */
  zoneInterfaces: Record<string, string[]>
  /** zone (the default and every active one) -> its permanent rich rules, as firewall-cmd lists them */
  richRules: Record<string, string[]>
}

export interface InterfaceFacts {
  name: string
  up: boolean
  /** "addr/prefix" */
  addresses: string[]
}

export interface NodeFacts {
  hostname: string
  os: {id: string; versionId: string; family: 'debian' | 'rhel' | 'other'}
  packageManager: PackageManager
  init: InitSystem
  firewall: FirewallKind
  /**
   * args: the running main process's command line (from /proc), when it could be read;
   * binary: the keepalived found (PATH, then /usr/local and /usr/sbin: source installs);
   * configFile: the file the daemon reads when it is not the default one, and where that was read
   */
  keepalived: {
    installed: boolean
    version?: string
    running: boolean
    pid?: number
    args?: string[]
    binary?: string
    configFile?: {path: string; from: 'process arguments' | 'options file' | 'unit ExecStart' | 'source install default'}
  }
  /** the binary and config file deploy targets and status compares (the spec's keepalived paths, else what the daemon reads) */
  daemon: DaemonTarget
  rsyslog: {installed: boolean; running: boolean}
  ipvsadmInstalled: boolean
  /** commands generated scripts need (arping, tcpdump, curl), by name -> path; absent: not installed */
  tools?: Record<string, string>
  /** which arping: iputils (`arping -D` exits 1 on an answer) or Habets' (exits 0 on an answer) */
  arping?: 'iputils' | 'habets' | 'unknown'
  /** the kernel has IPVS (loaded, built in, or as a module keepalived can load); undefined: not reported */
  ipvsKernel?: boolean
  interfaces: InterfaceFacts[]
  /** sha256 and mode (octal string) of each watched file that exists, by path */
  files: Record<string, {sha256: string; mode: string}>
  /** sha256 of every file under /etc/keepalived (halctl's staging and backups left out), by path */
  keepalivedDir: Record<string, string>
  sysctls: Record<string, string>
  /** nftConf: the boot-time nftables file found (undefined: none, so no persistence) */
  firewallState: {
    nftTable: boolean
    nftConf?: string
    nftPersisted: boolean
    iptablesChain: boolean
    iptablesJump: boolean
    /** boot-time iptables-save files found, per family */
    iptablesSave: {ipv4?: string; ipv6?: string}
    /** a running firewalld: its zones and their permanent rich rules */
    firewalld: FirewalldState
    /**
     * the host's input filtering could drop VRRP (an input hook chain with policy
     * drop, or a drop/reject rule in one; iptables: INPUT policy DROP or a DROP/REJECT
     * rule); false: nothing in it drops (an empty ruleset, accept-only chains); undefined: not read
     */
    mayDropVrrp?: boolean
  }
  /** current keepalived.conf text (undefined when absent) */
  currentConfig?: string
  /** read only when the spec asks for logging: the daemon options file and halctl's rsyslog drop-in (text undefined: absent) */
  logging?: {defaults?: string; dropIn?: string}
}

/**
 * One batched script reads every fact deploy needs. It is a constant: values
 * from the spec arrive only as positional arguments ("$@"), quoted by
 * src/remote/shell.ts, never spliced into the script text.
 * $1 = halctl pid file, $2 = the spec's keepalived binary (or ""), rest = files to hash.
 */
export const FACTS_SCRIPT = `
pidfile="$1"; kspec="$2"; shift 2
sec() { printf '\\n@@%s\\n' "$1"; }
sec os; cat /etc/os-release 2>/dev/null
sec hostname; uname -n
sec pm; for p in apt-get dnf yum; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done
${SERVICE_MANAGER_SH}
init=$(service_manager)
sec init; echo "$init"
fwd=; command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1 && fwd=running
sec firewall
if [ -n "$fwd" ]; then echo firewalld
elif command -v nft >/dev/null 2>&1; then echo nftables
elif command -v iptables >/dev/null 2>&1; then echo iptables
else echo none; fi
kb=$kspec; [ -n "$kb" ] || kb=$(command -v keepalived 2>/dev/null)
if [ -z "$kb" ]; then for c in /usr/local/sbin/keepalived /usr/local/bin/keepalived /usr/sbin/keepalived /sbin/keepalived; do [ -x "$c" ] && { kb=$c; break; }; done; fi
sec keepalived; [ -n "$kb" ] && "$kb" --version 2>&1 | head -n 1
sec kbin; [ -n "$kb" ] && echo "$kb"
sec kopts; grep -hsE '^[[:space:]]*(DAEMON_ARGS|KEEPALIVED_OPTIONS)=' /etc/default/keepalived /etc/sysconfig/keepalived
if [ "$init" = systemd ]; then echo "unit $(systemctl show -p ExecStart --value keepalived 2>/dev/null | head -c 2000 | tr '\n' ' ')"; fi
sec ipvsadm; command -v ipvsadm 2>/dev/null
sec tools; for t in arping tcpdump curl; do p=$(command -v "$t" 2>/dev/null) && echo "$t $p"; done
if command -v arping >/dev/null 2>&1; then
  if arping -V 2>&1 </dev/null | grep -qi iputils; then echo "arping-flavour iputils"
  elif arping --help 2>&1 </dev/null | grep -qi habets; then echo "arping-flavour habets"
  else echo "arping-flavour unknown"; fi
fi
sec ipvskernel; m=/lib/modules/$(uname -r)
if [ -e /proc/net/ip_vs ] || [ -d /sys/module/ip_vs ] || grep -qs '/ip_vs\\.ko' "$m/modules.dep" "$m/modules.builtin"; then echo yes; else echo no; fi
sec running
cl() { tr '\\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }
if [ "$init" = systemd ]; then
  systemctl is-active --quiet keepalived && { p=$(systemctl show -p MainPID --value keepalived 2>/dev/null); echo "systemd $p $(cl "$p")"; }
fi
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then p=$(cat "$pidfile"); echo "pidfile $p $(cl "$p")"; fi
if [ -s ${DISTRO_PID_FILE} ] && kill -0 "$(cat ${DISTRO_PID_FILE})" 2>/dev/null; then p=$(cat ${DISTRO_PID_FILE}); echo "default $p $(cl "$p")"; fi
sec rsyslog; command -v rsyslogd >/dev/null 2>&1 && echo installed
if [ "$init" = systemd ]; then systemctl is-active --quiet rsyslog && echo running
elif [ -s /run/rsyslogd.pid ] && kill -0 "$(cat /run/rsyslogd.pid)" 2>/dev/null; then echo running; fi
sec addr; ip -j addr 2>/dev/null
sec files; for f in "$@"; do [ -f "$f" ] && printf '%s %s %s\\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %a "$f")" "$f"; done
sec kdir; [ -d ${KEEPALIVED_DIR} ] && find ${KEEPALIVED_DIR} -maxdepth 3 -type f ! -path '*/.halctl-*' -exec sha256sum {} + 2>/dev/null
sec sysctl; for k in net.ipv4.ip_forward net.ipv4.ip_nonlocal_bind net.ipv6.ip_nonlocal_bind; do printf '%s=%s\\n' "$k" "$(sysctl -n "$k" 2>/dev/null)"; done
sec nft; command -v nft >/dev/null 2>&1 && nft list table inet ${NFT_TABLE} >/dev/null 2>&1 && echo present
for c in ${NFT_CONF_CANDIDATES.join(' ')}; do if [ -f "$c" ]; then echo "conf $c"; grep -qsF '${NFT_FILE}' "$c" && echo persisted; break; fi; done
sec iptables; if command -v iptables >/dev/null 2>&1; then iptables -S ${IPTABLES_CHAIN} >/dev/null 2>&1 && echo chain; iptables -C INPUT -j ${IPTABLES_CHAIN} >/dev/null 2>&1 && echo jump; fi
for c in ${IPTABLES_SAVE_CANDIDATES.ipv4.join(' ')}; do [ -f "$c" ] && { echo "save4 $c"; break; }; done
for c in ${IPTABLES_SAVE_CANDIDATES.ipv6.join(' ')}; do [ -f "$c" ] && { echo "save6 $c"; break; }; done
sec nftinput; command -v nft >/dev/null 2>&1 && nft list ruleset 2>/dev/null | head -c 200000
sec iptinput; command -v iptables >/dev/null 2>&1 && iptables -S INPUT 2>/dev/null | head -n 2000
sec firewalld
if [ -n "$fwd" ]; then
  d=$(firewall-cmd --get-default-zone 2>/dev/null); echo "default $d"
  act=$(firewall-cmd --get-active-zones 2>/dev/null)
  z=; printf '%s\\n' "$act" | while read -r a b; do case "$a" in '') ;; interfaces:) echo "zone $z $b";; *:) ;; *) z=$a; echo "zone $z";; esac; done
  for z in $d $(printf '%s\\n' "$act" | grep -v '^[[:space:]]' | cut -d' ' -f1); do firewall-cmd --permanent --zone="$z" --list-rich-rules 2>/dev/null | sed "s/^/rich $z /"; done
fi
sec end
`

/** $1 = a file: "sha256 mode path" when it is a regular file. */
const HASH_SCRIPT = `[ -f "$1" ] && printf '%s %s %s\\n' "$(sha256sum < "$1" | cut -d' ' -f1)" "$(stat -c %a "$1")" "$1"; exit 0`

/** Files whose hash deploy compares: the config, the scripts, and halctl's own firewall/sysctl files. */
export function watchedFiles(scriptPaths: string[], config = KEEPALIVED_CONF): string[] {
  return [...new Set([KEEPALIVED_CONF, config]), SYSCTL_FILE, NFT_FILE, IPTABLES_FILE, RSYSLOG_DROP_IN, DAEMON_DEFAULTS.debian.path, DAEMON_DEFAULTS.rhel.path, ...scriptPaths]
}

export function factsArgv(nodeName: string, scriptPaths: string[], daemon?: DaemonPathsSpec): string[] {
  return ['sh', '-c', FACTS_SCRIPT, 'halctl-facts', pidFiles(nodeName).main, daemon?.binary ?? '', ...watchedFiles(scriptPaths, daemon?.config)]
}

function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let cur: string[] | undefined
  for (const line of output.split('\n')) {
    const m = /^@@(\w+)$/.exec(line)
    if (m) {
      cur = []
      out.set(m[1], cur)
    } else if (cur && line !== '') cur.push(line)
  }
  return out
}

export function parseOsRelease(lines: string[]): NodeFacts['os'] {
  const kv: Record<string, string> = {}
  for (const l of lines) {
    const m = /^(\w+)=(.*)$/.exec(l)
    if (m) kv[m[1]] = m[2].replace(/^"(.*)"$/, '$1')
  }
  const id = kv.ID ?? 'unknown'
  const like = `${id} ${kv.ID_LIKE ?? ''}`
  const family = /debian|ubuntu/.test(like) ? 'debian' : /rhel|fedora|centos/.test(like) ? 'rhel' : 'other'
  return {id, versionId: kv.VERSION_ID ?? '', family}
}

interface IpJsonAddr {
  ifname: string
  flags?: string[]
  addr_info?: {family: string; local: string; prefixlen: number}[]
}

/** `ip -j addr` -> interfaces with their addresses. */
export function parseIpAddrJson(text: string): InterfaceFacts[] {
  if (!text.trim()) return []
  let data: IpJsonAddr[]
  try {
    data = JSON.parse(text) as IpJsonAddr[]
  } catch {
    return []
  }
  return data.map((i) => ({
    name: i.ifname,
    up: (i.flags ?? []).includes('UP'),
    addresses: (i.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  }))
}

export function parseKeepalivedVersion(line: string | undefined): string | undefined {
  return line ? /Keepalived v(\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1] : undefined
}

/** Parse the output of FACTS_SCRIPT (pure; unit-tested on captured outputs). */
export function parseFacts(output: string, currentConfig?: string, daemon?: DaemonPathsSpec): NodeFacts {
  const s = sections(output)
  const get = (k: string): string[] => s.get(k) ?? []
  if (!s.has('end')) throw new HalError('FACTS_INCOMPLETE', 'the facts script did not finish', {exitCode: ExitCode.Remote})
  const pm = get('pm')
  const packageManager: PackageManager = pm.includes('apt-get') ? 'apt' : pm.includes('dnf') ? 'dnf' : pm.includes('yum') ? 'yum' : 'none'
  const version = parseKeepalivedVersion(get('keepalived')[0])
  const init = (get('init')[0] as InitSystem | undefined) ?? 'none'
  // which evidence counts depends on the init system: without one, only halctl's own
  // pid file (another keepalived on the machine, e.g. a lab neighbour, is not ours)
  const source = init === 'systemd' ? 'systemd' : init === 'sysv' ? 'default' : 'pidfile'
  const line = get('running').find((l) => l.split(' ')[0] === source)
  const running = line !== undefined
  const pidNum = line ? Number(line.split(' ')[1]) : NaN
  const pid = Number.isInteger(pidNum) && pidNum > 0 ? pidNum : undefined
  const cmdline = line ? line.split(' ').slice(2).filter(Boolean) : []
  const args = cmdline.length ? cmdline : undefined
  const files: NodeFacts['files'] = {}
  for (const l of get('files')) {
    const m = /^([0-9a-f]{64}) (\d+) (.+)$/.exec(l)
    if (m) files[m[3]] = {sha256: m[1], mode: m[2]}
  }
  const keepalivedDir: Record<string, string> = {}
  for (const l of get('kdir')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(l)
    if (m) keepalivedDir[m[2]] = m[1]
  }
  const sysctls: Record<string, string> = {}
  for (const l of get('sysctl')) {
    const i = l.indexOf('=')
    if (i > 0 && l.slice(i + 1) !== '') sysctls[l.slice(0, i)] = l.slice(i + 1)
  }
  const ipt = get('iptables')
  const keepalived = {installed: version !== undefined, version, running, pid, ...(args ? {args} : {}), ...daemonPaths(args, get('kbin')[0], get('kopts'))}
  return {
    hostname: get('hostname')[0] ?? '',
    os: parseOsRelease(get('os')),
    packageManager,
    init,
    firewall: (get('firewall')[0] as FirewallKind) ?? 'none',
    keepalived,
    daemon: daemonTarget(daemon, keepalived),
    rsyslog: {installed: get('rsyslog').includes('installed'), running: get('rsyslog').includes('running')},
    ipvsadmInstalled: get('ipvsadm').length > 0,
    ...(s.has('tools') ? parseTools(get('tools')) : {}),
    ...(get('ipvskernel')[0] ? {ipvsKernel: get('ipvskernel')[0] === 'yes'} : {}),
    interfaces: parseIpAddrJson(get('addr').join('\n')),
    files,
    keepalivedDir,
    sysctls,
    firewallState: {
      nftTable: get('nft').includes('present'),
      nftConf: get('nft').find((l) => l.startsWith('conf '))?.slice(5),
      nftPersisted: get('nft').includes('persisted'),
      iptablesChain: ipt.includes('chain'),
      iptablesJump: ipt.includes('jump'),
      iptablesSave: {
        ipv4: ipt.find((l) => l.startsWith('save4 '))?.slice(6),
        ipv6: ipt.find((l) => l.startsWith('save6 '))?.slice(6),
      },
      firewalld: parseFirewalld(get('firewalld')),
      ...mayDrop(s, (get('firewall')[0] as FirewallKind) ?? 'none'),
    },
    currentConfig,
  }
}

function mayDrop(s: Map<string, string[]>, kind: FirewallKind): {mayDropVrrp?: boolean} {
  if (kind === 'nftables' && s.has('nftinput')) return {mayDropVrrp: nftMayDrop(s.get('nftinput') ?? [])}
  if (kind === 'iptables' && s.has('iptinput')) return {mayDropVrrp: iptablesMayDrop(s.get('iptinput') ?? [])}
  return {}
}

/** `nft list ruleset`: could an input hook chain drop VRRP (policy drop, a drop or reject rule)? Conservative. Pure. */
export function nftMayDrop(lines: string[]): boolean {
  let input = false
  for (const l of lines) {
    const t = l.trim()
    if (/^chain\s/.test(t)) input = false
    if (/\bhook\s+input\b/.test(t)) {
      input = true
      if (/\bpolicy\s+drop\b/.test(t)) return true
      continue
    }
    if (input && /\b(drop|reject)\b/.test(t)) return true
  }
  return false
}

/** `iptables -S INPUT`: policy DROP, or a rule jumping to DROP/REJECT (or to a chain: unknown, so may drop). Pure. */
export function iptablesMayDrop(lines: string[]): boolean {
  return lines.some((l) => /^-P INPUT DROP\b/.test(l) || (/^-A INPUT\b/.test(l) && /-j\s+(?!ACCEPT\b|HALCTL-VRRP\b|LOG\b|RETURN\b)\S+/.test(l)))
}

/** The config file an argv names with -f/--use-file (undefined: none). Pure. */
export function configFileArg(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-f' || a === '--use-file') return args[i + 1]
    if (a.startsWith('--use-file=')) return a.slice('--use-file='.length)
    if (/^-f./.test(a)) return a.slice(2)
  }
  return undefined
}

/**
 * Which keepalived binary and config file the daemon uses: its own argv when
 * it runs, else the options file (DAEMON_ARGS / KEEPALIVED_OPTIONS), else the
 * unit's ExecStart; a source install under /usr/local reads
 * /usr/local/etc/keepalived/keepalived.conf by default. configFile is only set
 * when it is not the standard one. Pure.
 */
export function daemonPaths(args: string[] | undefined, found: string | undefined, opts: string[]): Pick<NodeFacts['keepalived'], 'binary' | 'configFile'> {
  const argv0 = args?.[0]?.startsWith('/') ? args[0] : undefined
  const binary = argv0 ?? found
  const words = (l: string): string[] => l.replace(/^[^=]*=/, '').replace(/["';{}]/g, ' ').split(/\s+/).filter(Boolean)
  let configFile: NonNullable<NodeFacts['keepalived']['configFile']> | undefined
  const fromArgs = args ? configFileArg(args) : undefined
  if (fromArgs) configFile = {path: fromArgs, from: 'process arguments'}
  else if (!args) {
    const optLine = opts.filter((l) => !l.startsWith('unit ')).map((l) => configFileArg(words(l))).find(Boolean)
    const unit = opts.filter((l) => l.startsWith('unit ')).map((l) => configFileArg(words(l.slice(5)))).find(Boolean)
    if (optLine) configFile = {path: optLine, from: 'options file'}
    else if (unit) configFile = {path: unit, from: 'unit ExecStart'}
  }
  if (!configFile && binary?.startsWith('/usr/local/')) configFile = {path: '/usr/local/etc/keepalived/keepalived.conf', from: 'source install default'}
  if (configFile?.path === KEEPALIVED_CONF) configFile = undefined
  return {...(binary ? {binary} : {}), ...(configFile ? {configFile} : {})}
}

/** The firewalld section: "default Z", "zone Z [iface...]", "rich Z RULE". */
export function parseTools(lines: string[]): Pick<NodeFacts, 'tools' | 'arping'> {
  const tools: Record<string, string> = {}
  let arping: NodeFacts['arping']
  for (const l of lines) {
    const [k, v] = [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]
    if (k === 'arping-flavour') arping = v === 'iputils' || v === 'habets' ? v : 'unknown'
    else if (k && v) tools[k] = v
  }
  return {tools, ...(arping ? {arping} : {})}
}

export function parseFirewalld(lines: string[]): FirewalldState {
  const out: FirewalldState = {zoneInterfaces: {}, richRules: {}}
  for (const l of lines) {
    const [tag, zone, ...rest] = l.trim().split(/\s+/)
    if (!zone) continue
    if (tag === 'default') out.defaultZone = zone
    else if (tag === 'zone') out.zoneInterfaces[zone] = [...(out.zoneInterfaces[zone] ?? []), ...rest]
    else if (tag === 'rich') {
      const rules = (out.richRules[zone] ??= [])
      if (!rules.includes(rest.join(' '))) rules.push(rest.join(' '))
    }
  }
  return out
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * Why `sudo -n` did not run a command (no sudo rights, a password required, no
 * sudo at all); undefined when stderr shows no refusal by sudo.
 */
export function sudoRefusal(stderr: string): string | undefined {
  if (/\bsudo: (command )?not found/.test(stderr)) return 'sudo is not installed'
  const line = stderr.split('\n').find((l) => /^sudo: .*(password is required|not in the sudoers|not allowed to (execute|run)|may not run sudo)/i.test(l))
  return line?.slice('sudo: '.length).trim()
}

/**
 * Read a node's facts: one batched script plus the current keepalived.conf.
 * opts.firewall: the firewall to use instead of the detected one (a host with both nft and iptables-legacy rules).
 */
export async function gatherFacts(
  host: RemoteHost,
  nodeName: string,
  scriptPaths: string[],
  opts: {readConfig?: boolean; readLogging?: boolean; firewall?: FirewallKind; daemon?: DaemonPathsSpec} = {},
): Promise<NodeFacts> {
  const argv = factsArgv(nodeName, scriptPaths, opts.daemon)
  let r = await host.exec(argv, {sudo: !host.isRoot, timeoutMs: 30_000})
  // ended without an exit status (channel closed, or killed): read again (the script only reads)
  for (let i = 0; i < 2 && r.code === -1; i++) r = await host.exec(argv, {sudo: !host.isRoot, timeoutMs: 30_000})
  if (r.code !== 0 && !r.stdout.includes('@@end')) {
    const refusal = host.isRoot ? undefined : sudoRefusal(r.stderr)
    if (refusal !== undefined)
      throw new HalError('SUDO_REFUSED', `${nodeName}: the SSH login user is not root and halctl needs passwordless sudo there (sudo -n said: ${refusal})`, {
        exitCode: ExitCode.Remote,
        where: nodeName,
        hint: 'grant the login user NOPASSWD sudo on the node (e.g. "<user> ALL=(ALL:ALL) NOPASSWD: ALL" in /etc/sudoers.d/), or log in as root',
      })
    throw new HalError('FACTS_FAILED', `reading facts failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`, {
      exitCode: ExitCode.Remote,
      where: nodeName,
    })
  }
  const facts = parseFacts(r.stdout, undefined, opts.daemon)
  const target = facts.daemon.config
  if (target !== KEEPALIVED_CONF && target !== opts.daemon?.config) {
    // a file found from the daemon (not known before the facts): its hash and mode too
    const h = await host.exec(['sh', '-c', HASH_SCRIPT, 'halctl-hash', target], {sudo: !host.isRoot, timeoutMs: 30_000})
    const m = /^([0-9a-f]{64}) (\d+) (.+)$/.exec(h.stdout.trim())
    if (m) facts.files[m[3]] = {sha256: m[1], mode: m[2]}
  }
  if (opts.readConfig !== false) facts.currentConfig = facts.files[target] ? (await host.readFile(target, {sudo: !host.isRoot}))?.toString('utf8') : undefined
  if (opts.firewall) facts.firewall = opts.firewall
  if (opts.readLogging) {
    const text = async (path: string): Promise<string | undefined> => (facts.files[path] ? (await host.readFile(path, {sudo: !host.isRoot}))?.toString('utf8') : undefined)
    const family = facts.os.family
    facts.logging = {defaults: family === 'other' ? undefined : await text(DAEMON_DEFAULTS[family].path), dropIn: await text(RSYSLOG_DROP_IN)}
  }
  return facts
}

