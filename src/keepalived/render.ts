import Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {confCommand, confKeyword, confLine, confWord, UnrepresentableValue} from './lexer.js'
import type {
  Checker,
  GlobalDefs,
  KeepalivedConfig,
  NotifyScripts,
  RawStatement,
  RealServer,
  ScriptUser,
  SyncGroup,
  TrackRef,
  VirtualAddress,
  VirtualServer,
  VrrpInstance,
  VrrpScript,
} from './model.js'

/**
 * keepalived.conf as a tree of statements: the layout-free form of the model
 * that templates/keepalived.conf.hbs prints. Every model field maps to one
 * keyword here; the parser reads the same keywords back.
 */
export interface Statement {
  /** values as keepalived should read them back; the lexer-exact writer (lexer.ts) encodes them */
  keyword: string
  args: string[]
  /** null for a plain line */
  block: Statement[] | null
  /** the single argument is a script command line (keepalived reads it again, with quotes and escapes) */
  command?: true
}

const line = (keyword: string, ...args: (string | number)[]): Statement => ({keyword, args: args.map(String), block: null})
const block = (keyword: string, args: (string | number)[], body: Statement[]): Statement => ({keyword, args: args.map(String), block: body})

class Lines {
  readonly out: Statement[] = []
  num(keyword: string, v: number | undefined): void {
    if (v !== undefined) this.out.push(line(keyword, v))
  }
  str(keyword: string, v: string | undefined): void {
    if (v !== undefined) this.out.push(line(keyword, v))
  }
  cmd(keyword: string, v: string | undefined): void {
    if (v !== undefined) this.out.push({...line(keyword, v), command: true})
  }
  flag(keyword: string, v: boolean | undefined): void {
    if (v) this.out.push(line(keyword))
  }
  push(...s: Statement[]): void {
    this.out.push(...s)
  }
}

export function rawToStatement(r: RawStatement): Statement {
  return {keyword: r.keyword, args: r.args, block: r.block ? r.block.map(rawToStatement) : null}
}

const userArgs = (u: ScriptUser): string[] => (u.group ? [u.user, u.group] : [u.user])

export function addressLine(a: VirtualAddress): Statement {
  const args: string[] = []
  if (a.brd !== undefined) args.push('brd', a.brd)
  if (a.dev !== undefined) args.push('dev', a.dev)
  if (a.scope !== undefined) args.push('scope', a.scope)
  if (a.label !== undefined) args.push('label', a.label)
  args.push(...(a.extra ?? []))
  return {keyword: a.address, args, block: null}
}

const trackLine = (t: TrackRef): Statement => {
  const args: (string | number)[] = []
  if (t.weight !== undefined) args.push('weight', t.weight)
  if (t.weightReverse) args.push('reverse')
  return line(t.name, ...args)
}

function notifyLines(l: Lines, n: NotifyScripts): void {
  l.cmd('notify_master', n.notifyMaster)
  l.cmd('notify_backup', n.notifyBackup)
  l.cmd('notify_fault', n.notifyFault)
  l.cmd('notify_stop', n.notifyStop)
  l.cmd('notify', n.notify)
  l.flag('smtp_alert', n.smtpAlert)
}

const extras = (x: {extra?: RawStatement[]}): Statement[] => (x.extra ?? []).map(rawToStatement)

export function globalDefsStatement(g: GlobalDefs): Statement {
  const l = new Lines()
  l.str('router_id', g.routerId)
  if (g.notificationEmail) l.push(block('notification_email', [], g.notificationEmail.map((e) => line(e))))
  l.str('notification_email_from', g.notificationEmailFrom)
  if (g.smtpServer !== undefined) l.push(line('smtp_server', g.smtpServer, ...(g.smtpServerPort === undefined ? [] : [g.smtpServerPort])))
  l.num('smtp_connect_timeout', g.smtpConnectTimeout)
  l.str('vrrp_mcast_group4', g.vrrpMcastGroup4)
  l.str('vrrp_mcast_group6', g.vrrpMcastGroup6)
  l.flag('vrrp_skip_check_adv_addr', g.vrrpSkipCheckAdvAddr)
  l.flag('vrrp_strict', g.vrrpStrict)
  l.num('vrrp_garp_interval', g.vrrpGarpInterval)
  l.num('vrrp_gna_interval', g.vrrpGnaInterval)
  l.num('vrrp_garp_master_delay', g.vrrpGarpMasterDelay)
  l.num('vrrp_garp_master_repeat', g.vrrpGarpMasterRepeat)
  l.num('vrrp_garp_master_refresh', g.vrrpGarpMasterRefresh)
  l.num('vrrp_garp_master_refresh_repeat', g.vrrpGarpMasterRefreshRepeat)
  l.num('vrrp_version', g.vrrpVersion)
  l.flag('enable_script_security', g.enableScriptSecurity)
  if (g.scriptUser) l.push(line('script_user', ...userArgs(g.scriptUser)))
  l.push(...extras(g))
  return block('global_defs', [], l.out)
}

