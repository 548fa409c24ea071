import type {Finding} from '../../lib/findings.js'
import {keywordSpec} from '../keywords.js'
import {familyOf, isIp, isMulticast} from '../../net/address.js'
import {IFNAME_MAX} from './ip-items.js'
import type {Statement} from './tree.js'

/**
 * Argument checks keepalived makes while reading a keyword, from the keyword
 * table: a value present, a number that parses and is within its range, an
 * allowed word.
 */

export type Value = number | string | boolean | undefined

/** what a finding adds for a value keepalived reads without checking */
const LAX = '; keepalived does not check it and silently uses another value'

const INT = /^[+-]?\d+$/
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)$/
const BOOLS: Record<string, boolean> = {on: true, off: false, true: true, false: false, yes: true, no: false}

/** Placeholders keepalived cannot read: <VIP>, <--STATE-->, XXX.XXX.XXX.XXX, **, __NAME__. */
export const PLACEHOLDER = /^<.*>$|<[A-Za-z_][\w.-]*>|<--|-->|^X{2,}(\.X+)*(\/\d+)?$|^XXX\.|^\*\*+$|^__[A-Z_]+__$/
/** Placeholders keepalived reads as a value (a password "changeme" works, but is a trap). */
export const SOFT_PLACEHOLDER = /\bCHANGE_?ME\b|^REPLACE_?ME$|^TODO$/i

/** Keywords whose values are secrets and never appear in findings. */
export const SECRET_KEYWORDS = new Set(['auth_pass'])

export function checkPlaceholders(stmt: Statement, out: Finding[]): void {
  const secret = SECRET_KEYWORDS.has(stmt.keyword)
  for (const word of [stmt.keyword, ...stmt.args]) {
    const hard = PLACEHOLDER.test(word)
    if (hard || SOFT_PLACEHOLDER.test(word)) {
      const shown = secret && word !== stmt.keyword ? 'value' : `"${word}"`
      out.push({
        rule: 'placeholder',
        severity: hard ? 'error' : 'warning',
        message: `unfilled placeholder ${shown} in ${stmt.keyword === word ? 'this line' : stmt.keyword}`,
        file: stmt.loc.file,
        line: stmt.loc.line,
        fix: 'replace it with the real value for this node',
      })
      return
    }
  }
}

