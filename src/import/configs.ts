import {
  addressLine,
  instanceStatement,
  rawToStatement,
  renderKeepalivedConfig,
  scriptStatement,
  syncGroupStatement,
  virtualServerStatement,
  type Statement,
} from '../keepalived/render.js'
import {stripLocations, type KeepalivedConfig, type NotifyScripts, type RawStatement, type TrackRef, type VirtualAddress, type VirtualServer, type VrrpInstance} from '../keepalived/model.js'
import {DEFAULT_LB_ALGO, DEFAULT_LB_KIND} from '../keepalived/keywords.js'
import {comparable, effectiveInstance, effectivePass, ignoredByKeepalived, json, vsDefaults, withDefaults} from '../keepalived/compare.js'
import {parseKeepalivedConfig, parseKeepalivedFile} from '../keepalived/parse/index.js'
import {lintCluster} from '../lint/cluster-rules.js'
import {nodeName} from '../lint/files.js'
import type {Finding} from '../lint/types.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {ClusterSpecSchema, VIP_SCOPES, type ClusterSpec, type ClusterSpecInput} from '../spec/schema.js'
import type {CheckerSpec, InstanceSpec, NotifySpec, RawSpecStatement, TrackRefSpec, VipSpec, VirtualServerSpec} from '../spec/schema.js'
import {startsMaster} from '../spec/derive.js'
import {MAX_AUTH_PASS_BYTES} from '../keepalived/limits.js'
import {formatPath} from '../spec/issues.js'
import {checkSpecSemantics} from '../spec/semantics.js'
import {ZodError} from 'zod'
import {nodeModel} from '../spec/to-model.js'

/**
 * `halctl import FILE...`: keepalived.conf files (one per node) become one
 * cluster spec. Instances are paired across nodes by VRID and interface;
 * shared values are written once, per-node values (priority, router_id,
 * unicast addresses) per node, auth_pass moves to env: references. What the
 * spec cannot express is carried in `raw` and reported. Every result is
 * checked: the spec renders, per node, the model parsed from the original.
 */

export interface ImportInput {
  file: string
  /** node name; default: router_id, else the file name */
  node?: string
  /** how the file is named in the report (default: file), e.g. "lb1:/etc/keepalived/keepalived.conf" */
  label?: string
  /** keepalived's -i for this node (default: the import's) */
  configId?: string
  /** reads and include globs (default: the local file system), e.g. files fetched over SSH */
  readFile?: (path: string) => string | undefined
  glob?: (pattern: string) => string[]
  /** the node's address when the config names none (e.g. read from the node's interface) */
  address?: string
  /** how to reach the node, as the spec's node says it (host: when it is not the node's address) */
  ssh?: {host?: string; port?: number; user?: string; identityFile?: string}
}

export interface ImportNode {
  name: string
  file: string
  /** every file read (the config and its includes) */
  files: string[]
  address: string
  /** where the address came from; `placeholder`: the config does not say, set it before deploying */
  addressFrom: 'unicast_src_ip' | 'mcast_src_ip' | 'interface' | 'placeholder'
}

export interface ImportRaw {
  /** spec path of the raw list, e.g. "instances[0].raw" or "raw" */
  where: string
  keyword: string
  reason: string
}

export interface ImportReport {
  cluster: string
  nodes: ImportNode[]
  instances: {name: string; vrid: number; interface: string; nodes: string[]; inRaw: boolean}[]
  /** what went into raw, and why */
  raw: ImportRaw[]
  /** env variables the spec reads secrets from (values only in the env file) */
  secrets: {env: string; where: string}[]
  /** scripts the configs run (check, notify, misc_check, quorum): copy them to the nodes yourself */
  scripts: {node: string; command: string; path: string; where: string}[]
  /** parse errors and the cross-node findings lint reports */
  findings: Finding[]
  /** differences the spec cannot carry even in raw (the spec renders something else for these) */
  unrepresented: {where: string; reason: string}[]
  /** per node: the spec renders the parsed model of the original (keyword by keyword, includes resolved) */
  roundTrip: {node: string; equal: boolean}[]
}

export interface ImportResult {
  report: ImportReport
  /** the spec as plain data (auth via env:NAME) */
  spec: ClusterSpecInput
  /** env name -> secret; written to the env file, never printed */
  secretValues: Record<string, string>
  /** secrets the spec holds inline (instances carried whole in raw): never printed, spec written 0600 */
  inlineSecrets: string[]
  /** spec paths of raw entries with the comment to write above them */
  rawComments: {path: (string | number)[]; comment: string}[]
}

interface Member {
  node: number
  /** the instance as keepalived runs it (what it ignores left out) */
  vi: VrrpInstance
  /** as written */
  written: VrrpInstance
}

