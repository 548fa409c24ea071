import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {execa} from 'execa'
import {parseKeepalivedOutput} from '../../../src/keepalived/check.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {lintConfigs} from '../../../src/lint/index.js'
import {consequenceOfHost, UNLOCATED} from './oracle.js'

/**
 * One generated config through both the real keepalived -t and halctl lint,
 * compared per line: every diagnostic keepalived prints about the config (not
 * about this host) has a lint finding on that line, and lint reports no error
 * on a line where keepalived says nothing. Shared by the differential test and
 * bench/lint-differential.ts.
 */

export interface Case {
  /** the block the case exercises (or "random") */
  block: string
  /** the main file's lines */
  lines: string[]
  /** other files to write beside it (includes), by relative path */
  files?: Record<string, string>
  what: string
}

export interface Disagreement {
  kind: 'missed' | 'false-error'
  what: string
  line: string
  detail: string
}

export interface Comparison {
  /** keepalived's host-independent diagnostics with a line */
  diagnostics: number
  disagreements: Disagreement[]
  /** configs whose lint errors could not be judged (keepalived stopped early, or its passes disagree on unbalanced braces) */
  unjudged: number
}

/** keepalived exits at the first line missing a parameter (lib/parser.c, "missing a parameter") */
const FATAL = /is missing a parameter/
const BRACES = /missing '}'s or extra '{'s/

/** keepalived -t in a namespace (which has eth0), from the config's directory */
async function keepalivedT(ns: string, path: string) {
  const r = await execa('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', path], {reject: false, all: true, cwd: dirname(path), timeout: 20_000})
  return parseKeepalivedOutput(r.all ?? '')
}

/**
 * Lint errors go unjudged in a config where keepalived stopped at a missing parameter (its later passes
 * never ran) and, unless strict, where it counted unbalanced braces (random configs: its passes then
 * disagree on where blocks end).
 */
export async function compare(c: Case, dir: string, ns: string, index: number, strict = false): Promise<Comparison> {
  const base = join(dir, `c${index}`)
  mkdirSync(base, {recursive: true})
  const path = join(base, 'keepalived.conf')
  writeFileSync(path, c.lines.join('\n') + '\n')
  for (const [rel, text] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(base, rel)), {recursive: true})
    writeFileSync(join(base, rel), text)
  }
  const parsed = parseKeepalivedFile(path)
  const findings = lintConfigs([{file: path, config: parsed.config, diagnostics: parsed.diagnostics}])
  const relevant = (await keepalivedT(ns, path)).filter((d) => !d.hostSpecific && !consequenceOfHost(d, parsed.config))
  const text = (f: string, line: number) => {
    const src = f === path ? c.lines.join('\n') : (c.files?.[f.slice(base.length + 1)] ?? '')
    return `${f.slice(base.length + 1)}:${line} ${src.split('\n')[line - 1]?.trim() ?? ''}`
  }
  const out: Disagreement[] = []
  const lintAt = new Set(findings.map((f) => `${f.file}|${f.line}`))
  const kaAt = new Set<string>()
  for (const d of relevant) {
    if (d.line === undefined) continue
    const file = d.file === undefined ? path : resolve(base, d.file)
    kaAt.add(`${file}|${d.line}`)
    if (!lintAt.has(`${file}|${d.line}`)) out.push({kind: 'missed', what: `${c.block} ${c.what}`, line: text(file, d.line), detail: d.message})
  }
  // an unlocated keepalived diagnostic excuses the lint rules that say the same thing
  const unlocated = relevant.filter((d) => d.line === undefined).map((d) => d.message)
  const excused = new Set(UNLOCATED.filter(([re]) => unlocated.some((m) => re.test(m))).flatMap(([, rules]) => rules))
  // keepalived exits at a line missing a required parameter, in whichever of its passes (global, checker,
  // vrrp, bfd) reads it first: the passes after it never run, so lint's errors cannot be judged
  // with unbalanced braces, each pass skips the blocks it does not read by counting braces, so the passes
  // disagree on where blocks end; lint reads the file once, the way the pass of each block does
  const unjudged = relevant.find((d) => FATAL.test(d.message) || (!strict && BRACES.test(d.message)))
  if (unjudged) return {diagnostics: relevant.filter((d) => d.line !== undefined).length, disagreements: out, unjudged: 1}
  for (const f of findings) {
    if (f.severity !== 'error' || excused.has(f.rule)) continue
    if (f.line === undefined || !kaAt.has(`${f.file}|${f.line}`)) out.push({kind: 'false-error', what: `${c.block} ${c.what}`, line: text(f.file ?? path, f.line ?? 0), detail: `${f.rule}: ${f.message}`})
  }
  return {diagnostics: relevant.filter((d) => d.line !== undefined).length, disagreements: out, unjudged: 0}
}

/** A scratch namespace with lo and eth0 up, for keepalived -t to find its interfaces in. */
export async function scratchNamespace(ns: string): Promise<() => Promise<void>> {
  await execa('ip', ['netns', 'add', ns])
  await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  await execa('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'])
  await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
  return async () => {
    await execa('ip', ['netns', 'del', ns], {reject: false})
  }
}

/** Run cases `parallel` at a time; the totals and every disagreement. */
export async function compareAll(cases: Case[], dir: string, ns: string, parallel = 2, strict = false): Promise<Comparison> {
  const disagreements: Disagreement[] = []
  let diagnostics = 0
  let unjudged = 0
  let next = 0
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const r = await compare(cases[i], dir, ns, i, strict)
      diagnostics += r.diagnostics
      unjudged += r.unjudged
      disagreements.push(...r.disagreements)
    }
  }
  await Promise.all(Array.from({length: parallel}, worker))
  return {diagnostics, disagreements, unjudged}
}
