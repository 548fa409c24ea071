import {checkConfigAgainstInterfaces} from '../spec/facts-check.js'
import {createTwoFilesPatch} from 'diff'
import {sameMeaning} from '../keepalived/compare.js'
import {parseKeepalivedConfig} from '../keepalived/parse/index.js'
import type {DesiredCluster, DesiredNode} from '../host/desired.js'
import {sha256, type NodeFacts} from '../host/facts.js'
import {describeRule, firewallRecord, missingFirewalldRules, vrrpRules, type VrrpRule} from '../host/firewall.js'
import {daemonDefaultsFor, defaultsWithFacility, facilityOfArgs, renderRsyslogDropIn} from '../host/logging.js'
import {isSafeAbsolutePath, KEEPALIVED_CONF} from '../host/paths.js'
import {rsyslogRestartCommand, type ServiceAction} from '../host/service.js'
import {desiredSysctls, renderSysctlFile} from '../host/sysctl.js'
import {bareKey as bare} from '../net/address.js'

export type ChangeKind = 'install' | 'config' | 'script' | 'firewall' | 'sysctl' | 'logging' | 'service'

export interface Change {
  kind: ChangeKind
  summary: string
  /** unified diff for file changes */
  diff?: string
}

export interface FileWrite {
  path: string
  content: string
  mode: number
}

export interface FirewallPlan {
  kind: 'firewalld' | 'nftables' | 'iptables'
  rules: VrrpRule[]
  /** the record file (nftables/iptables) */
  record?: FileWrite
  /** nftables: the boot-time file to add an include of the record to */
  persistInclude?: string
  /** firewalld: rich rules still missing, per zone */
  missingRichRules: Array<{zone: string; rule: string}>
}

export interface NodePlan {
  node: string
  /** what will change, in order (empty = nothing to do) */
  changes: Change[]
  /** packages to install */
  install: string[]
  /** keepalived.conf and scripts to write (validated first) */
  files: FileWrite[]
  firewall?: FirewallPlan
  sysctl?: {record: FileWrite; values: Record<string, string>}
  logging?: LoggingPlan
  service: ServiceAction
  /** the keepalived binary (undefined: the packaged one, on PATH) and the config file it reads, which the plan writes */
  daemon: {binary?: string; config: string}
  /** things the operator should know that are not changes (e.g. new keepalived args wait for its next start) */
  notes: string[]
  /** reasons this node cannot be deployed (missing interface, address ...); nothing is touched then */
  problems: string[]
}

export interface LoggingPlan {
  facility: number
  /** the daemon options file (init system) and the rsyslog drop-in, when they differ */
  files: FileWrite[]
  /** argv that makes rsyslog read the drop-in (only when the drop-in changes and rsyslog runs) */
  restartRsyslog?: string[]
}

const CONF_MODE = 0o600

function unifiedDiff(path: string, before: string | undefined, after: string): string {
  return createTwoFilesPatch(before === undefined ? '/dev/null' : `a${path}`, `b${path}`, before ?? '', after, undefined, undefined, {context: 3})
}

/**
 * A generated script whose tools the node lacks would do nothing when it
 * matters (a fence without arping never fences): refuse, naming the package.
 * Facts without a tools section (older readers) are not judged.
 */
export function scriptToolProblems(s: {path: string; requires?: string[]}, facts: Pick<NodeFacts, 'tools' | 'arping'>): string[] {
  if (!s.requires?.length || !facts.tools) return []
  const PACKAGES: Record<string, string> = {arping: 'iputils-arping (or arping)', tcpdump: 'tcpdump', curl: 'curl'}
  const missing = s.requires.filter((t) => !facts.tools?.[t])
  const out = missing.length ? [`${s.path} needs ${missing.join(' and ')} on the node; install ${missing.map((t) => PACKAGES[t] ?? t).join(', ')}`] : []
  if (s.requires.includes('arping') && facts.tools.arping && facts.arping === 'unknown') {
    out.push(`${s.path}: ${facts.tools.arping} is neither iputils' arping nor Habets' arping, so the script cannot read its answers; install iputils-arping`)
  }
  return out
}

