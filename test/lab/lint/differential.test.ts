import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {parseKeepalivedOutput} from '../../../src/keepalived/check.js'
import {KEYWORDS, type BlockName, type KeywordSpec} from '../../../src/keepalived/keywords.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {lintConfigs} from '../../../src/lint/index.js'
import {consequenceOfHost, UNLOCATED} from './oracle.js'

/**
 * Differential test of lint against the real keepalived -t, on configs
 * generated from the keyword table: every keyword of every block with valid,
 * boundary and invalid values, a missing value, extra arguments, unknown and
 * misspelled keywords, keywords of other blocks, unbalanced braces and
 * includes. Independent statements are batched into one config (keepalived
 * reports each on its own line); structural faults get a config each.
 *
 * Per line: every diagnostic keepalived prints about the config (not about
 * this host) has a lint finding on that line, and lint reports no error on a
 * line where keepalived says nothing.
 */

const isRoot = process.getuid?.() === 0
type Block = keyof typeof KEYWORDS

/** Lines before and after a block's body, so its statements are read in that block. */
const FRAME: Record<Block, [string[], string[]]> = {
  top: [[], []],
  global_defs: [['global_defs {'], ['}']],
  vrrp_script: [['vrrp_script s {', ' script /bin/true'], ['}']],
  vrrp_sync_group: [['vrrp_sync_group g {', ' group {', '  V', '  W', ' }'], ['}', ...instance('V', 1), ...instance('W', 2)]],
  vrrp_instance: [['vrrp_instance V {', ' interface eth0', ' virtual_router_id 1', ' virtual_ipaddress {', '  10.117.0.10/24', ' }'], ['}']],
  authentication: [['vrrp_instance V {', ' interface eth0', ' virtual_router_id 1', ' virtual_ipaddress {', '  10.117.0.10/24', ' }', ' authentication {'], [' }', '}']],
  virtual_server: [['virtual_server 10.117.0.1 80 {', ' real_server 10.117.0.2 80 {', ' }'], ['}']],
  real_server: rs([], []),
  http_check: rs([' HTTP_GET {', '  url {', '   path /', '   status_code 200', '  }'], [' }']),
  url: rs([' HTTP_GET {', '  url {', '   path /'], ['  }', ' }']),
  tcp_check: rs([' TCP_CHECK {'], [' }']),
  misc_check: rs([' MISC_CHECK {', '  misc_path /bin/true'], [' }']),
  smtp_check: rs([' SMTP_CHECK {'], [' }']),
  smtp_host: rs([' SMTP_CHECK {', '  host {'], ['  }', ' }']),
  dns_check: rs([' DNS_CHECK {'], [' }']),
  udp_check: rs([' UDP_CHECK {'], [' }']),
  ping_check: rs([' PING_CHECK {'], [' }']),
  file_check: [['track_file tf {', ' file /dev/null', '}', 'virtual_server 10.117.0.1 80 {', ' real_server 10.117.0.2 80 {', '  FILE_CHECK {', '   track_file tf'], ['  }', ' }', '}']],
  bfd_check: [['bfd_instance bf {', ' neighbor_ip 10.117.0.3', '}', 'virtual_server 10.117.0.1 80 {', ' real_server 10.117.0.2 80 {', '  BFD_CHECK {', '   name bf'], ['  }', ' }', '}']],
  ssl: [['SSL {'], ['}']],
  track_process: [['vrrp_track_process p {', ' process init'], ['}']],
  track_file: [['track_file f {', ' file /dev/null'], ['}']],
  garp_group: [['garp_group {', ' interface eth0'], ['}']],
  track_group: [['track_group tg {'], ['}']],
  bfd_instance: [['bfd_instance b {', ' neighbor_ip 10.117.0.3'], ['}']],
}

function instance(name: string, vrid: number): string[] {
  return [`vrrp_instance ${name} {`, ' interface eth0', ` virtual_router_id ${vrid}`, ' virtual_ipaddress {', `  10.117.0.${10 + vrid}/24`, ' }', '}']
}

function rs(before: string[], after: string[]): [string[], string[]] {
  return [['virtual_server 10.117.0.1 80 {', ' real_server 10.117.0.2 80 {', ...before.map((l) => ` ${l}`)], [...after.map((l) => ` ${l}`), ' }', '}']]
}

