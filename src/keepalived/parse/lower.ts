import type {GlobalDefs, KeepalivedConfig, SourceLoc, SyncGroup, VrrpInstance, VrrpScript} from '../model.js'
import {emptyConfig} from '../model.js'
import type {Finding} from '../../lib/findings.js'
import type {BlockName} from '../keywords.js'
import {address, LowerBase, scriptUser, setField, type Located} from './lower-base.js'
import {virtualServer} from './lower-lvs.js'
import type {Statement} from './tree.js'

/**
 * Stage 3: the statement tree to the KeepalivedConfig model. Every block gets
 * `loc` (its opening line) and `keyLocs` (per keyword, plus "}" for the
 * closing brace); keywords the model does not hold stay in `extra`.
 */

/** Blocks the lowerer walks (checking each statement's value on the way); the others are checked by checkUnlowered. */
export const LOWERED_BLOCKS: ReadonlySet<BlockName> = new Set<BlockName>(['top', 'global_defs', 'vrrp_script', 'vrrp_sync_group', 'vrrp_instance', 'authentication', 'virtual_server', 'real_server', 'http_check', 'url', 'tcp_check', 'misc_check'])

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
      if (setField(g, s, v)) return true
      switch (s.keyword) {
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
        case 'smtp_server':
          if (s.args[0]) g.smtpServer = s.args[0]
          if (s.args[1] !== undefined && /^\d+$/.test(s.args[1])) g.smtpServerPort = Number(s.args[1])
          return true
        case 'vrrp_version':
          this.version(s, v, (n) => (g.vrrpVersion = n))
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
      if (setField(sc, s, v)) return true
      switch (s.keyword) {
        case 'weight': {
          const w = this.weight(s, s.args)
          if (w) [sc.weight, sc.weightReverse] = [w.weight, w.weightReverse]
          return true
        }
        case 'user':
          sc.user = scriptUser(s.args)
          return true
        default:
          return false
      }
    })
  }

  syncGroup(owner: Statement, body: Statement[]): SyncGroup {
    return this.fill<SyncGroup>({name: owner.args[0] ?? '', group: []}, owner, body, (g, s, v) => {
      if (s.keyword !== 'group') return this.tracks(g, s) || this.notify(g, s, v)
      g.group.push(...(s.block ?? []).map((m) => m.keyword))
      return true
    })
  }

  instance(owner: Statement, body: Statement[]): VrrpInstance {
    const init: VrrpInstance = {name: owner.args[0] ?? '', interface: '', virtualRouterId: 0, virtualIpaddress: []}
    return this.fill<VrrpInstance>(init, owner, body, (vi, s, v) => {
      // keepalived keeps MASTER when BACKUP follows it, and the first version (checkOrder reports both)
      if (s.keyword === 'state' && vi.state === 'MASTER') return true
      if (setField(vi, s, v)) return true
      switch (s.keyword) {
        case 'version':
          this.version(s, v, (n) => (vi.version ??= n))
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
        case 'unicast_peer':
          for (const p of s.block ?? []) {
            vi.unicastPeer = [...(vi.unicastPeer ?? []), p.keyword]
            // each peer's line, for findings: keyLocs["unicast_peer[i]"]
            if (vi.keyLocs) vi.keyLocs[`unicast_peer[${vi.unicastPeer.length - 1}]`] = p.loc
          }
          return true
        case 'use_vmac':
          vi.useVmac = s.args[0] ?? true
          return true
        default:
          return this.tracks(vi, s) || this.notify(vi, s, v)
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