/** Preflight: what the node must have before anything is touched. */
function problemsFor(node: DesiredNode, facts: NodeFacts): string[] {
  const problems: string[] = []
  const ifaces = new Map(facts.interfaces.map((i) => [i.name, i]))
  const needed = new Set([node.interface, ...node.config.instances.map((i) => i.interface)])
  for (const name of needed) {
    if (!ifaces.has(name)) problems.push(`interface ${name} does not exist on the node (it has: ${[...ifaces.keys()].join(', ') || 'none'})`)
  }
  const main = ifaces.get(node.interface)
  if (main && !main.addresses.some((a) => bare(a) === bare(node.address))) {
    problems.push(`address ${node.address} is not on ${node.interface} (it has: ${main.addresses.join(', ') || 'none'})`)
  }
  for (const inst of node.config.instances) {
    const src = inst.unicastSrcIp
    if (src && !facts.interfaces.some((i) => i.addresses.some((a) => bare(a) === bare(src)))) {
      problems.push(`${inst.name}: unicast_src_ip ${src} is not an address of the node`)
    }
  }
  problems.push(...checkConfigAgainstInterfaces(node.name, node.config, facts.interfaces).map((f) => f.message))
  for (const s of node.scripts) {
    if (!isSafeAbsolutePath(s.path)) problems.push(`script path ${JSON.stringify(s.path)} is not a plain absolute path`)
    problems.push(...scriptToolProblems(s, facts))
  }
  if (node.config.virtualServers.length > 0 && facts.ipvsKernel === false) {
    // keepalived's checker process stops with a fatal error without IPVS, and takes the VRRP process with it
    problems.push("the spec has virtual_servers, but the node's kernel has no IPVS (ip_vs is neither loaded, built in nor an installed module): keepalived would stop at start; load ip_vs, or serve them with `halctl run` (userspace IPVS)")
  }
  if (facts.daemon.problem) problems.push(facts.daemon.problem)
  if (node.daemon?.binary && !facts.keepalived.installed) {
    problems.push(`the spec's keepalived.binary ${node.daemon.binary} is not a keepalived the node can run (no version from it): fix the path in the spec (defaults.keepalived or the node's keepalived), or remove it to use the packaged keepalived`)
  }
  if (!facts.keepalived.installed && facts.packageManager === 'none') {
    problems.push('keepalived is not installed and no package manager (apt, dnf, yum) was found')
  }
  return problems
}

function changedFile(facts: NodeFacts, w: FileWrite): boolean {
  const cur = facts.files[w.path]
  return !cur || cur.sha256 !== sha256(w.content) || parseInt(cur.mode, 8) !== w.mode
}

function planFirewall(node: DesiredNode, facts: NodeFacts): {plan?: FirewallPlan; change?: Change} {
  const rules = vrrpRules(node.config)
  if (facts.firewall === 'none' || rules.length === 0 || node.manage?.firewall === false) return {}
  const kind = facts.firewall
  const what = rules.map(describeRule).join('; ')
  if (kind === 'firewalld') {
    const missing = missingFirewalldRules(node.config, facts.firewallState.firewalld)
    const plan: FirewallPlan = {kind, rules, missingRichRules: missing}
    const zones = [...new Set(missing.map((m) => m.zone))].join(', ')
    return missing.length ? {plan, change: {kind: 'firewall', summary: `firewalld rich rules in zone ${zones}: ${what}`}} : {}
  }
  const rec = firewallRecord(kind, rules)
  if (!rec) return {}
  const record: FileWrite = {...rec, mode: 0o644}
  const live = kind === 'nftables' ? facts.firewallState.nftTable : facts.firewallState.iptablesChain && facts.firewallState.iptablesJump
  const {nftConf, nftPersisted} = facts.firewallState
  const persistInclude = kind === 'nftables' && nftConf && !nftPersisted ? nftConf : undefined
  if (!changedFile(facts, record) && live && !persistInclude) return {}
  const plan: FirewallPlan = {kind, rules, record, persistInclude, missingRichRules: []}
  const extra = persistInclude ? ` (and include it from ${persistInclude})` : kind === 'nftables' && !nftConf ? ' (no boot-time nftables file found: not persisted)' : ''
  return {plan, change: {kind: 'firewall', summary: `${kind}: ${what}${extra}`}}
}