/** Check a statement's argument against the keyword table; return the parsed value (undefined when invalid). */
export function readValue(stmt: Statement, out: Finding[]): Value {
  const spec = stmt.unknown ? undefined : keywordSpec(stmt.context, stmt.keyword)
  if (!spec || spec.block) return undefined
  const at = {file: stmt.loc.file, line: stmt.loc.line}
  const [first] = stmt.args
  if (spec.deprecated) {
    out.push({rule: 'deprecated-keyword', severity: 'warning', message: `${stmt.keyword} is deprecated; use ${spec.deprecated}`, ...at, fix: `rename to ${spec.deprecated}`})
  }
  if (spec.grammar) {
    const problem = spec.grammar(stmt.args)
    if (problem === undefined) return stmt.args.length === 0 ? true : stmt.args.join(' ')
    out.push({rule: 'invalid-value', severity: 'error', message: `${stmt.keyword}: ${problem}; keepalived ignores it`, ...at})
    return undefined
  }
  if (spec.kind === 'flag') {
    if (stmt.args.length > 0) {
      out.push({
        rule: 'flag-argument',
        severity: 'warning',
        message: `${stmt.keyword} takes no value; keepalived ignores "${stmt.args.join(' ')}"`,
        ...at,
        fix: `write just "${stmt.keyword}"`,
      })
    }
    return true
  }
  if (spec.kind === 'optbool') {
    if (first === undefined) return true
    // keepalived compares case-sensitively (check_true_false)
    const b = Object.hasOwn(BOOLS, first) ? BOOLS[first] : undefined
    if (b === undefined) {
      out.push({rule: 'invalid-value', severity: 'warning', message: `${stmt.keyword} takes on|off|true|false|yes|no, not "${first}"`, ...at})
      return true
    }
    return b
  }
  if (spec.kind === 'optwords') return first === undefined ? true : stmt.args.join(' ')
  if (spec.kind === 'optenum') {
    if (first === undefined) return true
    if (!spec.values?.includes(first)) {
      out.push({rule: 'invalid-value', severity: 'error', message: `${stmt.keyword} takes no value or ${spec.values?.join('|')}, not "${first}"`, ...at, fix: `write just "${stmt.keyword}" or "${stmt.keyword} ${spec.values?.[0]}"`})
      return undefined
    }
    return first
  }
  if (first === undefined || first === '') {
    out.push({
      rule: 'missing-value',
      severity: 'warning',
      message: `${stmt.keyword} is missing its value; keepalived ignores the line`,
      ...at,
      fix: `give ${stmt.keyword} a value or remove the line`,
    })
    return undefined
  }
  if (spec.kind === 'int' || spec.kind === 'number') {
    const ok = spec.kind === 'int' ? INT.test(first) : NUM.test(first)
    if (!ok) {
      out.push({
        rule: 'invalid-number',
        severity: spec.lax ? 'warning' : 'error',
        message: `${stmt.keyword} needs ${spec.kind === 'int' ? 'an integer' : 'a number'}, got "${first}"${spec.lax ? LAX : ''}`,
        ...at,
      })
      return undefined
    }
    extraArguments(stmt, at, out)
    const n = Number(first)
    // without a range of its own, an integer is read into C's unsigned or int
    const max = spec.max ?? (spec.kind === 'int' ? ((spec.min ?? -1) >= 0 ? 4294967295 : 2147483647) : undefined)
    if ((spec.min !== undefined && n < spec.min) || (max !== undefined && n > max)) {
      const range = `[${spec.min ?? '-∞'}, ${max ?? '∞'}]`
      out.push({
        rule: `${stmt.keyword.replace(/_/g, '-')}-range`,
        severity: spec.lax ? 'warning' : 'error',
        message: `${stmt.keyword} ${first} is outside ${range}${spec.lax ? LAX : '; keepalived ignores or adjusts it'}`,
        ...at,
        fix: `use a value from ${spec.min ?? '-∞'} to ${max ?? '∞'}`,
      })
    }
    return n
  }
  if (spec.kind === 'enum') {
    if (spec.caseless && spec.values?.some((v) => v.toLowerCase() === first.toLowerCase())) return first.toUpperCase()
    if (!spec.values?.includes(first)) {
      const ci = spec.values?.find((v) => v.toLowerCase() === first.toLowerCase())
      out.push({
        rule: 'invalid-value',
        severity: spec.lax ? 'warning' : 'error',
        message: `${stmt.keyword} "${first}" is not one of ${spec.values?.join(', ')}${ci ? ' (keepalived is case-sensitive here)' : ''}`,
        ...at,
        fix: ci ? `write ${ci}` : `use one of ${spec.values?.join(', ')}`,
      })
      return undefined
    }
    return first
  }
  if (spec.leadingInt && (!INT.test(first) || Number(first) < spec.leadingInt[0] || Number(first) > spec.leadingInt[1])) {
    const [min, max] = spec.leadingInt
    out.push({rule: 'invalid-number', severity: 'error', message: `${stmt.keyword} needs an integer from ${min} to ${max}, got "${first}"; keepalived ignores it`, ...at})
    return undefined
  }
  if (spec.kind === 'string') {
    // keepalived's inet_stosockaddr reads the address before any "-" (a range) or "/" (a prefix)
    const ip = spec.ip ? first.split(/[-/]/)[0] : first
    if (spec.ip && !isIp(ip)) {
      out.push({rule: 'invalid-address', severity: 'error', message: `${stmt.keyword} "${first}" is not an IP address; keepalived ignores it`, ...at, fix: 'write an IPv4 or IPv6 address'})
      return undefined
    }
    if (spec.family && familyOf(ip) !== spec.family) {
      out.push({rule: 'invalid-address', severity: 'error', message: `${stmt.keyword} "${first}" is not an ${spec.family === 'inet' ? 'IPv4' : 'IPv6'} address; keepalived ignores it`, ...at})
      return undefined
    }
    if (spec.multicast && !isMulticast(ip)) {
      out.push({rule: 'invalid-address', severity: 'error', message: `${stmt.keyword} "${first}" is not a multicast address; keepalived ignores it`, ...at, fix: 'use a multicast group, e.g. 224.0.0.18 or ff02::12'})
      return undefined
    }
    if (spec.ifname && first.length > IFNAME_MAX) {
      out.push({rule: 'invalid-value', severity: 'error', message: `interface name "${first}" is longer than ${IFNAME_MAX} characters; keepalived ignores ${stmt.keyword}`, ...at, fix: 'use the real interface name'})
      return undefined
    }
    if (spec.oneWord) extraArguments(stmt, at, out, 'put each keyword on a line of its own')
    if (spec.maxLength !== undefined && first.length > spec.maxLength) {
      const shown = SECRET_KEYWORDS.has(stmt.keyword) ? 'the value' : `"${first}"`
      out.push({rule: `${stmt.keyword.replace(/_/g, '-')}-length`, severity: 'warning', message: `${stmt.keyword}: ${shown} has ${first.length} characters; keepalived uses only the first ${spec.maxLength}`, ...at, fix: `use at most ${spec.maxLength} characters (nodes that truncate differently will not agree)`})
    }
    return first
  }
  return stmt.args.join(' ')
}

/** keepalived reads one value and silently drops the rest of the line */
function extraArguments(stmt: Statement, at: {file: string; line: number}, out: Finding[], fix?: string): void {
  if (stmt.args.length <= 1) return
  out.push({rule: 'extra-arguments', severity: 'warning', message: `${stmt.keyword} takes one value; "${stmt.args.slice(1).join(' ')}" is ignored`, ...at, ...(fix ? {fix} : {})})
}
