import type {Checker, HttpUrl, RealServer, VirtualServer} from '../model.js'
import type {Statement} from './tree.js'
import {scriptUser, setField, type LowerBase, type Located} from './lower-base.js'

/** Lowering of virtual_server blocks: real servers and their checkers. */

type MiscCheck = Extract<Checker, {type: 'MISC_CHECK'}>
type ConnectCheck = Exclude<Checker, {type: 'MISC_CHECK'}>

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
    if (setField(x, s, v)) return true
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
    if (setField(r, s, v)) return true
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
      if (setField(m, s, v)) return true
      if (s.keyword !== 'user') return false
      m.user = scriptUser(s.args)
      return true
    })
  }
  const init: Checker =
    owner.keyword === 'TCP_CHECK' ? {type: 'TCP_CHECK'} : {type: owner.keyword as 'HTTP_GET' | 'SSL_GET', urls: []}
  return l.fill<Checker>(init, owner, body, (c, s, v) => {
    const k = c as ConnectCheck
    if (setField(k, s, v)) return true
    if (k.type === 'TCP_CHECK' || s.keyword !== 'url') return false
    k.urls.push(url(l, s))
    return true
  })
}

export function url(l: LowerBase, owner: Statement): HttpUrl {
  const u: HttpUrl & Located = {path: ''}
  l.fill<HttpUrl & Located>(u, owner, owner.block ?? [], (x, s, v) => {
    const at = {file: s.loc.file, line: s.loc.line}
    if (!setField(x, s, v)) return false
    if (s.keyword === 'digest') {
      if (x.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(x.digest)) {
        l.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `digest must be 32 hex digits (an MD5 sum), got ${x.digest.length} characters`, ...at, fix: 'use the output of genhash (or md5sum of the page)'})
      }
    } else if (s.keyword === 'status_code') {
      const bad = s.args.find((c) => !/^\d{3}(-\d{3})?$/.test(c) || c.split('-').some((n) => Number(n) < 100 || Number(n) > 599))
      if (bad) l.diagnostics.push({rule: 'invalid-value', severity: 'warning', message: `status_code "${bad}" is not an HTTP status (100-599) or range (keepalived does not check it)`, ...at, fix: 'e.g. status_code 200 or status_code 200-299'})
    }
    return true
  })
  const out: HttpUrl = {path: u.path, loc: u.loc}
  if (u.digest !== undefined) out.digest = u.digest
  if (u.statusCode !== undefined) out.statusCode = u.statusCode
  return out
}
