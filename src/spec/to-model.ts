import {HalError} from '../lib/errors.js'
import type {
  Checker,
  GlobalDefs,
  KeepalivedConfig,
  NotifyScripts,
  RawStatement,
  ScriptUser,
  TrackRef,
  VirtualAddress,
  VirtualServer,
  VrrpInstance,
  VrrpScript,
} from '../keepalived/model.js'
import {addressFamily, bareAddress} from '../net/address.js'
import {assignVrids, instanceFamily, instancePlan, nodeInterface, routerId} from './derive.js'
import {renderScriptFile, type ScriptContext, type ScriptFile} from './script-files.js'
import {resolveSecret} from './secrets.js'
import type {CheckerSpec, ClusterSpec, CommandSpec, NodeSpec, NotifySpec, RawSpecStatement, TrackRefSpec, VipSpec, VirtualServerSpec} from './schema.js'

/** One node's share of a cluster spec: its keepalived.conf model and the script files it refers to. */
export interface NodeModel {
  config: KeepalivedConfig
  scripts: ScriptFile[]
}

const scriptUser = (s: string): ScriptUser => {
  const [user, group] = s.trim().split(/\s+/)
  return group ? {user, group} : {user}
}

export function rawFromSpec(r: RawSpecStatement | string): RawStatement {
  if (typeof r === 'string') {
    const words = r.trim().split(/\s+/)
    return {keyword: words[0], args: words.slice(1)}
  }
  const out: RawStatement = {keyword: r.keyword, args: (r.args ?? []).map(String)}
  if (r.block) out.block = r.block.map(rawFromSpec)
  return out
}
const rawList = (r: (RawSpecStatement | string)[] | undefined): RawStatement[] | undefined => (r && r.length ? r.map(rawFromSpec) : undefined)

const vipFromSpec = (v: VipSpec): VirtualAddress =>
  typeof v === 'string' ? {address: v} : {address: v.address, brd: v.brd, dev: v.dev, scope: v.scope, label: v.label}

const trackFromSpec = (t: TrackRefSpec): TrackRef =>
  typeof t === 'string' ? {name: t} : {name: t.name, weight: t.weight, weightReverse: t.reverse || undefined}

/** Collects the files a node needs; one path, one content. */
class ScriptSink {
  readonly files = new Map<string, ScriptFile>()
  constructor(
    private readonly scriptsDir: string,
    private readonly ctx: ScriptContext,
  ) {}

  /** The command line keepalived runs for a command spec, writing its script when templated. */
  command(c: CommandSpec): string {
    if (typeof c === 'string') return c
    const f = renderScriptFile(c, this.scriptsDir, this.ctx)
    const prev = this.files.get(f.path)
    if (prev && prev.content !== f.content) {
      throw new HalError('SPEC_INVALID', `two different scripts would be written to ${f.path}`, {
        hint: 'give one of them another `file:` name',
      })
    }
    this.files.set(f.path, f)
    return [f.path, ...(c.args ?? [])].join(' ')
  }
}

function notifyFromSpec(n: NotifySpec | undefined, sink: ScriptSink): NotifyScripts {
  if (!n) return {}
  const cmd = (c: CommandSpec | undefined) => (c === undefined ? undefined : sink.command(c))
  return {
    notifyMaster: cmd(n.master),
    notifyBackup: cmd(n.backup),
    notifyFault: cmd(n.fault),
    notifyStop: cmd(n.stop),
    notify: cmd(n.notify),
    smtpAlert: n.smtpAlert || undefined,
  }
}

function checkerFromSpec(c: CheckerSpec): Checker {
  if (c.type === 'MISC_CHECK') {
    return {type: 'MISC_CHECK', miscPath: c.path, miscTimeout: c.timeout, miscDynamic: c.dynamic || undefined, user: c.user ? scriptUser(c.user) : undefined, warmup: c.warmup}
  }
  const common = {
    connectIp: c.connectIp,
    connectPort: c.connectPort,
    bindto: c.bindto,
    bindPort: c.bindPort,
    connectTimeout: c.connectTimeout,
    retry: c.retry,
    delayBeforeRetry: c.delayBeforeRetry,
    warmup: c.warmup,
  }
  if (c.type === 'TCP_CHECK') return {type: 'TCP_CHECK', ...common}
  return {
    type: c.type,
    urls: c.urls.map((u) => ({path: u.path, digest: u.digest, statusCode: u.statusCode === undefined ? undefined : String(u.statusCode)})),
    virtualhost: c.virtualhost,
    ...common,
  }
}

