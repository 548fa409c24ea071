import {dirname, isAbsolute, resolve} from 'node:path'
import {globSync, isDynamicPattern} from 'tinyglobby'
import type {Finding} from '../../lib/findings.js'

/**
 * Stage 1 of the keepalived.conf parser: raw text to logical lines of tokens.
 * Handles what keepalived does before it looks at keywords: `!`/`#` comments,
 * quotes, braces as tokens, `@host`/`@^host` conditional lines, `$VAR=value`
 * definitions and `$VAR`/`${VAR}` use, and `include` (relative to the
 * including file, with globs). Never throws: problems become findings.
 */

export interface Token {
  text: string
  /** the token was (partly) quoted, so a brace in it is not structural */
  quoted: boolean
}

export interface LogicalLine {
  file: string
  line: number
  tokens: Token[]
}

export interface LinesOptions {
  file: string
  /** keepalived's -i config-id; `@id` lines are kept when it matches (default: the host name) */
  configId: string
  readFile: (path: string) => string | undefined
  /** glob expansion for include (absolute pattern in, sorted absolute paths out) */
  glob?: (pattern: string) => string[]
}

export interface LinesResult {
  lines: LogicalLine[]
  diagnostics: Finding[]
  files: string[]
}

const INCLUDE_KEYWORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea'])
const MAX_INCLUDE_DEPTH = 16

export function defaultGlob(pattern: string): string[] {
  if (!isDynamicPattern(pattern)) return [pattern]
  try {
    return globSync(pattern, {absolute: true, onlyFiles: true, expandDirectories: false}).sort()
  } catch {
    return []
  }
}

/** Split text into lines, tolerating CRLF, a BOM and no final newline. */
export function splitLines(text: string): string[] {
  const t = text.startsWith('\uFEFF') ? text.slice(1) : text
  const lines = t.split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Cut a `!` or `#` comment that is outside quotes. */
export function stripComment(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' || c === '!') return line.slice(0, i)
  }
  return line
}

const ESCAPES: Record<string, string> = {a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'}

/** Whitespace-separated tokens; quotes group words; unquoted `{` and `}` are tokens of their own. */
export function tokenize(line: string): Token[] {
  const out: Token[] = []
  let cur = ''
  let quoted = false
  let inToken = false
  const flush = () => {
    if (inToken) out.push({text: cur, quoted})
    cur = ''
    quoted = false
    inToken = false
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '"' || c === "'") {
      const q = c
      inToken = true
      quoted = true
      i++
      for (; i < line.length && line[i] !== q; i++) {
        if (line[i] === '\\' && i + 1 < line.length) {
          const n = line[++i]
          cur += ESCAPES[n] ?? n
        } else cur += line[i]
      }
      // a closing quote ends the token (keepalived: `"MAS"TER` is MAS, TER)
      flush()
      continue
    }
    if (c === ' ' || c === '\t' || c === '\v' || c === '\f') {
      flush()
      continue
    }
    if (c === '{' || c === '}') {
      flush()
      out.push({text: c, quoted: false})
      continue
    }
    cur += c
    inToken = true
  }
  flush()
  return out
}

