import Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {fieldKind, keywordOfField, type BlockName} from './keywords.js'
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

/**
 * The statements of one block. `field` writes model fields through the
 * keyword table: the keyword bound to the field in this block, and the value
 * as keepalived reads it back (a flag when true, a number, a word, or a
 * command line for a words keyword).
 */
class Lines<T extends object = object> {
  readonly out: Statement[] = []
  constructor(
    readonly block?: BlockName,
    readonly of?: T,
  ) {}
  field(...fields: (keyof T & string)[]): void {
    if (!this.block || !this.of) return
    for (const field of fields) {
      const v = (this.of as Record<string, unknown>)[field]
      if (v === undefined || v === false) continue
      const [keyword, spec] = keywordOfField(this.block, field)
      if (v === true) this.out.push(line(keyword))
      else if (typeof v === 'number') this.out.push(line(keyword, v))
      else if (typeof v === 'string') this.out.push(fieldKind(spec) === 'words' ? {...line(keyword, v), command: true} : line(keyword, v))
    }
  }
  num(keyword: string, v: number | undefined): void {
    if (v !== undefined) this.out.push(line(keyword, v))
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

function notifyLines(l: Lines<NotifyScripts>, n: NotifyScripts): void {
  l.field('notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notify')
  l.flag('smtp_alert', n.smtpAlert)
}

const extras = (x: {extra?: RawStatement[]}): Statement[] => (x.extra ?? []).map(rawToStatement)

export function globalDefsStatement(g: GlobalDefs): Statement {
  const l = new Lines('global_defs', g)
  l.field('routerId')
  if (g.notificationEmail) l.push(block('notification_email', [], g.notificationEmail.map((e) => line(e))))
  l.field('notificationEmailFrom')
  if (g.smtpServer !== undefined) l.push(line('smtp_server', g.smtpServer, ...(g.smtpServerPort === undefined ? [] : [g.smtpServerPort])))
  l.field('smtpConnectTimeout', 'vrrpMcastGroup4', 'vrrpMcastGroup6', 'vrrpSkipCheckAdvAddr', 'vrrpStrict', 'vrrpGarpInterval', 'vrrpGnaInterval')
  l.field('vrrpGarpMasterDelay', 'vrrpGarpMasterRepeat', 'vrrpGarpMasterRefresh', 'vrrpGarpMasterRefreshRepeat')
  l.num('vrrp_version', g.vrrpVersion)
  l.field('enableScriptSecurity')
  if (g.scriptUser) l.push(line('script_user', ...userArgs(g.scriptUser)))
  l.push(...extras(g))
  return block('global_defs', [], l.out)
}

export function scriptStatement(s: VrrpScript): Statement {
  const l = new Lines('vrrp_script', s)
  l.field('script', 'interval', 'timeout')
  if (s.weight !== undefined) l.push(line('weight', s.weight, ...(s.weightReverse ? ['reverse'] : [])))
  l.field('rise', 'fall')
  if (s.user) l.push(line('user', ...userArgs(s.user)))
  l.field('initFail')
  l.push(...extras(s))
  return block('vrrp_script', [s.name], l.out)
}

export function syncGroupStatement(g: SyncGroup): Statement {
  const l = new Lines('vrrp_sync_group', g)
  l.push(block('group', [], g.group.map((n) => line(n))))
  if (g.trackScript) l.push(block('track_script', [], g.trackScript.map(trackLine)))
  if (g.trackInterface) l.push(block('track_interface', [], g.trackInterface.map(trackLine)))
  notifyLines(l, g)
  l.push(...extras(g))
  return block('vrrp_sync_group', [g.name], l.out)
}

export function instanceStatement(i: VrrpInstance): Statement {
  const l = new Lines('vrrp_instance', i)
  l.field('state', 'interface', 'virtualRouterId', 'priority', 'advertInt')
  l.num('version', i.version)
  l.field('nopreempt', 'preemptDelay')
  if (i.authentication) {
    l.push(block('authentication', [], [line('auth_type', i.authentication.type), line('auth_pass', i.authentication.pass)]))
  }
  l.push(block('virtual_ipaddress', [], i.virtualIpaddress.map(addressLine)))
  if (i.virtualIpaddressExcluded) l.push(block('virtual_ipaddress_excluded', [], i.virtualIpaddressExcluded.map(addressLine)))
  l.field('unicastSrcIp')
  if (i.unicastPeer) l.push(block('unicast_peer', [], i.unicastPeer.map((p) => line(p))))
  l.field('mcastSrcIp')
  if (i.trackScript) l.push(block('track_script', [], i.trackScript.map(trackLine)))
  if (i.trackInterface) l.push(block('track_interface', [], i.trackInterface.map(trackLine)))
  notifyLines(l, i)
  l.field('garpMasterDelay', 'garpMasterRepeat', 'garpMasterRefresh', 'garpMasterRefreshRepeat')
  if (typeof i.useVmac === 'string') l.push(line('use_vmac', i.useVmac))
  else l.flag('use_vmac', i.useVmac)
  l.field('vmacXmitBase', 'nativeIpv6', 'dontTrackPrimary', 'noAccept', 'accept')
  l.push(...extras(i))
  return block('vrrp_instance', [i.name], l.out)
}

function checkerStatement(c: Checker): Statement {
  if (c.type === 'MISC_CHECK') {
    const l = new Lines('misc_check', c)
    l.field('miscPath', 'miscTimeout', 'miscDynamic')
    if (c.user) l.push(line('user', ...userArgs(c.user)))
    l.field('warmup')
    l.push(...extras(c))
    return block(c.type, [], l.out)
  }
  const l = new Lines(c.type === 'TCP_CHECK' ? 'tcp_check' : 'http_check', c)
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
    for (const u of c.urls) {
      const ul = new Lines('url', u)
      ul.field('path', 'digest', 'statusCode')
      l.push(block('url', [], ul.out))
    }
    const hl = new Lines('http_check', c)
    hl.field('virtualhost')
    l.push(...hl.out)
  }
  l.field('connectIp', 'connectPort', 'bindto', 'bindPort', 'connectTimeout', 'retry', 'delayBeforeRetry', 'warmup')
  l.push(...extras(c))
  return block(c.type, [], l.out)
}

function realServerStatement(r: RealServer): Statement {
  const l = new Lines('real_server', r)
  l.field('weight', 'inhibitOnFailure', 'notifyUp', 'notifyDown', 'delayLoop')
  for (const c of r.checkers) l.push(checkerStatement(c))
  l.push(...extras(r))
  return block('real_server', r.port === undefined ? [r.ip] : [r.ip, r.port], l.out)
}

export function virtualServerStatement(v: VirtualServer): Statement {
  const l = new Lines('virtual_server', v)
  l.field('delayLoop', 'lbAlgo', 'lbKind', 'protocol', 'persistenceTimeout', 'persistenceGranularity', 'virtualhost')
  if (v.sorryServer) l.push(line('sorry_server', v.sorryServer.ip, ...(v.sorryServer.port === undefined ? [] : [v.sorryServer.port])))
  l.field('sorryServerInhibit', 'quorum', 'hysteresis', 'quorumUp', 'quorumDown', 'alpha', 'omega', 'inhibitOnFailure')
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