const VS_SCHEMA = ClusterSpecSchema.shape.virtualServers.unwrap().element
const SCRIPT_SCHEMA = ClusterSpecSchema.shape.scripts.unwrap().valueType
const PLACEHOLDER_NET = '192.0.2.'
const NAME_RE = /^[A-Za-z0-9_.-]+$/

/** What keepalived reads back from the config the spec renders for a node (raw statements parsed like any others). */
function reparse(spec: ClusterSpec, node: number): KeepalivedConfig {
  const text = renderKeepalivedConfig(nodeModel(spec, spec.nodes[node]).config)
  return parseKeepalivedConfig(text, {file: `${spec.nodes[node].name}/keepalived.conf`, configId: spec.nodes[node].name, readFile: () => undefined}).config
}

const toRaw = (s: Statement): RawSpecStatement => (s.block ? {keyword: s.keyword, args: s.args, block: s.block.map(toRaw)} : s.args.length ? {keyword: s.keyword, args: s.args} : {keyword: s.keyword})

const vipSpec = (a: VirtualAddress): VipSpec | undefined => {
  if (a.extra?.length) return undefined
  if (a.brd === undefined && a.dev === undefined && a.scope === undefined && a.label === undefined) return a.address
  const o: Exclude<VipSpec, string> = {address: a.address}
  if (a.dev !== undefined) o.dev = a.dev
  if (a.brd !== undefined) o.brd = a.brd
  if (a.scope !== undefined) {
    // a scope the spec cannot name (e.g. a number) keeps the address in raw
    if (!VIP_SCOPES.includes(a.scope as (typeof VIP_SCOPES)[number])) return undefined
    o.scope = a.scope as (typeof VIP_SCOPES)[number]
  }
  if (a.label !== undefined) o.label = a.label
  return o
}

const trackSpec = (t: TrackRef): TrackRefSpec =>
  t.weight === undefined && !t.weightReverse ? t.name : {name: t.name, ...(t.weight === undefined ? {} : {weight: t.weight}), ...(t.weightReverse ? {reverse: true} : {})}

function notifySpec(n: NotifyScripts): NotifySpec | undefined {
  const o: NotifySpec = {}
  if (n.notifyMaster !== undefined) o.master = n.notifyMaster
  if (n.notifyBackup !== undefined) o.backup = n.notifyBackup
  if (n.notifyFault !== undefined) o.fault = n.notifyFault
  if (n.notifyStop !== undefined) o.stop = n.notifyStop
  if (n.notify !== undefined) o.notify = n.notify
  if (n.smtpAlert) o.smtpAlert = true
  return Object.keys(o).length ? o : undefined
}

const userString = (u: {user: string; group?: string} | undefined) => (u ? (u.group ? `${u.user} ${u.group}` : u.user) : undefined)

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}


function checkerSpec(c: VirtualServer['realServers'][number]['checkers'][number]): CheckerSpec | undefined {
  if (c.extra?.length) return undefined
  if (c.type === 'MISC_CHECK') {
    return compact({type: 'MISC_CHECK' as const, path: c.miscPath, timeout: c.miscTimeout, dynamic: c.miscDynamic, user: userString(c.user), warmup: c.warmup})
  }
  // HTTP_GET, SSL_GET and TCP_CHECK use the same field names in the model and the spec
  const {loc: _loc, keyLocs: _keyLocs, extra: _extra, ...fields} = c
  if (fields.type === 'TCP_CHECK') return compact({...fields})
  return compact({...fields, urls: fields.urls.map((u) => compact({path: u.path, digest: u.digest, statusCode: u.statusCode}))}) as CheckerSpec
}

function virtualServerSpec(v: VirtualServer): VirtualServerSpec | undefined {
  if (v.group !== undefined || v.realServers.length === 0) return undefined
  const realServers = []
  for (const r of v.realServers) {
    if (r.checkers.length > 1 || r.extra?.length) return undefined
    const check = r.checkers[0] ? checkerSpec(r.checkers[0]) : undefined
    if (r.checkers[0] && !check) return undefined
    realServers.push(compact({ip: r.ip, port: r.port, weight: r.weight, inhibitOnFailure: r.inhibitOnFailure, notifyUp: r.notifyUp, notifyDown: r.notifyDown, delayLoop: r.delayLoop, check}))
  }
  return compact({
    address: v.address,
    port: v.port,
    fwmark: v.fwmark,
    delayLoop: v.delayLoop,
    // keepalived's defaults written out (the spec's own defaults differ)
    lbAlgo: v.lbAlgo ?? DEFAULT_LB_ALGO,
    lbKind: v.lbKind ?? DEFAULT_LB_KIND,
    protocol: v.protocol,
    persistenceTimeout: v.persistenceTimeout,
    virtualhost: v.virtualhost,
    sorryServer: v.sorryServer ? compact({ip: v.sorryServer.ip, port: v.sorryServer.port}) : undefined,
    quorum: v.quorum,
    hysteresis: v.hysteresis,
    quorumUp: v.quorumUp,
    quorumDown: v.quorumDown,
    alpha: v.alpha,
    omega: v.omega,
    inhibitOnFailure: v.inhibitOnFailure,
    realServers,
    raw: v.extra?.length ? v.extra.map((x) => toRaw(rawToStatement(x))) : undefined,
  }) as VirtualServerSpec
}