interface State {
  opts: LinesOptions
  truncated?: boolean
  /** parameters: one-line values, or the lines of a multi-line definition */
  vars: Map<string, string | string[]>
  out: LogicalLine[]
  diagnostics: Finding[]
  files: string[]
  stack: string[]
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*'
const MAX_SUBSTITUTION_DEPTH = 32
const MAX_SEQ_ITERATIONS = 4096
/** a bound on expanded lines (nested ~SEQ and parameters multiply) */
const MAX_EXPANDED_LINES = 200_000

/** Is position `at` of `text` inside a quoted string? */
function insideQuotes(text: string, at: number): boolean {
  let quote: string | undefined
  for (let i = 0; i < at; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") quote = c
  }
  return quote !== undefined
}

/** Value of a predefined parameter (${_PWD}, ${_INSTANCE}, ${_HASH}, ${_BANG}, ${_RANDOM}). */
function predefined(name: string, file: string, st: State): string | undefined {
  switch (name) {
    case '_PWD':
      return dirname(file)
    case '_INSTANCE':
      return st.opts.configId
    case '_HASH':
      return '#'
    case '_BANG':
      return '!'
    default:
      return undefined
  }
}

/**
 * Replace `${NAME}` anywhere and `$NAME` before whitespace or the end of the
 * line, recursively (keepalived substitutes at use time). Undefined names
 * stay as written and are reported: an error when keepalived will then read
 * the braces of an unquoted `${NAME}` as block delimiters, a warning otherwise.
 */
function substitute(text: string, st: State, file: string, line: number, depth = 0): string {
  if (!text.includes('$') || depth > MAX_SUBSTITUTION_DEPTH) return text
  let changed = false
  const re = new RegExp(`\\$\\{(${NAME})(?:\\s[^}]*)?\\}|\\$(${NAME})(?=\\s|$)`, 'g')
  const out = text.replace(re, (whole: string, a: string | undefined, b: string | undefined, offset: number) => {
    const name = (a ?? b) as string
    if (name === '_RANDOM') {
      changed = true
      return /\s(\d+)/.exec(whole)?.[1] ?? '0'
    }
    const v = st.vars.get(name) ?? predefined(name, file, st)
    if (typeof v === 'string') {
      changed = true
      return v
    }
    if (v === undefined && depth === 0) {
      const breaks = a !== undefined && !insideQuotes(text, offset)
      st.diagnostics.push({
        rule: 'undefined-variable',
        severity: breaks ? 'error' : 'warning',
        message: `${whole} is used but never defined; keepalived keeps it as text${breaks ? ' and reads its braces as a block' : ''}`,
        file,
        line,
        fix: `define it before use ("$${name}=VALUE") or write the value`,
      })
    }
    return whole
  })
  return changed ? substitute(out, st, file, line, depth + 1) : out
}

function handleConditional(raw: string, configId: string): string | undefined {
  const m = /^\s*@(\^?)(\S*)(.*)$/.exec(raw)
  if (!m) return raw
  const [, neg, id, rest] = m
  const matches = id === configId
  return (neg ? !matches : matches) ? rest : undefined
}

interface Source {
  lines: string[]
  index: number
}

/** `~SEQ(var, [start,] [step,] end) rest`: the rest once per value. Returns false when the line is not a sequence. */
function handleSequence(text: string, file: string, line: number, st: State, depth: number): boolean {
  const m = /^\s*~SEQ(x?)\(([^)]*)\)(.*)$/.exec(text)
  if (!m) return false
  const [, hex, argText, rest] = m
  const [name, ...nums] = argText.split(',').map((x) => x.trim())
  const values = nums.map((n) => Number(n))
  if (!new RegExp(`^${NAME}$`).test(name ?? '') || values.length < 1 || values.length > 3 || values.some((v) => !Number.isInteger(v))) {
    st.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `malformed ~SEQ(${argText})`, file, line, fix: 'write ~SEQ(VAR, START, STEP, END)'})
    return true
  }
  const end = values[values.length - 1]
  const start = values.length >= 2 ? values[0] : end > 0 ? 1 : -1
  const step = values.length === 3 ? values[1] : end >= start ? 1 : -1
  if (step === 0) {
    st.diagnostics.push({rule: 'invalid-value', severity: 'error', message: `~SEQ(${argText}) has a step of 0`, file, line})
    return true
  }
  for (let v = start, n = 0; (step > 0 ? v <= end : v >= end) && n < MAX_SEQ_ITERATIONS; v += step, n++) {
    st.vars.set(name, hex ? v.toString(16) : String(v))
    processLine(rest, file, line, st, depth + 1, undefined)
  }
  st.vars.delete(name)
  return true
}

/**
 * One source line: conditional, definition (one-line or multi-line with
 * trailing backslashes), use of a multi-line definition, sequence,
 * substitution, comment, tokens, include.
 */
