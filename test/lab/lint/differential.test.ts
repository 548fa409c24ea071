import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {randomBytes} from 'node:crypto'
import {KEYWORDS, type KeywordSpec} from '../../../src/keepalived/keywords.js'
import {compareAll, scratchNamespace, type Case, type Comparison} from './differential.js'
import {randomCases} from './generator.js'

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

/** The CI-sized sample of random whole configs (bench/lint-differential.ts runs thousands); HALCTL_DIFF_RANDOM=N for more. */
const RANDOM_SAMPLE = Number(process.env.HALCTL_DIFF_RANDOM ?? 100)

describe.skipIf(!isRoot)('lint against keepalived -t on configs generated from the keyword table', () => {
  let dir = ''
  let drop: (() => Promise<void>) | undefined
  const ns = `hli-diff-${randomBytes(3).toString('hex')}`
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hli-diff-'))
    drop = await scratchNamespace(ns)
  })
  afterAll(async () => {
    await drop?.()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  const report = (label: string, cases: Case[], r: Comparison, seconds: number) => {
    const missed = r.disagreements.filter((d) => d.kind === 'missed')
    const falseErrors = r.disagreements.filter((d) => d.kind === 'false-error')
    console.log(
      [
        `${label}: ${cases.length} generated configs (${cases.reduce((n, c) => n + c.lines.length, 0)} lines) in ${seconds.toFixed(0)} s`,
        `  keepalived -t diagnostics with a line: ${r.diagnostics}; lint found ${r.diagnostics - missed.length} on their lines; missed ${missed.length}; lint false errors ${falseErrors.length} (${r.unjudged} configs not judged for false errors)`,
        ...r.disagreements.map((d) => `  ${d.kind} [${d.what}] ${d.line} -- ${d.detail}`),
      ].join('\n'),
    )
    return {missed, falseErrors}
  }

  it('agrees on every host-independent diagnostic of every keyword, with no false error', async () => {
    const cases = generate()
    expect(cases.length).toBeGreaterThan(300)
    const started = Date.now()
    const r = await compareAll(cases, dir, ns, 2, true)
    const {missed, falseErrors} = report('differential (keyword table)', cases, r, (Date.now() - started) / 1000)
    expect(r.diagnostics).toBeGreaterThan(1000)
    expect(missed).toEqual([])
    expect(falseErrors).toEqual([])
  }, 900_000)

  // Random whole configs (a fresh seed each day) still find disagreements: the floor below is today's
  // figure, printed with every disagreement; bench/lint-differential.ts measures thousands.
  it.skipIf(RANDOM_SAMPLE === 0)('agrees on random whole configs (valid and broken)', async () => {
    const seed = Math.floor(Date.now() / 86_400_000)
    const cases = randomCases(RANDOM_SAMPLE, seed)
    const started = Date.now()
    const r = await compareAll(cases, dir, ns, 2)
    const {missed, falseErrors} = report(`differential (random, seed ${seed})`, cases, r, (Date.now() - started) / 1000)
    expect(r.diagnostics).toBeGreaterThan(RANDOM_SAMPLE * 5)
    expect(missed.length / r.diagnostics).toBeLessThan(0.03)
    expect(falseErrors.length / r.diagnostics).toBeLessThan(0.01)
  }, 900_000)
})