function virtualServerFromSpec(v: VirtualServerSpec): VirtualServer {
  return {
    address: v.address,
    port: v.port,
    fwmark: v.fwmark,
    delayLoop: v.delayLoop,
    lbAlgo: v.lbAlgo,
    lbKind: v.lbKind,
    protocol: v.protocol ?? (v.fwmark === undefined ? 'TCP' : undefined),
    persistenceTimeout: v.persistenceTimeout,
    virtualhost: v.virtualhost,
    sorryServer: v.sorryServer ? {ip: v.sorryServer.ip, port: v.sorryServer.port} : undefined,
    quorum: v.quorum,
    hysteresis: v.hysteresis,
    quorumUp: v.quorumUp,
    quorumDown: v.quorumDown,
    alpha: v.alpha || undefined,
    omega: v.omega || undefined,
    inhibitOnFailure: v.inhibitOnFailure || undefined,
    realServers: v.realServers.map((r) => ({
      ip: r.ip,
      port: r.port,
      weight: r.weight,
      inhibitOnFailure: r.inhibitOnFailure || undefined,
      notifyUp: r.notifyUp,
      notifyDown: r.notifyDown,
      delayLoop: r.delayLoop,
      checkers: r.check ? [checkerFromSpec(r.check)] : [],
    })),
    extra: rawList(v.raw),
  }
}

function usesScripts(spec: ClusterSpec): boolean {
  const notifies = [...spec.instances.map((i) => i.notify), ...(spec.syncGroups ?? []).map((g) => g.notify)]
  return (
    Object.keys(spec.scripts ?? {}).length > 0 ||
    notifies.some((n) => n && Object.values(n).some((v) => v !== undefined && typeof v !== 'boolean')) ||
    (spec.virtualServers ?? []).some((v) => v.realServers.some((r) => r.check?.type === 'MISC_CHECK' || r.notifyUp || r.notifyDown))
  )
}

function globalDefsFor(spec: ClusterSpec, node: NodeSpec): GlobalDefs {
  const g = spec.globalDefs ?? {}
  const scripts = usesScripts(spec)
  return {
    routerId: routerId(spec, node),
    notificationEmail: g.notificationEmail,
    notificationEmailFrom: g.notificationEmailFrom,
    smtpServer: g.smtpServer,
    smtpServerPort: g.smtpServerPort,
    smtpConnectTimeout: g.smtpConnectTimeout,
    vrrpMcastGroup4: g.vrrpMcastGroup4,
    vrrpMcastGroup6: g.vrrpMcastGroup6,
    vrrpSkipCheckAdvAddr: g.vrrpSkipCheckAdvAddr || undefined,
    vrrpStrict: g.vrrpStrict || undefined,
    vrrpGarpInterval: g.vrrpGarpInterval,
    vrrpGnaInterval: g.vrrpGnaInterval,
    vrrpGarpMasterDelay: g.vrrpGarpMasterDelay,
    vrrpGarpMasterRepeat: g.vrrpGarpMasterRepeat,
    vrrpGarpMasterRefresh: g.vrrpGarpMasterRefresh,
    vrrpGarpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat,
    vrrpVersion: g.vrrpVersion,
    // scripts run as a named user with script security on, unless the spec says otherwise
    enableScriptSecurity: (g.enableScriptSecurity ?? scripts) || undefined,
    scriptUser: g.scriptUser ? scriptUser(g.scriptUser) : scripts && g.enableScriptSecurity !== false ? {user: 'root'} : undefined,
    // keepalived's model keeps max_auto_priority among the keywords it does not lower
    extra: rawList([...(g.maxAutoPriority === undefined ? [] : [{keyword: 'max_auto_priority', args: [g.maxAutoPriority]}]), ...(g.raw ?? [])]),
  }
}

/** What script templates know about a node: its peers and the instances it takes part in. */
export function scriptContext(spec: ClusterSpec, node: NodeSpec, vrids = assignVrids(spec)): ScriptContext {
  const instances = spec.instances.flatMap((inst) => {
    const plan = instancePlan(spec, inst)
    const me = plan.members.find((m) => m.node.name === node.name)
    if (!me) return []
    const vips = inst.vips.map((v) => bareAddress(typeof v === 'string' ? v : v.address))
    const top = plan.members.reduce((a, b) => (b.priority > a.priority ? b : a))
    return [
      {
        name: inst.name,
        vrid: vrids.get(inst.name)!,
        advertInt: inst.advertInt,
        priority: me.priority,
        interface: nodeInterface(spec, node, inst),
        state: me.state,
        // the node the priorities make master (all start BACKUP with nopreempt)
        designated: top === me ? ('yes' as const) : ('no' as const),
        vips,
        vips4: vips.filter((v) => addressFamily(v) === 4),
      },
    ]
  })
  return {
    cluster: spec.cluster,
    node: {name: node.name, address: node.address},
    peers: spec.nodes.filter((n) => n !== node).map((n) => ({name: n.name, address: n.address})),
    instances,
  }
}