function processLine(raw: string, file: string, lineNo: number, st: State, depth: number, src: Source | undefined): void {
  if (depth > MAX_SUBSTITUTION_DEPTH) return
  if (st.out.length >= MAX_EXPANDED_LINES) {
    if (!st.truncated) {
      st.truncated = true
      st.diagnostics.push({rule: 'too-large', severity: 'error', message: `the configuration expands to more than ${MAX_EXPANDED_LINES} lines; the rest is not read`, file, line: lineNo})
    }
    return
  }
  const kept = handleConditional(raw, st.opts.configId)
  if (kept === undefined) return
  const def = new RegExp(`^\\s*\\$(${NAME})=(.*)$`).exec(kept)
  if (def) {
    const value = def[2]
    if (/^\s*\\\s*$/.test(value)) {
      // multi-line: the following lines up to one without a trailing backslash
      const body: string[] = []
      while (src && src.index + 1 < src.lines.length) {
        const next = src.lines[++src.index]
        const cont = /\\\s*$/.test(next)
        body.push(cont ? next.replace(/\\\s*$/, '') : next)
        if (!cont) break
      }
      st.vars.set(def[1], body)
    } else st.vars.set(def[1], stripComment(value).trim())
    return
  }
  const use = new RegExp(`^\\s*\\$(?:\\{(${NAME})\\}|(${NAME}))\\s*$`).exec(kept)
  const multi = use ? st.vars.get((use[1] ?? use[2]) as string) : undefined
  if (Array.isArray(multi)) {
    for (const l of multi) processLine(l, file, lineNo, st, depth + 1, undefined)
    return
  }
  if (handleSequence(kept, file, lineNo, st, depth)) return
  const substituted = substitute(stripComment(kept), st, file, lineNo)
  if (substituted.trimStart().startsWith('@') || substituted.trimStart().startsWith('~SEQ')) {
    // a parameter that expanded to a conditional or a sequence
    if (substituted !== kept) processLine(substituted, file, lineNo, st, depth + 1, undefined)
    return
  }
  const tokens = tokenize(substituted)
  if (tokens.length === 0) return
  if (INCLUDE_KEYWORDS.has(tokens[0].text) && !tokens[0].quoted) {
    includeFiles(tokens, file, lineNo, st)
    return
  }
  st.out.push({file, line: lineNo, tokens})
}

function processText(text: string, file: string, st: State): void {
  st.files.push(file)
  st.stack.push(file)
  const src: Source = {lines: splitLines(text), index: 0}
  for (; src.index < src.lines.length; src.index++) processLine(src.lines[src.index], file, src.index + 1, st, 0, src)
  st.stack.pop()
}

function includeFiles(tokens: Token[], file: string, line: number, st: State): void {
  const arg = tokens.slice(1).map((t) => t.text).join(' ')
  if (!arg) {
    st.diagnostics.push({rule: 'include', severity: 'error', message: `${tokens[0].text} needs a file name or pattern`, file, line})
    return
  }
  if (st.stack.length >= MAX_INCLUDE_DEPTH) {
    st.diagnostics.push({rule: 'include', severity: 'error', message: `includes nested deeper than ${MAX_INCLUDE_DEPTH} levels: ${arg}`, file, line})
    return
  }
  const pattern = isAbsolute(arg) ? arg : resolve(dirname(file), arg)
  const matches = (st.opts.glob ?? defaultGlob)(pattern)
  let found = 0
  for (const path of matches) {
    if (st.stack.includes(path)) {
      st.diagnostics.push({rule: 'include', severity: 'error', message: `include loop: ${path} is already being read`, file, line})
      found++
      continue
    }
    const text = st.opts.readFile(path)
    if (text === undefined) continue
    found++
    processText(text, path, st)
  }
  if (found === 0) {
    st.diagnostics.push({
      rule: 'include-missing',
      severity: 'warning',
      message: `no readable file matches include ${arg}`,
      file,
      line,
      fix: 'check the path (it is relative to the including file) or remove the include',
    })
  }
}

export function readLogicalLines(text: string, opts: LinesOptions): LinesResult {
  const st: State = {opts, vars: new Map(), out: [], diagnostics: [], files: [], stack: []}
  processText(text, opts.file, st)
  return {lines: st.out, diagnostics: st.diagnostics, files: st.files}
}
