import type {GlobalDefs, KeepalivedConfig, SourceLoc, SyncGroup, VrrpInstance, VrrpScript} from '../model.js'
import {emptyConfig} from '../model.js'
import type {Finding} from '../../lint/types.js'
import {address, LowerBase, scriptUser, type Located} from './lower-base.js'
import {virtualServer} from './lower-lvs.js'
import type {Statement} from './tree.js'

/**
 * Stage 3: the statement tree to the KeepalivedConfig model. Every block gets
 * `loc` (its opening line) and `keyLocs` (per keyword, plus "}" for the
 * closing brace); keywords the model does not hold stay in `extra`.
 */

class Lowerer extends LowerBase {
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
          c.virtualServers.push(virtualServer(this, s, body))
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