/** Statements of a block grouped by keyword, in first-seen order. */
function byKeyword(s: Statement): Map<string, Statement[]> {
  const m = new Map<string, Statement[]>()
  for (const x of s.block ?? []) m.set(x.keyword, [...(m.get(x.keyword) ?? []), x])
  return m
}

const commandPath = (cmd: string) => cmd.replace(/^["']/, '').split(/[\s"']/)[0]

function scriptsOf(node: string, cfg: KeepalivedConfig): ImportReport['scripts'] {
  const out: ImportReport['scripts'] = []
  const add = (where: string, cmd: string | undefined) => {
    if (cmd) out.push({node, command: cmd, path: commandPath(cmd), where})
  }
  const notifies = (where: string, n: NotifyScripts) => {
    add(`${where} notify_master`, n.notifyMaster)
    add(`${where} notify_backup`, n.notifyBackup)
    add(`${where} notify_fault`, n.notifyFault)
    add(`${where} notify_stop`, n.notifyStop)
    add(`${where} notify`, n.notify)
  }
  for (const s of cfg.scripts) add(`vrrp_script ${s.name}`, s.script)
  for (const g of cfg.syncGroups) notifies(`vrrp_sync_group ${g.name}`, g)
  for (const i of cfg.instances) notifies(`vrrp_instance ${i.name}`, i)
  for (const v of cfg.virtualServers) {
    const vs = `virtual_server ${v.address ?? v.fwmark ?? v.group} ${v.port ?? ''}`.trim()
    add(`${vs} quorum_up`, v.quorumUp)
    add(`${vs} quorum_down`, v.quorumDown)
    for (const r of v.realServers) {
      add(`${vs} real_server ${r.ip} notify_up`, r.notifyUp)
      add(`${vs} real_server ${r.ip} notify_down`, r.notifyDown)
      for (const c of r.checkers) if (c.type === 'MISC_CHECK') add(`${vs} real_server ${r.ip} misc_path`, c.miscPath)
    }
  }
  return out
}



function secretName(taken: Map<string, string>, value: string, instance: string): string {
  for (const [k, v] of taken) if (v === value) return k
  const base = taken.size === 0 ? 'HAL_VRRP_PASS' : `HAL_VRRP_PASS_${instance.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`
  taken.set(name, value)
  return name
}

/** Import local keepalived.conf files, one per node, into one cluster spec. */
export function importConfigs(inputs: ImportInput[], opts: {cluster?: string; configId?: string} = {}): ImportResult {
  if (inputs.length === 0) throw new HalError('BAD_INPUT', 'no keepalived.conf given', {hint: 'halctl import lb1.conf lb2.conf'})
  const findings: Finding[] = []
  const parsed = inputs.map((inp) => {
    const r = parseKeepalivedFile(inp.file, {configId: inp.configId ?? opts.configId, ...(inp.readFile ? {readFile: inp.readFile} : {}), ...(inp.glob ? {glob: inp.glob} : {})})
    const unreadable = r.diagnostics.find((d) => d.rule === 'unreadable')
    if (unreadable) throw new HalError('BAD_INPUT', unreadable.message, {where: inp.label ?? inp.file, hint: unreadable.fix})
    findings.push(...r.diagnostics.filter((d) => d.severity === 'error'))
    return r
  })
  // node names: given, else router_id when the configs' router_ids are distinct, else the file name
  const rids = parsed.map((p) => p.config.globalDefs?.routerId)
  const ridsUsable = rids.every((r) => r !== undefined && NAME_RE.test(r)) && new Set(rids).size === rids.length
  const names = inputs.map((inp, i) => inp.node ?? (ridsUsable ? rids[i]! : nodeName(inp.file).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)))
  if (new Set(names).size !== names.length) {
    throw new HalError('BAD_INPUT', `two configs would be the same node (${names.join(', ')})`, {hint: 'name them: --node-name lb1 --node-name lb2'})
  }
  for (const n of names) if (!NAME_RE.test(n)) throw new HalError('BAD_INPUT', `"${n}" is not a node name`, {hint: 'node names may hold only letters, digits, "_", "." and "-"'})
  const configs = parsed.map((p) => p.config)
  const cluster = opts.cluster ?? 'imported'

  const raw: ImportRaw[] = []
  const rawComments: ImportResult['rawComments'] = []
  const unrepresented: ImportReport['unrepresented'] = []
  const secrets = new Map<string, string>()
  const secretRefs: ImportReport['secrets'] = []
  const inlineSecrets: string[] = []

  // node addresses: the unicast source, else the multicast source, else a placeholder to fill in
  const nodes: ImportNode[] = configs.map((cfg, i) => {
    const uni = cfg.instances.find((v) => v.unicastSrcIp)?.unicastSrcIp
    const mc = cfg.instances.find((v) => v.mcastSrcIp)?.mcastSrcIp
    const given = inputs[i].address
    const address = uni ?? mc ?? given ?? `${PLACEHOLDER_NET}${i + 1}`
    return {name: names[i], file: inputs[i].label ?? inputs[i].file, files: parsed[i].files, address, addressFrom: uni ? 'unicast_src_ip' : mc ? 'mcast_src_ip' : given ? 'interface' : 'placeholder'}
  })

  // pair instances by VRID and interface
  const groups = new Map<string, Member[]>()
  configs.forEach((cfg, node) => {
    const strict = cfg.globalDefs?.vrrpStrict === true
    for (const written of cfg.instances) {
      const key = `${written.virtualRouterId}|${written.interface}`
      const ign = ignoredByKeepalived(written, strict)
      const where = `node ${names[node]}: vrrp_instance ${written.name}`
      if (ign.authentication) {
        findings.push({rule: 'import-ignored', severity: 'warning', node: names[node], file: inputs[node].file, message: `${where}: authentication is left out of the spec; keepalived ignores it under vrrp_strict`, fix: 'nothing changes on the wire'})
      }
      for (const t of ign.trackInterface) {
        findings.push({rule: 'import-ignored', severity: 'warning', node: names[node], file: inputs[node].file, message: `${where}: track_interface ${t} is left out of the spec; it is the instance's own interface, which keepalived tracks anyway`, fix: 'nothing changes in what keepalived does'})
      }
      groups.set(key, [...(groups.get(key) ?? []), {node, vi: effectiveInstance(written, strict), written}])
    }
  })

  const spec: ClusterSpecInput = {cluster, nodes: [], instances: []}
  const topRaw: RawSpecStatement[] = []
  const addTopRaw = (st: Statement, reason: string) => {
    rawComments.push({path: ['raw', topRaw.length], comment: reason})
    topRaw.push(toRaw(st))
    raw.push({where: 'raw', keyword: `${st.keyword} ${st.args.join(' ')}`.trim(), reason})
  }
  const same = <T>(xs: T[]) => xs.every((x) => json(x) === json(xs[0]))

  const sshOf = (i: number) => {
    const t = inputs[i].ssh
    if (!t) return undefined
    // the host only when it is not the node's address (the spec's default)
    const o = compact({host: t.host === nodes[i].address ? undefined : t.host, port: t.port, user: t.user, identityFile: t.identityFile})
    // the spec's default host is the node's address
    return Object.keys(o).length ? o : undefined
  }
  spec.nodes = nodes.map((n, i) => compact({name: n.name, address: n.address, ssh: sshOf(i), routerId: configs[i].globalDefs?.routerId}))

  // global_defs: shared values once (router_id is per node)
  const gds = configs.map((c) => ({...(c.globalDefs ?? {}), routerId: undefined}))
  if (!same(gds)) unrepresented.push({where: 'global_defs', reason: 'global_defs differ between nodes beyond router_id; the spec uses the first node\'s'})
  const g0 = configs[0].globalDefs ?? {}
  spec.globalDefs = compact({
    notificationEmail: g0.notificationEmail,
    notificationEmailFrom: g0.notificationEmailFrom,
    smtpServer: g0.smtpServer,
    smtpServerPort: g0.smtpServerPort,
    smtpConnectTimeout: g0.smtpConnectTimeout,
    vrrpMcastGroup4: g0.vrrpMcastGroup4,
    vrrpMcastGroup6: g0.vrrpMcastGroup6,
    vrrpSkipCheckAdvAddr: g0.vrrpSkipCheckAdvAddr,
    vrrpStrict: g0.vrrpStrict,
    vrrpGarpInterval: g0.vrrpGarpInterval,
    vrrpGnaInterval: g0.vrrpGnaInterval,
    vrrpGarpMasterDelay: g0.vrrpGarpMasterDelay,
    vrrpGarpMasterRepeat: g0.vrrpGarpMasterRepeat,
    vrrpGarpMasterRefresh: g0.vrrpGarpMasterRefresh,
    vrrpGarpMasterRefreshRepeat: g0.vrrpGarpMasterRefreshRepeat,
    vrrpVersion: g0.vrrpVersion,
    // halctl turns script security on by default (as root); keep what the cluster runs with
    enableScriptSecurity: g0.scriptUser ? g0.enableScriptSecurity : false,
    scriptUser: userString(g0.scriptUser),
  })
  // max_auto_priority N first among the others (the spec renders it first)
  const mapIdx = (g0.extra ?? []).findIndex((x) => x.keyword === 'max_auto_priority' && x.args.length === 1 && /^-?\d+$/.test(x.args[0]) && !x.block)
  const map = mapIdx === 0 ? Number(g0.extra![0].args[0]) : undefined
  if (map !== undefined && map >= -1 && map <= 99) spec.globalDefs.maxAutoPriority = map
  const gRaw: RawStatement[] = (g0.extra ?? []).filter((_, i) => !(i === 0 && spec.globalDefs!.maxAutoPriority !== undefined))
  // without script_user keepalived picks the user itself; the spec would name root
  if (g0.enableScriptSecurity && !g0.scriptUser) gRaw.push({keyword: 'enable_script_security', args: []})
  if (gRaw.length) spec.globalDefs.raw = gRaw.map((x) => toRaw(rawToStatement(x)))
  for (const [i, x] of gRaw.entries()) {
    const reason = x.keyword === 'enable_script_security' ? 'script security without script_user (the spec would add script_user root)' : 'global_defs keyword the spec does not model'
    rawComments.push({path: ['globalDefs', 'raw', i], comment: reason})
    raw.push({where: 'globalDefs.raw', keyword: x.keyword, reason})
  }
  compact(spec.globalDefs)

  // vrrp_script blocks: one per name
  const scriptNames = new Map<string, string>()
  for (const cfg of configs) {
    for (const s of cfg.scripts) {
      const st = json(scriptStatement(s))
      if (scriptNames.has(s.name) && scriptNames.get(s.name) !== st) unrepresented.push({where: `vrrp_script ${s.name}`, reason: 'differs between nodes; the spec uses the first node\'s'})
      if (scriptNames.has(s.name)) continue
      scriptNames.set(s.name, st)
      const script = compact({
        script: s.script,
        interval: s.interval,
        timeout: s.timeout,
        weight: s.weight,
        reverse: s.weightReverse,
        rise: s.rise,
        fall: s.fall,
        user: userString(s.user),
        initFail: s.initFail,
      })
      if (s.extra?.length || !SCRIPT_SCHEMA.safeParse(script).success) {
        addTopRaw(scriptStatement(s), `vrrp_script ${s.name}: keywords the spec does not model`)
        continue
      }
      spec.scripts ??= {}
      spec.scripts[s.name] = script
    }
  }

  // instances
  const instanceRows: ImportReport['instances'] = []
  const specInstances: {spec: InstanceSpec; members: Member[]; inRaw: boolean; why?: string}[] = []
  for (const members of groups.values()) {
    const first = members[0].vi
    const memberNames = members.map((m) => names[m.node])
    const vips = first.virtualIpaddress.map(vipSpec)
    const excluded = (first.virtualIpaddressExcluded ?? []).map(vipSpec)
    const inst = compact({
      name: first.name,
      vrid: first.virtualRouterId,
      interface: first.interface,
      nodes: memberNames.length === names.length ? undefined : memberNames,
      priorities: Object.fromEntries(members.map((m) => [names[m.node], m.vi.priority ?? 100])),
      vips: vips as VipSpec[],
      excludedVips: excluded.length ? (excluded as VipSpec[]) : undefined,
      advertInt: first.advertInt ?? 1,
      version: first.version,
      auth: first.authentication
        ? {type: first.authentication.type, pass: `env:${secretName(secrets, effectivePass(first.authentication.pass), first.name)}`}
        : undefined,
      unicast: undefined as boolean | undefined,
      preempt: first.nopreempt ? false : undefined,
      preemptDelay: first.preemptDelay,
      trackScripts: first.trackScript?.map(trackSpec),
      trackInterfaces: first.trackInterface?.map(trackSpec),
      notify: notifySpec(first),
      garp:
        first.garpMasterDelay ?? first.garpMasterRepeat ?? first.garpMasterRefresh ?? first.garpMasterRefreshRepeat
          ? compact({masterDelay: first.garpMasterDelay, masterRepeat: first.garpMasterRepeat, masterRefresh: first.garpMasterRefresh, masterRefreshRepeat: first.garpMasterRefreshRepeat})
          : undefined,
      nativeIpv6: first.nativeIpv6,
      useVmac: first.useVmac,
      noAccept: first.noAccept,
      accept: first.accept,
      dontTrackPrimary: first.dontTrackPrimary,
      mcastSrcIp: members.length === 1 ? first.mcastSrcIp : undefined,
      raw: undefined as RawSpecStatement[] | undefined,
    }) as InstanceSpec
    if (inst.auth) secretRefs.push({env: inst.auth.pass.slice(4), where: `vrrp_instance ${first.name} authentication`})
    if (first.authentication && effectivePass(first.authentication.pass) !== first.authentication.pass) {
      findings.push({
        rule: 'import-auth-pass-cut',
        severity: 'warning',
        message: `vrrp_instance ${first.name}: the secret is longer than ${MAX_AUTH_PASS_BYTES} bytes; keepalived uses its first ${MAX_AUTH_PASS_BYTES}, and so does the spec`,
        fix: 'nothing changes on the wire; the env file holds the 8 bytes keepalived uses',
      })
    }
    // unicast derived from node addresses when every member sends from its own address to all the others,
    // then to the same routers outside the node set (externalPeers)
    const memberAddrs = members.map((m) => nodes[m.node].address)
    const external = (first.unicastPeer ?? []).filter((p) => !memberAddrs.includes(p))
    const uni = members.every((m) => m.vi.unicastSrcIp === nodes[m.node].address && json(m.vi.unicastPeer ?? []) === json([...members.filter((o) => o !== m).map((o) => nodes[o.node].address), ...external]))
    if (uni && members.length + external.length > 1) {
      inst.unicast = true
      if (external.length) inst.externalPeers = external
    }
    // initial states the spec would derive otherwise (the highest priority starts MASTER) are set per node
    const starts = startsMaster({preempt: !first.nopreempt, preemptDelay: first.preemptDelay, auth: inst.auth}, g0.vrrpStrict === true)
    const top = members.reduce((a, b) => ((b.vi.priority ?? 100) > (a.vi.priority ?? 100) ? b : a))
    const states = Object.fromEntries(
      members.filter((m) => (m.vi.state ?? 'BACKUP') !== (starts && m === top ? 'MASTER' : 'BACKUP')).map((m) => [names[m.node], m.vi.state ?? 'BACKUP']),
    )
    if (Object.keys(states).length) inst.states = states
    const ok = !vips.includes(undefined) && !excluded.includes(undefined)
    specInstances.push({spec: inst, members, inRaw: !ok, why: ok ? undefined : 'a VIP the spec cannot name'})
  }
  spec.instances = specInstances.filter((s) => !s.inRaw).map((s) => s.spec)

  // sync groups: modeled when they only use what the spec has
  for (const cfg of configs.slice(0, 1)) {
    for (const g of cfg.syncGroups) {
      const modeled = spec.instances.map((i) => i.name)
      if (g.trackInterface?.length || g.extra?.length || !g.group.every((n) => modeled.includes(n)) || new Set(g.group).size < 2) {
        addTopRaw(syncGroupStatement(g), `vrrp_sync_group ${g.name}: uses what the spec does not model`)
        continue
      }
      ;(spec.syncGroups ??= []).push(compact({name: g.name, instances: g.group, trackScripts: g.trackScript?.map(trackSpec), notify: notifySpec(g)}))
    }
  }

  // virtual servers: the first node's; raw when the spec cannot say them
  const vsSpecs: VirtualServerSpec[] = []
  let modeledVs: VirtualServer[] = []
  for (const v of configs[0].virtualServers) {
    const s = virtualServerSpec(v)
    if (s && VS_SCHEMA.safeParse(s).success) {
      vsSpecs.push(s)
      modeledVs.push(v)
    }
    else addTopRaw(virtualServerStatement(v), `virtual_server: uses what the spec does not model`)
  }
  if (!same(configs.map((c) => c.virtualServers))) unrepresented.push({where: 'virtual_server', reason: 'virtual servers differ between nodes; the spec uses the first node\'s'})
  if (vsSpecs.length) spec.virtualServers = vsSpecs

  if (configs[0].staticIpaddress?.length) {
    addTopRaw({keyword: 'static_ipaddress', args: [], block: configs[0].staticIpaddress.map(addressLine)}, 'static_ipaddress: not in the spec')
  }
  for (const x of configs[0].extra ?? []) addTopRaw(rawToStatement(x), `${x.keyword}: a top-level keyword the spec does not model`)

  // per instance: fill what the derived instance renders differently with the original's statements (raw), else carry the whole instance in raw
  // rendered here with the secrets in place; the spec's rules see the env: references, as `halctl init` does
  const plain = (s: ClusterSpecInput) => ClusterSpecSchema.parse(withSecrets(s, secrets))
  for (const si of specInstances) {
    if (si.inRaw) continue
    // this instance alone, so that one the schema rejects does not take the others with it
    const derived = (s: ClusterSpecInput) => {
      const one = plain({...s, instances: [si.spec], syncGroups: undefined, virtualServers: undefined})
      // what `halctl init` would refuse (a track script in raw, equal priorities...) is not modeled
      const refused = checkSpecSemantics(ClusterSpecSchema.parse({...s, instances: [si.spec], syncGroups: undefined, virtualServers: undefined})).find((x) => x.path[0] === 'instances')
      if (refused) throw new Error(`the spec's rules refuse it: ${refused.message}`)
      return si.members.map((m) => reparse(one, m.node).instances[0])
    }
    let fixed = true
    // tracking the spec refuses (a script carried in raw, the VRRP interface itself) is carried in raw as written
    const alone = ClusterSpecSchema.safeParse({...spec, instances: [si.spec], syncGroups: undefined, virtualServers: undefined})
    for (const x of alone.success ? checkSpecSemantics(alone.data) : []) if (x.path[2] === 'trackScripts' || x.path[2] === 'trackInterfaces') delete si.spec[x.path[2]]
    try {
      const d = derived(spec)
      const extra: Statement[][] = []
      for (const [k, m] of si.members.entries()) {
        const want = byKeyword(instanceStatement(withDefaults(m.vi)))
        const got = byKeyword(instanceStatement(withDefaults(d[k])))
        const add: Statement[] = []
        // raw may only add keywords: keepalived keeps the first of a repeated keyword (`state previously set`)
        for (const [kw, sts] of want) {
          if (json(sts) === json(got.get(kw))) continue
          if (got.has(kw)) {
            fixed = false
            si.why ??= `the spec renders ${kw} differently`
          } else add.push(...sts)
        }
        for (const kw of got.keys()) if (!want.has(kw)) {
          fixed = false
          si.why ??= `the spec adds ${kw}`
        }
        extra.push(add)
      }
      if (!same(extra)) {
        fixed = false
        si.why ??= 'the nodes differ in what the spec does not model'
      }
      if (fixed && extra[0].length) si.spec.raw = [...(si.spec.raw ?? []), ...extra[0].map(toRaw)]
      if (fixed) {
        const again = derived(spec)
        fixed = si.members.every((m, k) => json(withDefaults(m.vi)) === json(withDefaults(again[k])))
        if (!fixed) si.why ??= 'the spec renders it differently'
      }
    } catch (e) {
      fixed = false
      si.why ??= e instanceof ZodError ? e.issues.map((x) => `${formatPath(x.path)}: ${x.message}`).join('; ') : e instanceof Error ? e.message : String(e)
    }
    if (!fixed) {
      si.spec.raw = undefined
      si.inRaw = true
    }
  }
  spec.instances = specInstances.filter((s) => !s.inRaw).map((s) => s.spec)
  for (const si of specInstances) {
    if (!si.inRaw) {
      for (const [j, r] of (si.spec.raw ?? []).entries()) {
        const reason = `set per instance: the spec would render ${typeof r === 'string' ? r : r.keyword} differently`
        raw.push({where: `instances[${spec.instances.indexOf(si.spec)}].raw`, keyword: typeof r === 'string' ? r : r.keyword, reason})
        rawComments.push({path: ['instances', spec.instances.indexOf(si.spec), 'raw', j], comment: reason})
      }
      continue
    }
    const sts = si.members.map((m) => instanceStatement(m.written))
    if (si.members.length === 1 || same(sts)) addTopRaw(sts[0], `vrrp_instance ${si.spec.name}: the spec cannot render it as written${si.why ? ` (${si.why})` : ''}`)
    else unrepresented.push({where: `vrrp_instance ${si.spec.name}`, reason: 'differs between nodes in what the spec cannot express'})
    if (si.spec.auth) {
      secretRefs.splice(secretRefs.findIndex((r) => r.where.startsWith(`vrrp_instance ${si.spec.name} `)), 1)
      inlineSecrets.push(...si.members.flatMap((m) => (m.written.authentication ? [m.written.authentication.pass] : [])))
      findings.push({rule: 'import-inline-secret', severity: 'warning', message: `vrrp_instance ${si.spec.name} is carried in raw with its auth_pass inline: the spec file holds the secret (written mode 0600)`, fix: 'keep the spec private, or change the instance so the spec can model it'})
    }
  }
  if (spec.instances.length === 0) {
    const whys = specInstances.length ? specInstances.map((si) => `${si.spec.name}: ${si.why ?? 'not modeled'}`).join('; ') : 'the configs have none'
    throw new HalError('IMPORT_NO_INSTANCE', `no vrrp_instance the spec can model: a cluster spec needs at least one${whys ? ` (${whys})` : ''}`, {
      where: inputs.map((i) => i.label ?? i.file).join(', '),
      hint: 'halctl manages VRRP clusters; lint still checks these files (halctl lint)',
    })
  }
  // virtual servers the spec renders differently go to raw as written
  if (spec.virtualServers) {
    const back = reparse(plain({...spec, raw: undefined}), 0).virtualServers
    const keep: NonNullable<ClusterSpecInput['virtualServers']> = []
    const keptOrig: VirtualServer[] = []
    spec.virtualServers.forEach((v, k) => {
      const orig = modeledVs[k]
      if (json(vsDefaults(orig)) === json(vsDefaults(back[k]))) {
        keep.push(v)
        keptOrig.push(orig)
      }      else addTopRaw(virtualServerStatement(orig), 'virtual_server: the spec would render it differently')
    })
    modeledVs = keptOrig
    spec.virtualServers = keep.length ? keep : undefined
    if (!keep.length) delete spec.virtualServers
  }
  // sync groups and virtual servers that break the spec's rules go to raw as written
  const issues = checkSpecSemantics(ClusterSpecSchema.parse(spec))
  const bad = (what: string) => new Set(issues.filter((x) => x.path[0] === what).map((x) => x.path[1] as number))
  const badGroups = bad('syncGroups')
  if (badGroups.size && spec.syncGroups) {
    const groups = spec.syncGroups
    spec.syncGroups = groups.filter((_, k) => !badGroups.has(k))
    for (const k of badGroups) addTopRaw(syncGroupStatement(configs[0].syncGroups.find((g) => g.name === groups[k].name)!), `vrrp_sync_group ${groups[k].name}: the spec's rules refuse it as written`)
    if (!spec.syncGroups.length) delete spec.syncGroups
  }
  const badVs = bad('virtualServers')
  if (badVs.size && spec.virtualServers) {
    const vss = spec.virtualServers
    spec.virtualServers = vss.filter((_, k) => !badVs.has(k))
    for (const k of badVs) addTopRaw(virtualServerStatement(modeledVs[k]), "virtual_server: the spec's rules refuse it as written")
    if (!spec.virtualServers.length) delete spec.virtualServers
  }
  if (topRaw.length) spec.raw = topRaw
  // virtual_server keywords the spec does not model ride in that virtual server's raw: reported like every raw
  for (const [k, v] of (spec.virtualServers ?? []).entries()) {
    for (const [j, r] of ((v.raw ?? []) as (RawSpecStatement | string)[]).entries()) {
      const keyword = typeof r === 'string' ? r.split(' ')[0] : r.keyword
      const reason = 'virtual_server keyword the spec does not model'
      raw.push({where: `virtualServers[${k}].raw`, keyword, reason})
      rawComments.push({path: ['virtualServers', k, 'raw', j], comment: reason})
    }
  }
  if (!spec.scripts || Object.keys(spec.scripts).length === 0) delete spec.scripts
  if (spec.globalDefs && Object.keys(spec.globalDefs).length === 0) delete spec.globalDefs

  const usedSecrets = new Set(spec.instances.flatMap((i) => (i.auth ? [i.auth.pass.slice(4)] : [])))
  const secretValues = Object.fromEntries([...secrets].filter(([k]) => usedSecrets.has(k)))

  // the check: each node's rendered model equals its parsed original
  const checked = ClusterSpecSchema.safeParse(withSecrets(spec, secrets))
  if (!checked.success) {
    // even raw cannot carry it: e.g. a quoted argument, which halctl's writer does not emit
    const issue = checked.error.issues[0]
    throw new HalError('IMPORT_UNREPRESENTABLE', `the spec cannot carry ${issue.path.join('.')}, not even in raw: ${issue.message}`, {
      hint: 'keep that node on its hand-written keepalived.conf, or rewrite the statement without it and import again',
      exitCode: ExitCode.BadInput,
    })
  }
  const full = checked.data
  const roundTrip = nodes.map((n, i) => {
    const model = reparse(full, i)
    const ignoreRouterId = configs[i].globalDefs?.routerId === undefined
    return {node: n.name, equal: json(comparable(model, {ignoreRouterId})) === json(comparable(configs[i], {ignoreRouterId}))}
  })

  findings.push(...lintCluster(configs.map((config, i) => ({node: names[i], file: inputs[i].label ?? inputs[i].file, config}))))
  for (const n of nodes) if (n.addressFrom === 'placeholder') findings.push({rule: 'import-address', severity: 'warning', node: n.name, file: n.file, message: `node ${n.name}: the config does not name the node's own address; the spec has the placeholder ${n.address}`, fix: 'set nodes[].address to the node\'s address on the VRRP interface before deploying'})

  return {
    report: {
      cluster,
      nodes,
      instances: specInstances.map((s) => ({name: s.spec.name, vrid: s.spec.vrid as number, interface: s.members[0].vi.interface, nodes: s.members.map((m) => names[m.node]), inRaw: s.inRaw})),
      raw,
      secrets: secretRefs,
      scripts: configs.flatMap((c, i) => scriptsOf(names[i], c)),
      findings,
      unrepresented,
      roundTrip,
    },
    spec,
    secretValues,
    inlineSecrets,
    rawComments,
  }
}

/** The spec with env: secrets replaced by their values (for rendering here, never written). */
function withSecrets(s: ClusterSpecInput, secrets: Map<string, string>): ClusterSpecInput {
  return {
    ...s,
    instances: s.instances.map((i) => (i.auth ? {...i, auth: {...i.auth, pass: secrets.get(i.auth.pass.slice(4)) ?? i.auth.pass}} : i)),
  }
}
