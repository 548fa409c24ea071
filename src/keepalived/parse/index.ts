import {readFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {resolve} from 'node:path'
import type {KeepalivedConfig} from '../model.js'
import type {Finding} from '../../lib/findings.js'
import {checkIpItems} from './ip-items.js'
import {readLogicalLines} from './lines.js'
import {LOWERED_BLOCKS, lowerTree} from './lower.js'
import {checkOrder} from './order.js'
import {buildTree, type Statement} from './tree.js'
import {checkPlaceholders, readValue} from './values.js'

export {tokenize} from './lines.js'

export interface ParseOptions {
  /** path of the text (for findings, and the base of relative includes) */
  file: string
  /** keepalived's -i: `@ID` lines are kept when it matches; default: this host's name, as keepalived */
  configId?: string
  /** how includes are read; default: the file system. Return undefined for a file that cannot be read. */
  readFile?: (path: string) => string | undefined
  /** how include patterns are expanded (absolute pattern in, sorted absolute paths out); default: the file system */
  glob?: (pattern: string) => string[]
}

export interface ParseResult {
  config: KeepalivedConfig
  /** syntax and value problems, in file order; never a thrown error */
  diagnostics: Finding[]
  /** the file and every file it included, in read order */
  files: string[]
}

export function readFileOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Value checks for statements of blocks the model does not hold (checkers other than TCP/HTTP/MISC, trackers, BFD, SSL, garp groups). */
function checkUnlowered(statements: Statement[], out: Finding[]): void {
  for (const s of statements) {
    if (!LOWERED_BLOCKS.has(s.context) && s.context !== 'list') {
      checkPlaceholders(s, out)
      readValue(s, out)
    }
    if (s.keyword === 'garp_group' && s.block && !s.block.some((k) => k.keyword === 'garp_interval' || k.keyword === 'gna_interval')) {
      const at = s.end ?? s.loc
      out.push({rule: 'missing-value', severity: 'warning', message: 'garp_group has no garp_interval or gna_interval; keepalived removes it', file: at.file, line: at.line, fix: 'add garp_interval SECONDS'})
    }
    if (s.block) checkUnlowered(s.block, out)
  }
}

const byPosition = (a: Finding, b: Finding) =>
  (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0)

/** Parse keepalived.conf text into the model. Never throws on odd input: problems are diagnostics. */
export function parseKeepalivedConfig(text: string, opts: ParseOptions): ParseResult {
  const lines = readLogicalLines(text, {
    file: opts.file,
    configId: opts.configId ?? hostname().split('.')[0],
    readFile: opts.readFile ?? readFileOrUndefined,
    ...(opts.glob ? {glob: opts.glob} : {}),
  })
  const tree = buildTree(lines.lines)
  const lowered = lowerTree(tree.statements)
  const items: Finding[] = []
  checkIpItems(tree.statements, items)
  checkUnlowered(tree.statements, items)
  checkOrder(tree.statements, items)
  const diagnostics = [...lines.diagnostics, ...tree.diagnostics, ...lowered.diagnostics, ...items].sort(byPosition)
  return {config: lowered.config, diagnostics, files: lines.files}
}

/** Read and parse a keepalived.conf file; an unreadable file is a diagnostic, not an exception. */
export function parseKeepalivedFile(path: string, opts: Omit<ParseOptions, 'file'> = {}): ParseResult {
  const file = resolve(path)
  const text = (opts.readFile ?? readFileOrUndefined)(file)
  if (text === undefined) {
    return {
      config: {scripts: [], syncGroups: [], instances: [], virtualServers: []},
      diagnostics: [{rule: 'unreadable', severity: 'error', message: `cannot read ${path}`, file, fix: 'check the path and permissions'}],
      files: [],
    }
  }
  return parseKeepalivedConfig(text, {...opts, file})
}