export function scriptStatement(s: VrrpScript): Statement {
  const l = new Lines()
  l.cmd('script', s.script)
  l.num('interval', s.interval)
  l.num('timeout', s.timeout)
  if (s.weight !== undefined) l.push(line('weight', s.weight, ...(s.weightReverse ? ['reverse'] : [])))
  l.num('rise', s.rise)
  l.num('fall', s.fall)
  if (s.user) l.push(line('user', ...userArgs(s.user)))
  l.flag('init_fail', s.initFail)
  l.push(...extras(s))
  return block('vrrp_script', [s.name], l.out)
}

export function syncGroupStatement(g: SyncGroup): Statement {
  const l = new Lines()
  l.push(block('group', [], g.group.map((n) => line(n))))
  if (g.trackScript) l.push(block('track_script', [], g.trackScript.map(trackLine)))
  if (g.trackInterface) l.push(block('track_interface', [], g.trackInterface.map(trackLine)))
  notifyLines(l, g)
  l.push(...extras(g))
  return block('vrrp_sync_group', [g.name], l.out)
}

export function instanceStatement(i: VrrpInstance): Statement {
  const l = new Lines()
  l.str('state', i.state)
  l.str('interface', i.interface)
  l.num('virtual_router_id', i.virtualRouterId)
  l.num('priority', i.priority)
  l.num('advert_int', i.advertInt)
  l.num('version', i.version)
  l.flag('nopreempt', i.nopreempt)
  l.num('preempt_delay', i.preemptDelay)
  if (i.authentication) {
    l.push(block('authentication', [], [line('auth_type', i.authentication.type), line('auth_pass', i.authentication.pass)]))
  }
  l.push(block('virtual_ipaddress', [], i.virtualIpaddress.map(addressLine)))
  if (i.virtualIpaddressExcluded) l.push(block('virtual_ipaddress_excluded', [], i.virtualIpaddressExcluded.map(addressLine)))
  l.str('unicast_src_ip', i.unicastSrcIp)
  if (i.unicastPeer) l.push(block('unicast_peer', [], i.unicastPeer.map((p) => line(p))))
  l.str('mcast_src_ip', i.mcastSrcIp)
  if (i.trackScript) l.push(block('track_script', [], i.trackScript.map(trackLine)))
  if (i.trackInterface) l.push(block('track_interface', [], i.trackInterface.map(trackLine)))
  notifyLines(l, i)
  l.num('garp_master_delay', i.garpMasterDelay)
  l.num('garp_master_repeat', i.garpMasterRepeat)
  l.num('garp_master_refresh', i.garpMasterRefresh)
  l.num('garp_master_refresh_repeat', i.garpMasterRefreshRepeat)
  if (typeof i.useVmac === 'string') l.push(line('use_vmac', i.useVmac))
  else l.flag('use_vmac', i.useVmac)
  l.flag('vmac_xmit_base', i.vmacXmitBase)
  l.flag('native_ipv6', i.nativeIpv6)
  l.flag('dont_track_primary', i.dontTrackPrimary)
  l.flag('no_accept', i.noAccept)
  l.flag('accept', i.accept)
  l.push(...extras(i))
  return block('vrrp_instance', [i.name], l.out)
}

function checkerStatement(c: Checker): Statement {
  const l = new Lines()
  if (c.type === 'MISC_CHECK') {
    l.cmd('misc_path', c.miscPath)
    l.num('misc_timeout', c.miscTimeout)
    l.flag('misc_dynamic', c.miscDynamic)
    if (c.user) l.push(line('user', ...userArgs(c.user)))
    l.num('warmup', c.warmup)
    l.push(...extras(c))
    return block(c.type, [], l.out)
  }
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
    for (const u of c.urls) {
      const ul = new Lines()
      ul.str('path', u.path)
      ul.str('digest', u.digest)
      ul.str('status_code', u.statusCode)
      l.push(block('url', [], ul.out))
    }
    l.str('virtualhost', c.virtualhost)
  }
  l.str('connect_ip', c.connectIp)
  l.num('connect_port', c.connectPort)
  l.str('bindto', c.bindto)
  l.num('bind_port', c.bindPort)
  l.num('connect_timeout', c.connectTimeout)
  l.num('retry', c.retry)
  l.num('delay_before_retry', c.delayBeforeRetry)
  l.num('warmup', c.warmup)
  l.push(...extras(c))
  return block(c.type, [], l.out)
}

function realServerStatement(r: RealServer): Statement {
  const l = new Lines()
  l.num('weight', r.weight)
  l.flag('inhibit_on_failure', r.inhibitOnFailure)
  l.cmd('notify_up', r.notifyUp)
  l.cmd('notify_down', r.notifyDown)
  l.num('delay_loop', r.delayLoop)
  for (const c of r.checkers) l.push(checkerStatement(c))
  l.push(...extras(r))
  return block('real_server', r.port === undefined ? [r.ip] : [r.ip, r.port], l.out)
}

