import type {Checker, HttpUrl, RealServer, VirtualServer} from '../model.js'
import type {Statement} from './tree.js'
import {scriptUser, setField, type FieldTable, type LowerBase, type Located} from './lower-base.js'

/** Lowering of virtual_server blocks: real servers and their checkers. */

const VIRTUAL_SERVER_FIELDS: FieldTable<VirtualServer> = {
  delay_loop: ['delayLoop', 'number'],
  lb_algo: ['lbAlgo', 'present'],
  lvs_sched: ['lbAlgo', 'present'],
  lb_kind: ['lbKind', 'present'],
  lvs_method: ['lbKind', 'present'],
  protocol: ['protocol', 'present'],
  persistence_timeout: ['persistenceTimeout', 'number'],
  persistence_granularity: ['persistenceGranularity', 'value'],
  virtualhost: ['virtualhost', 'value'],
  sorry_server_inhibit: ['sorryServerInhibit', 'value'],
  quorum: ['quorum', 'number'],
  hysteresis: ['hysteresis', 'number'],
  quorum_up: ['quorumUp', 'words'],
  quorum_down: ['quorumDown', 'words'],
  alpha: ['alpha', 'flag'],
  omega: ['omega', 'flag'],
  inhibit_on_failure: ['inhibitOnFailure', 'value'],
}

const REAL_SERVER_FIELDS: FieldTable<RealServer> = {
  weight: ['weight', 'number'],
  inhibit_on_failure: ['inhibitOnFailure', 'value'],
  notify_up: ['notifyUp', 'words'],
  notify_down: ['notifyDown', 'words'],
  delay_loop: ['delayLoop', 'number'],
}

type MiscCheck = Extract<Checker, {type: 'MISC_CHECK'}>
type ConnectCheck = Exclude<Checker, {type: 'MISC_CHECK'}>

const MISC_CHECK_FIELDS: FieldTable<MiscCheck> = {
  misc_path: ['miscPath', 'words'],
  misc_timeout: ['miscTimeout', 'number'],
  misc_dynamic: ['miscDynamic', 'flag'],
  warmup: ['warmup', 'number'],
}

/** TCP_CHECK, HTTP_GET and SSL_GET */
const CONNECT_CHECK_FIELDS: FieldTable<ConnectCheck> = {
  connect_ip: ['connectIp', 'value'],
  connect_port: ['connectPort', 'number'],
  bindto: ['bindto', 'value'],
  bind_port: ['bindPort', 'number'],
  connect_timeout: ['connectTimeout', 'number'],
  retry: ['retry', 'number'],
  nb_get_retry: ['retry', 'number'],
  delay_before_retry: ['delayBeforeRetry', 'number'],
  warmup: ['warmup', 'number'],
}

export function virtualServer(l: LowerBase, owner: Statement, body: Statement[]): VirtualServer {
  const vs: VirtualServer = {realServers: []}
  const [a, b] = owner.args
  if (a === 'fwmark') vs.fwmark = /^\d+$/.test(b ?? '') ? Number(b) : undefined
  else if (a === 'group') vs.group = b
  else {
    vs.address = a
    if (b !== undefined && /^\d+$/.test(b)) vs.port = Number(b)
  }
  return l.fill<VirtualServer>(vs, owner, body, (x, s, v) => {
    if (setField(VIRTUAL_SERVER_FIELDS, x, s, v)) return true
    if (s.keyword === 'sorry_server') {
      if (s.args[0]) x.sorryServer = s.args[1] && /^\d+$/.test(s.args[1]) ? {ip: s.args[0], port: Number(s.args[1])} : {ip: s.args[0]}
    } else if (s.keyword === 'real_server') x.realServers.push(realServer(l, s))
    else return false
    return true
  })
}

export function realServer(l: LowerBase, owner: Statement): RealServer {
  const [ip, port] = owner.args
  const rs: RealServer = {ip: ip ?? '', checkers: []}
  if (port !== undefined && /^\d+$/.test(port)) rs.port = Number(port)
  return l.fill<RealServer>(rs, owner, owner.block ?? [], (r, s, v) => {
    if (setField(REAL_SERVER_FIELDS, r, s, v)) return true
    if (!['HTTP_GET', 'SSL_GET', 'TCP_CHECK', 'MISC_CHECK'].includes(s.keyword)) return false
    r.checkers.push(checker(l, s))
    return true
  })
}

export function checker(l: LowerBase, owner: Statement): Checker {
  const body = owner.block ?? []
  if (owner.keyword === 'MISC_CHECK') {
    return l.fill<Checker>({type: 'MISC_CHECK', miscPath: ''}, owner, body, (c, s, v) => {
      const m = c as MiscCheck
      if (setField(MISC_CHECK_FIELDS, m, s, v)) return true
      if (s.keyword !== 'user') return false
      m.user = scriptUser(s.args)
      return true
    })
  }
  const init: Checker =
    owner.keyword === 'TCP_CHECK' ? {type: 'TCP_CHECK'} : {type: owner.keyword as 'HTTP_GET' | 'SSL_GET', urls: []}
  return l.fill<Checker>(init, owner, body, (c, s, v) => {
    const k = c as ConnectCheck
    if (setField(CONNECT_CHECK_FIELDS, k, s, v)) return true
    if (k.type === 'TCP_CHECK') return false
    if (s.keyword === 'virtualhost') k.virtualhost = v as string | undefined
    else if (s.keyword === 'url') k.urls.push(url(l, s))
    else return false
    return true
  })
}

export function url(l: LowerBase, owner: Statement): HttpUrl {
  const u: HttpUrl & Located = {path: ''}
  l.fill<HttpUrl & Located>(u, owner, owner.block ?? [], (x, s) => {
    const at = {file: s.loc.file, line: s.loc.line}
    if (s.keyword === 'path') x.path = s.args[0] ?? ''
    else if (s.keyword === 'digest') {
      x.digest = s.args[0]
      if (x.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(x.digest)) {
        l.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `digest must be 32 hex digits (an MD5 sum), got ${x.digest.length} characters`, ...at, fix: 'use the output of genhash (or md5sum of the page)'})
      }
    } else if (s.keyword === 'status_code') {
      x.statusCode = s.args.join(' ')
      const bad = s.args.find((c) => !/^\d{3}(-\d{3})?$/.test(c) || c.split('-').some((n) => Number(n) < 100 || Number(n) > 599))
      if (bad) l.diagnostics.push({rule: 'invalid-value', severity: 'warning', message: `status_code "${bad}" is not an HTTP status (100-599) or range (keepalived does not check it)`, ...at, fix: 'e.g. status_code 200 or status_code 200-299'})
    } else return false
    return true
  })
  const out: HttpUrl = {path: u.path, loc: u.loc}
  if (u.digest !== undefined) out.digest = u.digest
  if (u.statusCode !== undefined) out.statusCode = u.statusCode
  return out
}