/**
 * The keepalived.conf model of one node. Matched across nodes: VRID, auth,
 * advert_int, VIPs and version come from the instance; state, priority,
 * router_id, unicast_src_ip and peers from the node. Secrets are resolved here.
 */
export function nodeModel(spec: ClusterSpec, node: NodeSpec, vrids = assignVrids(spec)): NodeModel {
  const sink = new ScriptSink(spec.scriptsDir, scriptContext(spec, node, vrids))
  const instances: VrrpInstance[] = []
  for (const [idx, inst] of spec.instances.entries()) {
    const plan = instancePlan(spec, inst)
    const me = plan.members.find((m) => m.node.name === node.name)
    if (!me) continue
    const family = instanceFamily(spec, inst)
    const sameFamily = (v: VipSpec) => addressFamily(typeof v === 'string' ? v : v.address) === family
    const excluded = [...inst.vips.filter((v) => !sameFamily(v)), ...(inst.excludedVips ?? [])]
    const peers = [...plan.members.filter((m) => m !== me).map((m) => m.node.address), ...(inst.externalPeers ?? [])]
    instances.push({
      name: inst.name,
      state: me.state,
      interface: nodeInterface(spec, node, inst),
      virtualRouterId: vrids.get(inst.name)!,
      priority: me.priority,
      advertInt: inst.advertInt,
      version: inst.version ?? (family === 6 && spec.globalDefs?.vrrpVersion === undefined ? 3 : undefined),
      nopreempt: inst.preempt ? undefined : true,
      preemptDelay: inst.preemptDelay,
      authentication: inst.auth ? {type: inst.auth.type, pass: resolveSecret(inst.auth.pass, `instances[${idx}].auth.pass`)} : undefined,
      virtualIpaddress: inst.vips.filter(sameFamily).map(vipFromSpec),
      virtualIpaddressExcluded: excluded.length ? excluded.map(vipFromSpec) : undefined,
      unicastSrcIp: inst.unicast ? node.address : undefined,
      unicastPeer: inst.unicast && peers.length > 0 ? peers : undefined,
      mcastSrcIp: inst.mcastSrcIp,
      trackScript: inst.trackScripts?.map(trackFromSpec),
      trackInterface: inst.trackInterfaces?.map(trackFromSpec),
      ...notifyFromSpec(inst.notify, sink),
      garpMasterDelay: inst.garp?.masterDelay,
      garpMasterRepeat: inst.garp?.masterRepeat,
      garpMasterRefresh: inst.garp?.masterRefresh,
      garpMasterRefreshRepeat: inst.garp?.masterRefreshRepeat,
      useVmac: inst.useVmac || undefined,
      nativeIpv6: inst.nativeIpv6 || undefined,
      dontTrackPrimary: inst.dontTrackPrimary || undefined,
      noAccept: inst.noAccept || undefined,
      accept: inst.accept || undefined,
      extra: rawList(inst.raw),
    })
  }
  const here = new Set(instances.map((i) => i.name))
  const scripts: VrrpScript[] = Object.entries(spec.scripts ?? {}).map(([name, s]) => ({
    name,
    script: sink.command(s.script),
    interval: s.interval,
    timeout: s.timeout,
    weight: s.weight,
    weightReverse: s.reverse || undefined,
    rise: s.rise,
    fall: s.fall,
    user: s.user ? scriptUser(s.user) : undefined,
    initFail: s.initFail || undefined,
  }))
  const syncGroups = (spec.syncGroups ?? []).flatMap((g) => {
    const group = g.instances.filter((n) => here.has(n))
    if (group.length === 0) return []
    return [{name: g.name, group, trackScript: g.trackScripts?.map(trackFromSpec), ...notifyFromSpec(g.notify, sink)}]
  })
  const config: KeepalivedConfig = {
    globalDefs: globalDefsFor(spec, node),
    scripts,
    syncGroups,
    instances,
    virtualServers: (spec.virtualServers ?? []).map(virtualServerFromSpec),
    extra: rawList(spec.raw),
  }
  return {config: dropUndefined(config), scripts: [...sink.files.values()].sort((a, b) => a.path.localeCompare(b.path))}
}

/** The model without undefined-valued keys: what a parser gives back, and stable JSON. */
function dropUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropUndefined) as T
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = dropUndefined(x)
    return o as T
  }
  return v
}