/** Values for a keyword: valid ones, its boundaries and just beyond them, and wrong types. */
function values(spec: KeywordSpec): string[] {
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const out = ['1', 'x1', '-']
      if (spec.min !== undefined) out.push(String(spec.min), spec.min > 0 && spec.kind === 'number' ? '0' : String(spec.min - 1))
      if (spec.max !== undefined) out.push(String(spec.max), String(spec.max + 1))
      if (spec.kind === 'int') out.push('1.5')
      else out.push('0.5', '2.25')
      return [...new Set(out)]
    }
    case 'enum': {
      const vs = spec.values ?? []
      return [...vs, ...vs.map((v) => v.toLowerCase()).filter((v) => !vs.includes(v)), 'bogus']
    }
    case 'optbool':
      return ['', 'on', 'off', 'yes', 'no', 'true', 'false', 'bogus']
    case 'flag':
      return ['', 'extra']
    default:
      // free text: a value, and none at all
      return ['v1', '']
  }
}

interface Case {
  block: Block
  /** config text; `main` lines, and other files to write beside it */
  lines: string[]
  files?: Record<string, string>
  what: string
}

/** Batch statements into configs of at most `size` body lines. */
function batched(block: Block, statements: string[], what: string, size = 24): Case[] {
  const [before, after] = FRAME[block]
  const out: Case[] = []
  for (let i = 0; i < statements.length; i += size) {
    out.push({block, lines: [...before, ...statements.slice(i, i + size).map((s) => `  ${s}`), ...after], what})
  }
  return out
}

/** Keywords whose value the frame itself depends on, or that keepalived acts on beyond its own line. */
const SKIP = new Set(['vrrp_instance:interface', 'vrrp_instance:virtual_router_id', 'vrrp_script:script', 'misc_check:misc_path', 'file_check:track_file', 'bfd_check:name', 'track_process:process', 'track_file:file', 'bfd_instance:neighbor_ip', 'bfd_instance:neighbour_ip', 'url:path', 'top:instance', 'top:net_namespace', 'top:net_namespace_ipvs', 'global_defs:config_save_dir', 'global_defs:tmp_config_directory', 'global_defs:include_check', 'global_defs:reload_file', 'global_defs:reload_time_file'])

export function generate(): Case[] {
  const cases: Case[] = []
  const all = Object.keys(KEYWORDS) as Block[]
  for (const block of all) {
    const table = KEYWORDS[block]
    const valueLines: string[] = []
    const arity: string[] = []
    for (const [kw, spec] of Object.entries(table)) {
      if (spec.block || SKIP.has(`${block}:${kw}`)) continue
      for (const v of values(spec)) valueLines.push(`${kw} ${v}`.trimEnd())
      if (spec.kind === 'int' || spec.kind === 'number' || spec.kind === 'enum') arity.push(`${kw} ${values(spec)[0]} extra`, kw)
    }
    cases.push(...batched(block, valueLines, 'values'), ...batched(block, arity, 'arity'))
    // unknown and misspelled keywords, and keywords of other blocks
    const kws = Object.keys(table)
    const unknown = ['no_such_keyword 1', 'xyzzy', ...kws.filter((k) => k.length > 5).map((k) => `${k.slice(0, -1)} 1`).filter((l) => !Object.hasOwn(table, l.split(' ')[0]))]
    const misplaced = all
      .filter((b) => b !== block)
      .flatMap((b) => Object.entries(KEYWORDS[b]).filter(([k, s]) => !s.block && !Object.hasOwn(table, k)).slice(0, 4).map(([k]) => `${k} 1`))
    cases.push(...batched(block, unknown, 'unknown keywords'), ...batched(block, misplaced, 'misplaced keywords'))
    if (block === 'top') continue
    // braces: a block left open, an extra "}", a "{" after a keyword that does not open a block
    const [before, after] = FRAME[block]
    const flagOrInt = kws.find((k) => !table[k].block && !SKIP.has(`${block}:${k}`))
    if (flagOrInt) {
      cases.push({block, lines: [...before, `  ${flagOrInt} ${values(table[flagOrInt])[0]} {`, '  }', ...after], what: 'brace after a value keyword'})
      cases.push({block, lines: [...before, '  }', ...after], what: 'extra close brace'})
      cases.push({block, lines: [...before, ...after.slice(1)], what: 'block never closed'})
    }
  }
  // includes: errors inside an included file are reported there
  for (const block of ['global_defs', 'vrrp_instance', 'virtual_server'] as const) {
    const [before, after] = FRAME[block]
    const spec = Object.entries(KEYWORDS[block]).filter(([k, s]) => (s.kind === 'int' || s.kind === 'enum') && !SKIP.has(`${block}:${k}`))
    const body = spec.flatMap(([k, s]) => values(s).map((v) => `${k} ${v}`)).slice(0, 30)
    cases.push({block, lines: [...before, '  include inc/part.conf', ...after], files: {'inc/part.conf': body.join('\n') + '\n'}, what: 'include'})
    cases.push({block: 'top', lines: ['include inc/*.conf', ...before, ...after], files: {'inc/a.conf': `${before.join('\n')}\nno_such_keyword 1\n${after.join('\n')}\n`}, what: 'include glob'})
  }
  return cases
}

