import type {
  Checker,
  GlobalDefs,
  HttpUrl,
  KeepalivedConfig,
  RawStatement,
  RealServer,
  ScriptUser,
  SourceLoc,
  SyncGroup,
  TrackRef,
  VirtualAddress,
  VirtualServer,
  VrrpInstance,
  VrrpScript,
} from '../model.js'
import {emptyConfig} from '../model.js'
import type {Finding} from '../../lint/types.js'
import type {Statement} from './tree.js'
import {checkPlaceholders, readValue, type Value} from './values.js'

/**
 * Stage 3: the statement tree to the KeepalivedConfig model. Every block gets
 * `loc` (its opening line) and `keyLocs` (per keyword, plus "}" for the
 * closing brace); keywords the model does not hold stay in `extra`.
 */

type Handler<T> = (target: T, s: Statement, v: Value) => boolean

interface Located {
  loc?: SourceLoc
  keyLocs?: Record<string, SourceLoc>
  extra?: RawStatement[]
}

export function toRaw(s: Statement): RawStatement {
  const r: RawStatement = {keyword: s.keyword, args: [...s.args], loc: s.loc}
  if (s.block) r.block = s.block.map(toRaw)
  return r
}

class Lowerer {
  readonly diagnostics: Finding[] = []

  /** Walk a block: check values, run the handler, keep what it does not take in `extra`. */
  fill<T extends Located>(target: T, owner: Statement | undefined, body: Statement[], handle: Handler<T>): T {
    if (owner) {
      target.loc = owner.loc
      target.keyLocs = {}
      if (owner.end) target.keyLocs['}'] = owner.end
    }
    for (const s of body) {
      checkPlaceholders(s, this.diagnostics)
      if (s.blockContext === 'list') for (const item of s.block ?? []) checkPlaceholders(item, this.diagnostics)
      const v = readValue(s, this.diagnostics)
      if (target.keyLocs && !target.keyLocs[s.keyword]) target.keyLocs[s.keyword] = s.loc
      if (s.unknown || !handle(target, s, v)) (target.extra ??= []).push(toRaw(s))
    }
    if (target.extra?.length === 0) delete target.extra
    return target
  }

  config(statements: Statement[]): KeepalivedConfig {
    const cfg = emptyConfig()
    this.fill(cfg, undefined, statements, (c, s) => {
      const body = s.block ?? []
      switch (s.keyword) {
        case 'global_defs':
          c.globalDefs = this.globalDefs(s, body)
          return true
        case 'vrrp_script':
          c.scripts.push(this.script(s, body))
          return true
        case 'vrrp_sync_group':
          c.syncGroups.push(this.syncGroup(s, body))
          return true
        case 'vrrp_instance':
          c.instances.push(this.instance(s, body))
          return true
        case 'virtual_server':
          c.virtualServers.push(this.virtualServer(s, body))
          return true
        case 'static_ipaddress':
          c.staticIpaddress = [...(c.staticIpaddress ?? []), ...body.map((a) => address(a))]
          return true
        default:
          return false
      }
    })
    return cfg
  }