function planSysctl(node: DesiredNode, facts: NodeFacts): {plan?: NodePlan['sysctl']; change?: Change} {
  const values = desiredSysctls(node.config)
  if (Object.keys(values).length === 0 || node.manage?.sysctls === false) return {}
  const record: FileWrite = {...renderSysctlFile(values), mode: 0o644}
  const liveDiffers = Object.entries(values).filter(([k, v]) => facts.sysctls[k] !== v)
  if (!changedFile(facts, record) && liveDiffers.length === 0) return {}
  return {plan: {record, values}, change: {kind: 'sysctl', summary: Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ') + ` (persisted in ${record.path})`}}
}

/**
 * keepalived -S N and the rsyslog drop-in. With an init system, the option goes
 * into the distribution's defaults file (read at the next start); without one,
 * into the daemon argv (service.ts). A running keepalived keeps its args until
 * it is restarted, which deploy never does: a note says so.
 */
function planLogging(node: DesiredNode, facts: NodeFacts): {plan?: LoggingPlan; changes: Change[]; notes: string[]; problems: string[]} {
  const l = node.logging
  if (!l) return {changes: [], notes: [], problems: []}
  const changes: Change[] = []
  const notes: string[] = []
  const files: FileWrite[] = []
  const modeOf = (path: string): number => (facts.files[path] ? parseInt(facts.files[path].mode, 8) : 0o644)
  const defaults = daemonDefaultsFor(facts.init, facts.os.family)
  if (facts.init !== 'none' && !defaults) {
    return {changes: [], notes: [], problems: [`logging: no known keepalived options file for ${facts.os.id} (${facts.init}); halctl sets -S in /etc/default/keepalived (Debian) or /etc/sysconfig/keepalived (RHEL)`]}
  }
  let argsChange = false
  if (defaults) {
    const before = facts.logging?.defaults
    const after = defaultsWithFacility(before, defaults.variable, l.facility)
    if (after !== before) {
      argsChange = true
      files.push({path: defaults.path, content: after, mode: modeOf(defaults.path)})
      changes.push({kind: 'logging', summary: `keepalived -S ${l.facility}: ${defaults.variable} in ${defaults.path}`, diff: unifiedDiff(defaults.path, before, after)})
    }
  }
  const dropIn: FileWrite = {...renderRsyslogDropIn(l), mode: 0o644}
  const dropInChanged = changedFile(facts, dropIn)
  if (dropInChanged) {
    files.push(dropIn)
    const before = facts.files[dropIn.path] ? facts.logging?.dropIn : undefined
    changes.push({kind: 'logging', summary: `rsyslog: local${l.facility} to ${l.file} (${dropIn.path})`, diff: unifiedDiff(dropIn.path, before, dropIn.content)})
  }
  const restart = dropInChanged && facts.rsyslog.running ? rsyslogRestartCommand(facts.init) : undefined
  if (dropInChanged && facts.rsyslog.running && !restart) notes.push(`rsyslogd runs but there is no init system to restart it with: restart rsyslogd to read ${dropIn.path}`)
  if (!facts.rsyslog.installed) notes.push(`rsyslogd is not installed: ${dropIn.path} takes effect once rsyslog runs`)
  if (facts.keepalived.running) {
    const now = facts.keepalived.args ? facilityOfArgs(facts.keepalived.args) : undefined
    const known = facts.keepalived.args !== undefined
    if (known ? now !== l.facility : argsChange) {
      const what = known ? (now === undefined ? `without -S (facility daemon)` : `with -S ${now}`) : 'with args halctl could not read'
      notes.push(`keepalived${facts.keepalived.pid ? ` (pid ${facts.keepalived.pid})` : ''} runs ${what}: -S ${l.facility} applies at its next start (deploy does not restart a running keepalived: a restart drops the VIPs)`)
    }
  }
  const plan = files.length ? {facility: l.facility, files, ...(restart ? {restartRsyslog: restart} : {})} : undefined
  return {plan, changes, notes, problems: []}
}

/** Desired state vs facts -> the changes for one node. Pure. */
export function planNode(node: DesiredNode, facts: NodeFacts): NodePlan {
  const lg = planLogging(node, facts)
  const problems = [...problemsFor(node, facts), ...lg.problems]
  const changes: Change[] = []
  const install: string[] = []
  if (!facts.keepalived.installed && !node.daemon?.binary) install.push('keepalived')
  if (node.config.virtualServers.length > 0 && !facts.ipvsadmInstalled) install.push('ipvsadm')
  if (install.length) changes.push({kind: 'install', summary: `install ${install.join(', ')} with ${facts.packageManager}`})

  const files: FileWrite[] = []
  const confPath = facts.daemon.config
  const conf: FileWrite = {path: confPath, content: node.text, mode: CONF_MODE}
  for (const s of node.scripts) {
    const w: FileWrite = {path: s.path, content: s.content, mode: s.mode}
    if (changedFile(facts, w)) {
      files.push(w)
      changes.push({kind: 'script', summary: `write ${s.path} (mode ${s.mode.toString(8)})`, diff: unifiedDiff(s.path, undefined, s.content)})
    }
  }
  const notes = [...lg.notes]
  if (changedFile(facts, conf) && sameMeaningAsNode(facts, node)) {
    // a hand-written (e.g. imported) config that says the same as the spec: left as it is
    notes.push(`${confPath} differs from the spec's rendering in form only (comments, layout, defaults written out): left as it is`)
  } else if (changedFile(facts, conf)) {
    files.push(conf)
    const before = facts.files[confPath] ? facts.currentConfig : undefined
    const sameText = facts.files[confPath]?.sha256 === sha256(conf.content)
    const where = facts.daemon.from === 'standard' ? '' : ` (the file keepalived reads: from its ${facts.daemon.from === 'spec' ? "spec's keepalived.config" : facts.daemon.from})`
    changes.push({
      kind: 'config',
      summary: sameText ? `set mode ${CONF_MODE.toString(8)} on ${confPath}${where}` : `write ${confPath}${where}`,
      diff: sameText ? undefined : unifiedDiff(confPath, before, conf.content),
    })
  }
  const fw = planFirewall(node, facts)
  if (fw.change) changes.push(fw.change)
  const sc = planSysctl(node, facts)
  if (sc.change) changes.push(sc.change)
  changes.push(...lg.changes)

  const configChanged = files.length > 0
  let service: ServiceAction = 'none'
  if (!facts.keepalived.running) service = 'start'
  else if (configChanged) service = 'reload'
  if (service !== 'none') {
    const log = service === 'start' && node.logging ? `, -S ${node.logging.facility}` : ''
    const how = facts.init === 'none' ? (service === 'start' ? ` (daemon with a pid file, no init system${log})` : ' (SIGHUP)') : ` (${facts.init}${log})`
    changes.push({kind: 'service', summary: `${service} keepalived${how}`})
  }
  return {node: node.name, changes, install, files, firewall: fw.plan, sysctl: sc.plan, ...(lg.plan ? {logging: lg.plan} : {}), service, daemon: {...(facts.daemon.binary ? {binary: facts.daemon.binary} : {}), config: confPath}, notes, problems}
}

/**
 * The node's keepalived.conf (the file its keepalived reads), with the mode
 * halctl sets, parses to what the spec renders (keyword by keyword,
 * keepalived's defaults filled in; a config with includes never does: they
 * are not read here). Pure.
 */
export function sameMeaningAsNode(facts: NodeFacts, node: DesiredNode): boolean {
  const path = facts.daemon?.config ?? KEEPALIVED_CONF
  const cur = facts.files[path]
  if (!cur || parseInt(cur.mode, 8) !== CONF_MODE || facts.currentConfig === undefined) return false
  const parsed = parseKeepalivedConfig(facts.currentConfig, {file: path, configId: node.name, readFile: () => undefined})
  // includes are not read here (what they add on the node is unknown)
  if (parsed.files.length > 1 || parsed.diagnostics.some((d) => d.severity === 'error' || d.rule.startsWith('include'))) return false
  return sameMeaning(parsed.config, node.config)
}

/** Highest configured priority of a node over its instances. */
export function nodePriority(node: DesiredNode): number {
  return Math.max(0, ...node.config.instances.map((i) => i.priority ?? 100))
}

/** Cluster VIPs (bare addresses) per instance name. */
export function clusterVips(cluster: DesiredCluster): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const n of cluster.nodes) {
    for (const i of n.config.instances) if (!out.has(i.name)) out.set(i.name, i.virtualIpaddress.map((v) => bare(v.address)))
  }
  return out
}

