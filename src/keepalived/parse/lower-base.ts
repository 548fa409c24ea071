import type {NotifyScripts, RawStatement, ScriptUser, SourceLoc, TrackRef, VirtualAddress} from '../model.js'
import type {Finding} from '../../lib/findings.js'
import {fieldsOf, keywordSpec} from '../keywords.js'
import type {Statement} from './tree.js'
import {checkPlaceholders, readValue, type Value} from './values.js'

/** What every lowering step shares: the findings, the block walk, weights, track lists, notify scripts. */

export type Handler<T> = (target: T, s: Statement, v: Value) => boolean

/** Set the model field the keyword table binds this keyword to in its block; false when it binds none. */
export function setField<T>(target: T, s: Statement, v: Value): boolean {
  const table = fieldsOf(s.context)
  if (!Object.hasOwn(table, s.keyword)) return false
  const [field, kind] = table[s.keyword]
  const t = target as Record<string, unknown>
  if (kind === 'number') t[field] = typeof v === 'number' ? v : undefined
  else if (kind === 'value') t[field] = v
  else if (kind === 'present') {
    if (v !== undefined) t[field] = v
  } else if (kind === 'string') {
    if (typeof v === 'string') t[field] = v
  } else if (kind === 'words') t[field] = s.args.join(' ')
  else t[field] = true
  return true
}

export interface Located {
  loc?: SourceLoc
  keyLocs?: Record<string, SourceLoc>
  extra?: RawStatement[]
}

export function toRaw(s: Statement): RawStatement {
  const r: RawStatement = {keyword: s.keyword, args: [...s.args], loc: s.loc}
  if (s.block) r.block = s.block.map(toRaw)
  return r
}

export class LowerBase {
  readonly diagnostics: Finding[] = []

  /** Walk a block: check values, run the handler, keep what it does not take in `extra`. */
  fill<T extends Located>(target: T, owner: Statement | undefined, body: Statement[], handle: Handler<T>): T {
    if (owner) {
      target.loc = owner.loc
      target.keyLocs = {}
      if (owner.end) target.keyLocs['}'] = owner.end
    }
    const seen = new Set<string>()
    for (const s of body) {
      checkPlaceholders(s, this.diagnostics)
      if (s.blockContext === 'list') for (const item of s.block ?? []) checkPlaceholders(item, this.diagnostics)
      const v = readValue(s, this.diagnostics)
      const spec = s.unknown ? undefined : keywordSpec(s.context, s.keyword)
      const again = seen.has(s.keyword)
      seen.add(s.keyword)
      // a repeat keepalived ignores (reported by checkOrder) leaves the model as the first one set it
      if (again && spec?.repeat === 'ignored') continue
      // keepalived uses the last of a repeated keyword; a repeated flag changes nothing
      if (target.keyLocs && !(again && spec?.kind === 'flag')) target.keyLocs[s.keyword] = s.loc
      if (s.unknown || !handle(target, s, v)) (target.extra ??= []).push(toRaw(s))
    }
    if (target.extra?.length === 0) delete target.extra
    return target
  }

  /** `version`/`vrrp_version`: 2 or 3 is set; another number is reported */
  version(s: Statement, v: Value, set: (n: 2 | 3) => void): void {
    if (v === 2 || v === 3) set(v)
    else if (typeof v === 'number')
      this.diagnostics.push({rule: 'version-range', severity: 'warning', message: `${s.keyword} ${v}: VRRP version must be 2 or 3 (keepalived does not check it)`, file: s.loc.file, line: s.loc.line, fix: 'use 2 (RFC 3768) or 3 (RFC 5798)'})
  }

  /** track_script / track_interface lists, shared by vrrp_instance and vrrp_sync_group */
  tracks(target: {trackScript?: TrackRef[]; trackInterface?: TrackRef[]}, s: Statement): boolean {
    if (s.keyword === 'track_script') target.trackScript = [...(target.trackScript ?? []), ...this.trackRefs(s)]
    else if (s.keyword === 'track_interface') target.trackInterface = [...(target.trackInterface ?? []), ...this.trackRefs(s)]
    else return false
    return true
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

  /** notify scripts and smtp_alert, shared by vrrp_instance and vrrp_sync_group */
  notify(target: NotifyScripts, s: Statement, v: Value): boolean {
    if (setField(target, s, v)) return true
    if (s.keyword !== 'smtp_alert') return false
    target.smtpAlert = s.args[0] === undefined || /^(on|true|yes)$/i.test(s.args[0])
    return true
  }
}

export function scriptUser(args: string[]): ScriptUser {
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