  globalDefs(owner: Statement, body: Statement[]): GlobalDefs {
    return this.fill<GlobalDefs>({}, owner, body, (g, s, v) => {
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'router_id':
          if (typeof v === 'string') g.routerId = v
          return true
        case 'notification_email':
          g.notificationEmail = [...(g.notificationEmail ?? []), ...(s.block ?? []).map((e) => [e.keyword, ...e.args].join(' '))]
          if ((s.block ?? []).length === 0) {
            this.diagnostics.push({
              rule: 'empty-block',
              severity: 'warning',
              message: 'notification_email block is empty',
              file: (s.end ?? s.loc).file,
              line: (s.end ?? s.loc).line,
              fix: 'add an address or remove the block',
            })
          }
          return true
        case 'notification_email_from':
          if (typeof v === 'string') g.notificationEmailFrom = s.args[0]
          return true
        case 'smtp_server':
          if (s.args[0]) g.smtpServer = s.args[0]
          if (s.args[1] !== undefined && /^\d+$/.test(s.args[1])) g.smtpServerPort = Number(s.args[1])
          return true
        case 'smtp_connect_timeout':
          g.smtpConnectTimeout = n
          return true
        case 'vrrp_mcast_group4':
          g.vrrpMcastGroup4 = v as string | undefined
          return true
        case 'vrrp_mcast_group6':
          g.vrrpMcastGroup6 = v as string | undefined
          return true
        case 'vrrp_skip_check_adv_addr':
          g.vrrpSkipCheckAdvAddr = v as boolean | undefined
          return true
        case 'vrrp_strict':
          g.vrrpStrict = v as boolean | undefined
          return true
        case 'vrrp_garp_interval':
          g.vrrpGarpInterval = n
          return true
        case 'vrrp_gna_interval':
          g.vrrpGnaInterval = n
          return true
        case 'vrrp_garp_master_delay':
          g.vrrpGarpMasterDelay = n
          return true
        case 'vrrp_garp_master_repeat':
          g.vrrpGarpMasterRepeat = n
          return true
        case 'vrrp_garp_master_refresh':
          g.vrrpGarpMasterRefresh = n
          return true
        case 'vrrp_garp_master_refresh_repeat':
          g.vrrpGarpMasterRefreshRepeat = n
          return true
        case 'vrrp_version':
          if (n === 2 || n === 3) g.vrrpVersion = n
          else if (n !== undefined) this.badVersion(s, n)
          return true
        case 'enable_script_security':
          g.enableScriptSecurity = v as boolean | undefined
          return true
        case 'script_user':
          g.scriptUser = scriptUser(s.args)
          return true
        default:
          return false
      }
    })
  }

  script(owner: Statement, body: Statement[]): VrrpScript {
    return this.fill<VrrpScript>({name: owner.args[0] ?? '', script: ''}, owner, body, (sc, s, v) => {
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'script':
          sc.script = s.args.join(' ')
          return true
        case 'interval':
          sc.interval = n
          return true
        case 'timeout':
          sc.timeout = n
          return true
        case 'weight': {
          const w = this.weight(s, s.args)
          if (w) [sc.weight, sc.weightReverse] = [w.weight, w.weightReverse]
          return true
        }
        case 'rise':
          sc.rise = n
          return true
        case 'fall':
          sc.fall = n
          return true
        case 'user':
          sc.user = scriptUser(s.args)
          return true
        case 'init_fail':
          sc.initFail = true
          return true
        default:
          return false
      }
    })
  }

  badVersion(s: Statement, n: number): void {
    this.diagnostics.push({rule: 'version-range', severity: 'error', message: `${s.keyword} ${n}: VRRP version must be 2 or 3`, file: s.loc.file, line: s.loc.line, fix: 'use 2 (RFC 3768) or 3 (RFC 5798)'})
  }

  /** `N [reverse]` after a weight keyword */
  weight(s: Statement, words: string[]): {weight: number; weightReverse?: boolean} | undefined {
    const w = words[0]
    if (w === undefined || !/^[+-]?\d+$/.test(w)) {
      this.diagnostics.push({rule: 'invalid-number', severity: 'error', message: `weight needs an integer, got "${w ?? ''}"`, file: s.loc.file, line: s.loc.line})
      return undefined
    }
    return words[1] === 'reverse' ? {weight: Number(w), weightReverse: true} : {weight: Number(w)}
  }

  trackRefs(s: Statement): TrackRef[] {
    return (s.block ?? []).map((t) => {
      const ref: TrackRef = {name: t.keyword, loc: t.loc}
      if (t.args[0] === 'weight') {
        const w = this.weight(t, t.args.slice(1))
        if (w) Object.assign(ref, w)
      }
      const known = t.args[0] === 'weight' ? (t.args[2] === 'reverse' ? 3 : 2) : 0
      if (t.args.length > known) {
        this.diagnostics.push({
          rule: 'invalid-value',
          severity: 'error',
          message: `${s.keyword} ${t.keyword}: unknown option "${t.args.slice(known).join(' ')}" (only "weight N [reverse]")`,
          file: t.loc.file,
          line: t.loc.line,
          fix: 'put one tracked name per line, optionally followed by "weight N"',
        })
      }
      return ref
    })
  }

  notify(target: {[k: string]: unknown}, s: Statement): boolean {
    const key = {
      notify_master: 'notifyMaster',
      notify_backup: 'notifyBackup',
      notify_fault: 'notifyFault',
      notify_stop: 'notifyStop',
      notify: 'notify',
    }[s.keyword]
    if (key) target[key] = s.args.join(' ')
    else if (s.keyword === 'smtp_alert') target.smtpAlert = s.args[0] === undefined || /^(on|true|yes)$/i.test(s.args[0])
    else return false
    return true
  }

  syncGroup(owner: Statement, body: Statement[]): SyncGroup {
    return this.fill<SyncGroup>({name: owner.args[0] ?? '', group: []}, owner, body, (g, s) => {
      switch (s.keyword) {
        case 'group':
          g.group.push(...(s.block ?? []).map((m) => m.keyword))
          return true
        case 'track_script':
          g.trackScript = [...(g.trackScript ?? []), ...this.trackRefs(s)]
          return true
        case 'track_interface':
          g.trackInterface = [...(g.trackInterface ?? []), ...this.trackRefs(s)]
          return true
        default:
          return this.notify(g as unknown as Record<string, unknown>, s)
      }
    })
  }

  instance(owner: Statement, body: Statement[]): VrrpInstance {
    const init: VrrpInstance = {name: owner.args[0] ?? '', interface: '', virtualRouterId: 0, virtualIpaddress: []}
    return this.fill<VrrpInstance>(init, owner, body, (vi, s, v) => {
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'state':
          if (v === 'MASTER' || v === 'BACKUP') vi.state = v
          return true
        case 'interface':
          if (typeof v === 'string') vi.interface = v
          return true
        case 'virtual_router_id':
          if (n !== undefined) vi.virtualRouterId = n
          return true
        case 'priority':
          vi.priority = n
          return true
        case 'advert_int':
          vi.advertInt = n
          return true
        case 'version':
          if (n === 2 || n === 3) vi.version = n
          else if (n !== undefined) this.badVersion(s, n)
          return true
        case 'nopreempt':
          vi.nopreempt = true
          return true
        case 'preempt_delay':
          vi.preemptDelay = n
          return true
        case 'authentication':
          vi.authentication = this.auth(s, vi.keyLocs)
          return true
        case 'virtual_ipaddress':
          vi.virtualIpaddress.push(...(s.block ?? []).map((a) => address(a)))
          return true
        case 'virtual_ipaddress_excluded':
          vi.virtualIpaddressExcluded = [...(vi.virtualIpaddressExcluded ?? []), ...(s.block ?? []).map((a) => address(a))]
          return true
        case 'unicast_src_ip':
          if (typeof v === 'string') vi.unicastSrcIp = v
          return true
        case 'unicast_peer':
          for (const p of s.block ?? []) {
            vi.unicastPeer = [...(vi.unicastPeer ?? []), p.keyword]
            // each peer's line, for findings: keyLocs["unicast_peer[i]"]
            if (vi.keyLocs) vi.keyLocs[`unicast_peer[${vi.unicastPeer.length - 1}]`] = p.loc
          }
          return true
        case 'mcast_src_ip':
          if (typeof v === 'string') vi.mcastSrcIp = v
          return true
        case 'track_script':
          vi.trackScript = [...(vi.trackScript ?? []), ...this.trackRefs(s)]
          return true
        case 'track_interface':
          vi.trackInterface = [...(vi.trackInterface ?? []), ...this.trackRefs(s)]
          return true
        case 'garp_master_delay':
          vi.garpMasterDelay = n
          return true
        case 'garp_master_repeat':
          vi.garpMasterRepeat = n
          return true
        case 'garp_master_refresh':
          vi.garpMasterRefresh = n
          return true
        case 'garp_master_refresh_repeat':
          vi.garpMasterRefreshRepeat = n
          return true
        case 'use_vmac':
          vi.useVmac = s.args[0] ?? true
          return true
        case 'vmac_xmit_base':
          vi.vmacXmitBase = true
          return true
        case 'native_ipv6':
          vi.nativeIpv6 = true
          return true
        case 'dont_track_primary':
          vi.dontTrackPrimary = true
          return true
        case 'no_accept':
          vi.noAccept = true
          return true
        case 'accept':
          vi.accept = true
          return true
        default:
          return this.notify(vi as unknown as Record<string, unknown>, s)
      }
    })
  }

  /** authentication { } (its keyword lines are recorded in the instance's keyLocs: auth_type, auth_pass) */
  auth(s: Statement, keyLocs: Record<string, SourceLoc> | undefined): VrrpInstance['authentication'] {
    let type: 'PASS' | 'AH' | undefined
    let pass = ''
    const holder = this.fill<Located>({}, s, s.block ?? [], (_a, st, v) => {
      if (st.keyword === 'auth_type') type = v as 'PASS' | 'AH' | undefined
      else if (st.keyword === 'auth_pass') pass = st.args.join(' ')
      else return false
      return true
    })
    for (const [k, loc] of Object.entries(holder.keyLocs ?? {})) if (k !== '}' && keyLocs && !keyLocs[k]) keyLocs[k] = loc
    return type || pass ? {type: type ?? 'PASS', pass} : undefined
  }

  virtualServer(owner: Statement, body: Statement[]): VirtualServer {
    const vs: VirtualServer = {realServers: []}
    const [a, b] = owner.args
    if (a === 'fwmark') vs.fwmark = /^\d+$/.test(b ?? '') ? Number(b) : undefined
    else if (a === 'group') vs.group = b
    else {
      vs.address = a
      if (b !== undefined && /^\d+$/.test(b)) vs.port = Number(b)
    }
    return this.fill<VirtualServer>(vs, owner, body, (x, s, v) => {
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'delay_loop':
          x.delayLoop = n
          return true
        case 'lb_algo':
        case 'lvs_sched':
          if (v !== undefined) x.lbAlgo = v as VirtualServer['lbAlgo']
          return true
        case 'lb_kind':
        case 'lvs_method':
          if (v !== undefined) x.lbKind = v as VirtualServer['lbKind']
          return true
        case 'protocol':
          if (v !== undefined) x.protocol = v as VirtualServer['protocol']
          return true
        case 'persistence_timeout':
          x.persistenceTimeout = n
          return true
        case 'persistence_granularity':
          x.persistenceGranularity = v as string | undefined
          return true
        case 'virtualhost':
          x.virtualhost = v as string | undefined
          return true
        case 'sorry_server':
          if (s.args[0]) x.sorryServer = s.args[1] && /^\d+$/.test(s.args[1]) ? {ip: s.args[0], port: Number(s.args[1])} : {ip: s.args[0]}
          return true
        case 'sorry_server_inhibit':
          x.sorryServerInhibit = v as boolean | undefined
          return true
        case 'quorum':
          x.quorum = n
          return true
        case 'hysteresis':
          x.hysteresis = n
          return true
        case 'quorum_up':
          x.quorumUp = s.args.join(' ')
          return true
        case 'quorum_down':
          x.quorumDown = s.args.join(' ')
          return true
        case 'alpha':
          x.alpha = true
          return true
        case 'omega':
          x.omega = true
          return true
        case 'inhibit_on_failure':
          x.inhibitOnFailure = v as boolean | undefined
          return true
        case 'real_server':
          x.realServers.push(this.realServer(s))
          return true
        default:
          return false
      }
    })
  }

  realServer(owner: Statement): RealServer {
    const [ip, port] = owner.args
    const rs: RealServer = {ip: ip ?? '', checkers: []}
    if (port !== undefined && /^\d+$/.test(port)) rs.port = Number(port)
    return this.fill<RealServer>(rs, owner, owner.block ?? [], (r, s, v) => {
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'weight':
          r.weight = n
          return true
        case 'inhibit_on_failure':
          r.inhibitOnFailure = v as boolean | undefined
          return true
        case 'notify_up':
          r.notifyUp = s.args.join(' ')
          return true
        case 'notify_down':
          r.notifyDown = s.args.join(' ')
          return true
        case 'delay_loop':
          r.delayLoop = n
          return true
        case 'HTTP_GET':
        case 'SSL_GET':
        case 'TCP_CHECK':
        case 'MISC_CHECK':
          r.checkers.push(this.checker(s))
          return true
        default:
          return false
      }
    })
  }

  checker(owner: Statement): Checker {
    const body = owner.block ?? []
    if (owner.keyword === 'MISC_CHECK') {
      return this.fill<Checker>({type: 'MISC_CHECK', miscPath: ''}, owner, body, (c, s, v) => {
        const m = c as Extract<Checker, {type: 'MISC_CHECK'}>
        const n = typeof v === 'number' ? v : undefined
        switch (s.keyword) {
          case 'misc_path':
            m.miscPath = s.args.join(' ')
            return true
          case 'misc_timeout':
            m.miscTimeout = n
            return true
          case 'misc_dynamic':
            m.miscDynamic = true
            return true
          case 'user':
            m.user = scriptUser(s.args)
            return true
          case 'warmup':
            m.warmup = n
            return true
          default:
            return false
        }
      })
    }
    const init: Checker =
      owner.keyword === 'TCP_CHECK' ? {type: 'TCP_CHECK'} : {type: owner.keyword as 'HTTP_GET' | 'SSL_GET', urls: []}
    return this.fill<Checker>(init, owner, body, (c, s, v) => {
      const k = c as Exclude<Checker, {type: 'MISC_CHECK'}>
      const n = typeof v === 'number' ? v : undefined
      switch (s.keyword) {
        case 'connect_ip':
          k.connectIp = v as string | undefined
          return true
        case 'connect_port':
          k.connectPort = n
          return true
        case 'bindto':
          k.bindto = v as string | undefined
          return true
        case 'bind_port':
          k.bindPort = n
          return true
        case 'connect_timeout':
          k.connectTimeout = n
          return true
        case 'retry':
        case 'nb_get_retry':
          k.retry = n
          return true
        case 'delay_before_retry':
          k.delayBeforeRetry = n
          return true
        case 'warmup':
          k.warmup = n
          return true
        case 'virtualhost':
          if (k.type === 'TCP_CHECK') return false
          k.virtualhost = v as string | undefined
          return true
        case 'url':
          if (k.type === 'TCP_CHECK') return false
          k.urls.push(this.url(s))
          return true
        default:
          return false
      }
    })
  }

  url(owner: Statement): HttpUrl {
    const u: HttpUrl & Located = {path: ''}
    this.fill<HttpUrl & Located>(u, owner, owner.block ?? [], (x, s) => {
      const at = {file: s.loc.file, line: s.loc.line}
      if (s.keyword === 'path') x.path = s.args.join(' ')
      else if (s.keyword === 'digest') {
        x.digest = s.args[0]
        if (x.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(x.digest)) {
          this.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `digest must be 32 hex digits (an MD5 sum), got ${x.digest.length} characters`, ...at, fix: 'use the output of genhash (or md5sum of the page)'})
        }
      } else if (s.keyword === 'status_code') {
        x.statusCode = s.args.join(' ')
        const bad = s.args.find((c) => !/^\d{3}(-\d{3})?$/.test(c) || c.split('-').some((n) => Number(n) < 100 || Number(n) > 599))
        if (bad) this.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `status_code "${bad}" is not an HTTP status (100-599) or range`, ...at, fix: 'e.g. status_code 200 or status_code 200-299'})
      } else return false
      return true
    })
    const out: HttpUrl = {path: u.path, loc: u.loc}
    if (u.digest !== undefined) out.digest = u.digest
    if (u.statusCode !== undefined) out.statusCode = u.statusCode
    return out
  }
}

function scriptUser(args: string[]): ScriptUser {
  return args[1] ? {user: args[0] ?? '', group: args[1]} : {user: args[0] ?? ''}
}

/** One virtual_ipaddress line: ADDRESS[/PREFIX] [brd X] [dev X] [scope X] [label X] [...] */
export function address(s: Statement): VirtualAddress {
  const a: VirtualAddress = {address: s.keyword, loc: s.loc}
  const rest: string[] = []
  const words = s.args
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if ((w === 'brd' || w === 'dev' || w === 'scope' || w === 'label') && i + 1 < words.length) {
      a[w === 'brd' ? 'brd' : w] = words[++i]
    } else rest.push(w)
  }
  if (rest.length > 0) a.extra = rest
  return a
}

export interface LowerResult {
  config: KeepalivedConfig
  diagnostics: Finding[]
}

export function lowerTree(statements: Statement[]): LowerResult {
  const l = new Lowerer()
  const config = l.config(statements)
  return {config, diagnostics: l.diagnostics}
}
