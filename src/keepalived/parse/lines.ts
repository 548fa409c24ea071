import {dirname, isAbsolute, resolve} from 'node:path'
import {globSync, isDynamicPattern} from 'tinyglobby'
import type {Finding} from '../../lint/types.js'

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
  vars: Map<string, string>
  out: LogicalLine[]
  diagnostics: Finding[]
  files: string[]
  stack: string[]
}

/** Replace `${NAME}` and `$NAME` for defined names; undefined ones are reported and left as written. */
function substitute(text: string, st: State, file: string, line: number): string {
  if (!text.includes('$')) return text
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a?: string, b?: string) => {
    const name = (a ?? b) as string
    const v = st.vars.get(name)
    if (v !== undefined) return v
    st.diagnostics.push({
      rule: 'undefined-variable',
      severity: 'error',
      message: `variable ${name} is used but never defined ($${name}=value); keepalived keeps "${whole}" as text`,
      file,
      line,
      fix: `define it before use with a line "$${name}=VALUE", or replace ${whole} with the value`,
    })
    return whole
  })
}

function handleConditional(raw: string, configId: string): string | undefined {
  const m = /^\s*@(\^?)(\S*)(.*)$/.exec(raw)
  if (!m) return raw
  const [, neg, id, rest] = m
  const matches = id === configId
  return (neg ? !matches : matches) ? rest : undefined
}

function processText(text: string, file: string, st: State): void {
  st.files.push(file)
  st.stack.push(file)
  const raw = splitLines(text)
  for (let i = 0; i < raw.length; i++) {
    const lineNo = i + 1
    const kept = handleConditional(raw[i], st.opts.configId)
    if (kept === undefined) continue
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(kept)
    if (def) {
      st.vars.set(def[1], stripComment(def[2]).trim())
      continue
    }
    const body = stripComment(substitute(kept, st, file, lineNo))
    const tokens = tokenize(body)
    if (tokens.length === 0) continue
    if (INCLUDE_KEYWORDS.has(tokens[0].text) && !tokens[0].quoted) {
      includeFiles(tokens, file, lineNo, st)
      continue
    }
    st.out.push({file, line: lineNo, tokens})
  }
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