export function virtualServerStatement(v: VirtualServer): Statement {
  const l = new Lines()
  l.num('delay_loop', v.delayLoop)
  l.str('lb_algo', v.lbAlgo)
  l.str('lb_kind', v.lbKind)
  l.str('protocol', v.protocol)
  l.num('persistence_timeout', v.persistenceTimeout)
  l.str('persistence_granularity', v.persistenceGranularity)
  l.str('virtualhost', v.virtualhost)
  if (v.sorryServer) l.push(line('sorry_server', v.sorryServer.ip, ...(v.sorryServer.port === undefined ? [] : [v.sorryServer.port])))
  l.flag('sorry_server_inhibit', v.sorryServerInhibit)
  l.num('quorum', v.quorum)
  l.num('hysteresis', v.hysteresis)
  l.cmd('quorum_up', v.quorumUp)
  l.cmd('quorum_down', v.quorumDown)
  l.flag('alpha', v.alpha)
  l.flag('omega', v.omega)
  l.flag('inhibit_on_failure', v.inhibitOnFailure)
  for (const r of v.realServers) l.push(realServerStatement(r))
  l.push(...extras(v))
  const head: (string | number)[] =
    v.fwmark !== undefined ? ['fwmark', v.fwmark] : v.group !== undefined ? ['group', v.group] : [v.address ?? '', ...(v.port === undefined ? [] : [v.port])]
  return block('virtual_server', head, l.out)
}

/** The whole config as top-level statements, in keepalived's customary order. */
export function configStatements(cfg: KeepalivedConfig): Statement[] {
  const out: Statement[] = []
  if (cfg.globalDefs) out.push(globalDefsStatement(cfg.globalDefs))
  if (cfg.staticIpaddress) out.push(block('static_ipaddress', [], cfg.staticIpaddress.map(addressLine)))
  out.push(...cfg.scripts.map(scriptStatement))
  out.push(...cfg.syncGroups.map(syncGroupStatement))
  out.push(...cfg.instances.map(instanceStatement))
  out.push(...cfg.virtualServers.map(virtualServerStatement))
  out.push(...extras(cfg))
  return out
}

/**
 * `{{sh value}}` in script templates: one single-quoted POSIX shell word, so no
 * value reaches a generated script as shell syntax. A list becomes one word of
 * its items joined by spaces; a number must be finite; anything else is refused.
 */
export function shellWord(v: unknown): string {
  let s: string
  if (typeof v === 'string') s = v
  else if (typeof v === 'number' && Number.isFinite(v)) s = String(v)
  else if (typeof v === 'boolean') s = String(v)
  else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) s = v.join(' ')
  else throw new HalError('TEMPLATE_VALUE', `a script template was given ${v === undefined ? 'no value' : `a ${typeof v}`} where a shell word belongs`)
  if (s.includes('\0')) throw new HalError('TEMPLATE_VALUE', 'a script template value contains a NUL byte, which no shell word can hold')
  return `'${s.replace(/'/g, `'\\''`)}'`
}

const TEMPLATES = join(import.meta.dirname, '..', '..', 'templates')

/** A Handlebars environment of our own (noEscape, strict) with the templates/ directory loaded. */
let hbs: {conf: Handlebars.TemplateDelegate; env: typeof Handlebars} | undefined
export function templates(): {conf: Handlebars.TemplateDelegate; env: typeof Handlebars} {
  if (hbs) return hbs
  const env = Handlebars.create()
  const opts = {noEscape: true, strict: true}
  env.registerHelper('indent', (depth: number) => '    '.repeat(depth))
  env.registerHelper('inc', (n: number) => n + 1)
  env.registerHelper('close', (depth: number) => `${'    '.repeat(depth)}}`)
  env.registerHelper('sh', (v: unknown) => shellWord(v))
  env.registerPartial('statement', env.compile(readFileSync(join(TEMPLATES, 'statement.hbs'), 'utf8'), opts))
  hbs = {conf: env.compile(readFileSync(join(TEMPLATES, 'keepalived.conf.hbs'), 'utf8'), opts), env}
  return hbs
}

export const templatesDir = (): string => TEMPLATES

interface StatementView {
  keyword: string
  args: string[]
  isEmptyBlock: boolean
  block: StatementView[] | null
}
/** The statement as text keepalived reads back exactly: every word through the lexer-exact writer. */
const view = (s: Statement): StatementView => {
  const b = s.block?.map(view) ?? null
  const keyword = confKeyword(s.keyword, `the ${JSON.stringify(s.keyword.slice(0, 40))} keyword`)
  const what = `the value of ${keyword}`
  const args = s.command && s.args.length === 1 ? [confCommand(s.args[0], what)] : s.args.map((a) => confWord(a, what))
  return {keyword, args, block: b && b.length > 0 ? b : null, isEmptyBlock: b !== null && b.length === 0}
}

/**
 * keepalived.conf text for any model: `header` lines become `!` comments at the
 * top. Stable: the same model gives the same bytes.
 */
export function renderKeepalivedConfig(cfg: KeepalivedConfig, opts: {header?: string[]} = {}): string {
  const header = opts.header ?? []
  for (const h of header) if (/[\n\r]/.test(h)) throw new UnrepresentableValue('a header comment', 'it contains a line break')
  const text = templates().conf({header, statements: configStatements(cfg).map(view)})
  for (const [n, l] of text.split('\n').entries()) confLine(l, `line ${n + 1}`)
  return text
}
