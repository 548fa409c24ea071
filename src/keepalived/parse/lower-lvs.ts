import type {Checker, HttpUrl, RealServer, VirtualServer} from '../model.js'
import type {Statement} from './tree.js'
import {scriptUser, type LowerBase, type Located} from './lower-base.js'

/** Lowering of virtual_server blocks: real servers and their checkers. */

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
        x.realServers.push(realServer(l, s))
        return true
      default:
        return false
    }
  })
}

export function realServer(l: LowerBase, owner: Statement): RealServer {
  const [ip, port] = owner.args
  const rs: RealServer = {ip: ip ?? '', checkers: []}
  if (port !== undefined && /^\d+$/.test(port)) rs.port = Number(port)
  return l.fill<RealServer>(rs, owner, owner.block ?? [], (r, s, v) => {
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
        r.checkers.push(checker(l, s))
        return true
      default:
        return false
    }
  })
}

export function checker(l: LowerBase, owner: Statement): Checker {
  const body = owner.block ?? []
  if (owner.keyword === 'MISC_CHECK') {
    return l.fill<Checker>({type: 'MISC_CHECK', miscPath: ''}, owner, body, (c, s, v) => {
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
  return l.fill<Checker>(init, owner, body, (c, s, v) => {
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
        k.urls.push(url(l, s))
        return true
      default:
        return false
    }
  })
}

export function url(l: LowerBase, owner: Statement): HttpUrl {
  const u: HttpUrl & Located = {path: ''}
  l.fill<HttpUrl & Located>(u, owner, owner.block ?? [], (x, s) => {
    const at = {file: s.loc.file, line: s.loc.line}
    if (s.keyword === 'path') x.path = s.args.join(' ')
    else if (s.keyword === 'digest') {
      x.digest = s.args[0]
      if (x.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(x.digest)) {
        l.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `digest must be 32 hex digits (an MD5 sum), got ${x.digest.length} characters`, ...at, fix: 'use the output of genhash (or md5sum of the page)'})
      }
    } else if (s.keyword === 'status_code') {
      x.statusCode = s.args.join(' ')
      const bad = s.args.find((c) => !/^\d{3}(-\d{3})?$/.test(c) || c.split('-').some((n) => Number(n) < 100 || Number(n) > 599))
      if (bad) l.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `status_code "${bad}" is not an HTTP status (100-599) or range`, ...at, fix: 'e.g. status_code 200 or status_code 200-299'})
    } else return false
    return true
  })
  const out: HttpUrl = {path: u.path, loc: u.loc}
  if (u.digest !== undefined) out.digest = u.digest
  if (u.statusCode !== undefined) out.statusCode = u.statusCode
  return out
}