/** Does the node currently hold any VIP of the cluster? */
export function holdsAnyVip(facts: NodeFacts, vips: string[]): boolean {
  const have = new Set(facts.interfaces.flatMap((i) => i.addresses.map(bare)))
  return vips.some((v) => have.has(v))
}

/** VIPs (bare) of the config a node has now (its keepalived.conf as read with the facts). Pure. */
export function currentVips(facts: NodeFacts, node: string): string[] {
  if (!facts.currentConfig) return []
  const cfg = parseKeepalivedConfig(facts.currentConfig, {file: KEEPALIVED_CONF, configId: node, readFile: () => undefined}).config
  return cfg.instances.flatMap((i) => i.virtualIpaddress.map((v) => bare(v.address)))
}

/**
 * Rollout order. The holder is found from facts, not from the spec: a running
 * node holding a VIP of the spec or of the config the nodes run now (so a
 * deploy that changes the VIPs still leaves the current master for last).
 * When a node holds the VIPs now: backups first (lowest
 * priority first) and that node last, so it keeps the VIPs until everything
 * else runs the new config. When nobody holds them (a fresh cluster): the
 * intended master first, so it takes the VIPs once and the backups join it
 * without a takeover each. Pure.
 */
export function rolloutOrder(nodes: DesiredNode[], facts: Map<string, NodeFacts>, allVips: string[]): {order: string[]; holder?: string} {
  const vipsNow = new Set(allVips)
  for (const n of nodes) for (const v of facts.get(n.name) ? currentVips(facts.get(n.name) as NodeFacts, n.name) : []) vipsNow.add(v)
  const holder = nodes.find((n) => {
    const f = facts.get(n.name)
    return f !== undefined && f.keepalived.running && holdsAnyVip(f, [...vipsNow])
  })
  const indexed = nodes.map((n, idx) => ({n, idx}))
  if (holder) {
    const rank = (n: DesiredNode): number => (n === holder ? 1 : 0)
    const order = indexed.sort((a, b) => rank(a.n) - rank(b.n) || nodePriority(a.n) - nodePriority(b.n) || b.idx - a.idx).map(({n}) => n.name)
    return {order, holder: holder.name}
  }
  return {order: indexed.sort((a, b) => nodePriority(b.n) - nodePriority(a.n) || a.idx - b.idx).map(({n}) => n.name)}
}
