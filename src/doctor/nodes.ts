/**
 * `halctl doctor -s spec.yaml`: what each node needs for the config and scripts
 * rendered for it, and whether it has it. requirementsFor() is pure (from the
 * rendered node); checkNodes() asks every node over SSH in one command.
 */
import type {DesiredCluster, DesiredNode} from '../host/desired.js'
import {sshTargetFor} from '../host/connect.js'
import {isHalError} from '../lib/errors.js'
import type {Transport} from '../remote/types.js'

export interface Requirement {
  /** what is needed, e.g. "curl" or "keepalived or a package manager" */
  need: string
  /** found when any of these is on the node's PATH (plus /usr/sbin, /sbin) */
  anyOf: string[]
  why: string
  /** Debian package that provides it */
  apt?: string
}

export interface NodeCheck {
  node: string
  reachable: boolean
  /** why the node could not be checked, with what to do */
  error?: string
  hint?: string
  checks: Array<Requirement & {found?: string}>
}

/** Programs the script templates and hand-written check scripts commonly call, with their Debian package. */
const SCRIPT_TOOLS: Record<string, string> = {
  curl: 'curl',
  wget: 'wget',
  arping: 'arping',
  logger: 'bsdutils',
  pidof: 'procps',
  pgrep: 'procps',
  systemctl: 'systemd',
  timeout: 'coreutils',
  nc: 'netcat-openbsd',
  ping: 'iputils-ping',
  killall: 'psmisc',
  ss: 'iproute2',
}

/** What this node needs, from its rendered keepalived.conf and scripts. */
export function requirementsFor(node: DesiredNode): Requirement[] {
  const reqs: Requirement[] = [
    {need: 'keepalived (or a package manager to install it)', anyOf: ['keepalived', 'apt-get', 'dnf', 'yum'], why: 'deploy installs keepalived when it is missing', apt: 'keepalived'},
    {need: 'ip', anyOf: ['ip'], why: 'facts, status and failover-test read addresses with ip -j', apt: 'iproute2'},
    {need: 'sysctl', anyOf: ['sysctl'], why: 'deploy sets the sysctls the config needs', apt: 'procps'},
    {need: 'a firewall tool', anyOf: ['firewall-cmd', 'nft', 'iptables'], why: 'deploy opens VRRP (protocol 112) with firewalld, nftables or iptables', apt: 'nftables'},
    {need: 'tcpdump', anyOf: ['tcpdump'], why: 'sniff --node and failover-test capture VRRP on the node', apt: 'tcpdump'},
  ]
  if (node.ssh.user !== 'root') reqs.push({need: 'sudo', anyOf: ['sudo'], why: `the spec logs in as ${node.ssh.user}: deploy runs its commands through sudo -n`, apt: 'sudo'})
  if (node.logging) reqs.push({need: 'rsyslog', anyOf: ['rsyslogd'], why: `spec logging: keepalived logs to syslog facility local${node.logging.facility}, routed to ${node.logging.file} by an rsyslog drop-in`, apt: 'rsyslog'})
  // commands the scripts and the config's script lines call
  const texts = [...node.scripts.map((s) => ({where: s.path, text: s.content})), {where: 'keepalived.conf', text: node.text}]
  for (const [tool, apt] of Object.entries(SCRIPT_TOOLS)) {
    const users = texts.filter(({text}) => new RegExp(`(^|[\\s;|&($"'\`/])${tool}(\\s|$)`, 'm').test(stripComments(text))).map((t) => t.where)
    if (users.length > 0 && !reqs.some((r) => r.anyOf.includes(tool))) reqs.push({need: tool, anyOf: [tool], why: `called by ${users.join(', ')}`, apt})
  }
  return reqs
}

const stripComments = (text: string): string => text.replace(/^\s*[#!].*$/gm, '')

/** One remote command: for each program, its path or nothing. */
export function lookupScript(programs: string[]): string {
  return `PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"; for p in ${programs.join(' ')}; do printf '%s=%s\\n' "$p" "$(command -v "$p" 2>/dev/null)"; done`
}

export async function checkNodes(
  cluster: DesiredCluster,
  transport: Transport,
  opts: {sshConfigFile?: string; knownHostsFile?: string; acceptNew?: boolean},
): Promise<NodeCheck[]> {
  return Promise.all(
    cluster.nodes.map(async (node): Promise<NodeCheck> => {
      const reqs = requirementsFor(node)
      let host
      try {
        host = await transport.connect(sshTargetFor(node, opts))
        const programs = [...new Set(reqs.flatMap((r) => r.anyOf))]
        const r = await host.exec(['sh', '-c', lookupScript(programs)], {timeoutMs: 15_000})
        const found = new Map(r.stdout.split('\n').map((l) => l.split('=') as [string, string]).filter(([, p]) => p))
        return {node: node.name, reachable: true, checks: reqs.map((q) => ({...q, found: q.anyOf.map((p) => found.get(p)).find(Boolean)}))}
      } catch (e) {
        return {node: node.name, reachable: false, error: e instanceof Error ? e.message : String(e), hint: isHalError(e) ? e.hint : undefined, checks: reqs}
      } finally {
        await host?.close().catch(() => undefined)
      }
    }),
  )
}