/**
 * What lint does not (yet) say, with the reason. Each is a keepalived
 * diagnostic that depends on the order of statements or on other keywords of
 * the block (the batching provokes them), or a value format the keyword
 * table does not describe.
 */
const KNOWN: [RegExp, string][] = [
  [/already specified - ignoring|state previously set as MASTER|conflicts with configured or deduced version/, 'a keyword repeated in one block (batching): keepalived keeps the first'],
  [/only applies to sh scheduler/, 'depends on the lb_algo set before the flag'],
  [/quorum_max is less than quorum|min_reply length .* > max_reply_length/, 'depends on another keyword of the block'],
  [/Cannot specify VRF interface and interface/, 'depends on another keyword of the block'],
  [/cpu_id|cpu_affinity|vrrp_rx_bufs_policy|garp_extra_if|vrrp_vmac_garp_intvl|lvs_timeouts|track file init option|Invalid hex string/, 'value format not in the keyword table (CPU lists, buffer policies, garp_extra_if, lvs_timeouts, init_file, hex payloads)'],
  [/^invalid number 'v1'$/, 'the same value formats, reported by keepalived\'s number reader'],
]

interface Disagreement {
  kind: 'missed' | 'false-error'
  what: string
  line: string
  detail: string
}

/** keepalived -t in the test's namespace (which has eth0), from the config's directory */
async function keepalivedT(ns: string, path: string) {
  const r = await execa('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', path], {reject: false, all: true, cwd: dirname(path), timeout: 20_000})
  return parseKeepalivedOutput(r.all ?? '')
}

async function compare(c: Case, dir: string, ns: string, index: number): Promise<{diagnostics: number; disagreements: Disagreement[]}> {
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
  for (const f of findings) {
    if (f.severity !== 'error' || excused.has(f.rule)) continue
    if (f.line === undefined || !kaAt.has(`${f.file}|${f.line}`)) out.push({kind: 'false-error', what: `${c.block} ${c.what}`, line: text(f.file ?? path, f.line ?? 0), detail: `${f.rule}: ${f.message}`})
  }
  return {diagnostics: relevant.filter((d) => d.line !== undefined).length, disagreements: out}
}

describe.skipIf(!isRoot)('lint against keepalived -t on configs generated from the keyword table', () => {
  let dir = ''
  const ns = `hli-diff-${randomBytes(3).toString('hex')}`
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hli-diff-'))
    await execa('ip', ['netns', 'add', ns])
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await execa('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'])
    await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
  })
  afterAll(async () => {
    await execa('ip', ['netns', 'del', ns], {reject: false})
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('agrees on every host-independent diagnostic, with no false error', async () => {
    const cases = generate()
    const statements = cases.reduce((n, c) => n + c.lines.length, 0)
    expect(cases.length).toBeGreaterThan(200)
    const disagreements: Disagreement[] = []
    let diagnostics = 0
    const started = Date.now()
    // two keepalived -t at a time
    for (let i = 0; i < cases.length; i += 2) {
      const rs = await Promise.all(cases.slice(i, i + 2).map((c, k) => compare(c, dir, ns, i + k)))
      for (const r of rs) {
        diagnostics += r.diagnostics
        disagreements.push(...r.disagreements)
      }
    }
    const known = disagreements.filter((d) => d.kind === 'missed' && KNOWN.some(([re]) => re.test(d.detail)))
    const missed = disagreements.filter((d) => d.kind === 'missed' && !known.includes(d))
    const falseErrors = disagreements.filter((d) => d.kind === 'false-error')
    console.log(
      [
        `differential: ${cases.length} generated configs (${statements} lines) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
        `  keepalived -t diagnostics with a line: ${diagnostics}; lint found ${diagnostics - missed.length - known.length} on their lines; missed ${missed.length}; known exceptions ${known.length}; lint false errors ${falseErrors.length}`,
        ...disagreements.map((d) => `  ${known.includes(d) ? 'known' : d.kind} [${d.what}] ${d.line} -- ${d.detail}`),
      ].join('\n'),
    )
    expect(diagnostics).toBeGreaterThan(1000)
    expect(missed).toEqual([])
    expect(falseErrors).toEqual([])
  }, 600_000)
})
