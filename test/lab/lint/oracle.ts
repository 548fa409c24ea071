import {readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {keepalivedCheck, type KeepalivedDiagnostic} from '../../../src/keepalived/check.js'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {lintConfigs, type Finding} from '../../../src/lint/index.js'

/**
 * keepalived -t as the oracle for the parser and lint: every diagnostic it
 * prints with a line number about the config itself (not about this host:
 * missing interfaces, script files or users) must have a lint finding on the
 * same line, and a file it accepts must get no lint error.
 */

/** Interfaces the config names (instances, VIP devs, tracked interfaces), so keepalived finds them in the scratch namespace. */
export function interfacesOf(cfg: KeepalivedConfig): string[] {
  const names = new Set<string>()
  for (const vi of cfg.instances) {
    if (vi.interface) names.add(vi.interface)
    for (const a of [...vi.virtualIpaddress, ...(vi.virtualIpaddressExcluded ?? [])]) if (a.dev) names.add(a.dev)
    for (const t of vi.trackInterface ?? []) names.add(t.name)
  }
  for (const sg of cfg.syncGroups) for (const t of sg.trackInterface ?? []) names.add(t.name)
  return [...names]
}

/**
 * "track script X not found" is a consequence, not a cause, when X is defined
 * with a script line: keepalived dropped it for a host reason printed above
 * (a missing script user or file).
 */
export function consequenceOfHost(d: KeepalivedDiagnostic, cfg: KeepalivedConfig): boolean {
  const m = /track script (\S+) not found/.exec(d.message)
  return !!m && cfg.scripts.some((s) => s.name === m[1] && s.script !== '')
}

/**
 * Diagnostics keepalived prints without a line, and the lint rule that says
 * the same thing (matched per file by rule, not by line).
 */
export const UNLOCATED: [RegExp, string[]][] = [
  [/both use VRID/, ['vrid-duplicate']],
  [/No VIP specified/, ['no-vip']],
  [/the virtual router id must be set/, ['missing-vrid', 'virtual-router-id-range', 'invalid-number']],
  [/VRRP version 3 does not support authentication/, ['v3-auth']],
  [/Strict mode does not support authentication/, ['strict-auth']],
  [/nopreempt will not work with initial state MASTER/, ['nopreempt-master']],
  [/incompatible with AH authentication/, ['ah-master']],
  [/nopreempt is incompatible with priority 255/, ['nopreempt-owner']],
  [/unicast keyword has been specified without any unicast peers/, ['unicast-no-peer']],
  [/VRRPv3 advertisement interval .* out of range/, ['advert-int-v3']],
  [/preempt_delay is incompatible with nopreempt/, ['preempt-delay-nopreempt']],
  [/is duplicated - removing second rs/, ['duplicate-real-server']],
  [/quorum .* exceeds total weight/, ['quorum-weight']],
  [/ports don't match - resetting/, ['lvs-port-remap']],
  [/State MASTER must match being address owner/, ['strict-master-owner']],
  [/has only 1 virtual router/, ['sync-group-single']],
  [/has no virtual router\(s\)/, ['sync-group-empty', 'sync-group-member']],
  [/specified in sync group .* doesn't exist|no matching virtual router found/, ['sync-group-member']],
  [/protocol specified for fwmark/, ['fwmark-protocol']],
  [/no forwarding method set|no scheduler set|no protocol set/, ['lvs-default']],
  [/has no real servers/, ['no-real-server']],
  [/missing '}'s or extra '{'s/, ['missing-close-brace', 'extra-brace']],
  [/must be an integer\. rounding/, ['advert-int-fraction']],
  [/since own interface/, ['track-own-interface']],
]

export interface FileResult {
  file: string
  accepted: boolean
  total: number
  missed: string[]
  /** missed diagnostics that have a lint finding a few lines away (a finding on the wrong line) */
  wrongLine: string[]
  falseErrors: string[]
  unlocated: {total: number; matched: number; unmapped: string[]}
}

export async function oracle(path: string): Promise<FileResult> {
  const parsed = parseKeepalivedFile(path)
  const findings: Finding[] = lintConfigs([{file: path, config: parsed.config, diagnostics: parsed.diagnostics}])
  const check = await keepalivedCheck(path, {interfaces: interfacesOf(parsed.config)})
  const configLevel = check.diagnostics.filter((d) => !d.hostSpecific && !consequenceOfHost(d, parsed.config))
  const seen = new Set<string>()
  const relevant: {file: string; line: number; message: string}[] = []
  for (const d of configLevel) {
    if (d.line === undefined) continue
    // keepalived names included files relative to the main file's directory; "(Line N)" alone is the main file
    const file = d.file === undefined ? path : resolve(dirname(path), d.file)
    const key = `${file}|${d.line}|${d.message}`
    if (!seen.has(key)) seen.add(key), relevant.push({file, line: d.line, message: d.message})
  }
  const at = new Set(findings.map((f) => `${f.file}|${f.line}`))
  const missedDiags = relevant.filter((d) => !at.has(`${d.file}|${d.line}`))
  const missed = missedDiags.map((d) => `${d.file}:${d.line} ${d.message}`)
  const near = (d: {file: string; line: number}) => findings.some((f) => f.file === d.file && f.line !== undefined && Math.abs(f.line - d.line) <= 3)
  const wrongLine = missedDiags.filter(near).map((d) => `${d.file}:${d.line} ${d.message}`)
  const accepted = check.exitCode === 0 || configLevel.length === 0
  const falseErrors = accepted ? findings.filter((f) => f.severity === 'error').map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`) : []
  const rules = new Set(findings.map((f) => f.rule))
  const unlocatedMsgs = [...new Set(configLevel.filter((d) => d.line === undefined).map((d) => d.message))]
  let unlocatedMatched = 0
  const unmapped: string[] = []
  for (const m of unlocatedMsgs) {
    const map = UNLOCATED.find(([re]) => re.test(m))
    if (map && map[1].some((r) => rules.has(r))) unlocatedMatched++
    else unmapped.push(`${path}: ${m}`)
  }
  return {file: path, accepted, total: relevant.length, missed, wrongLine, falseErrors, unlocated: {total: unlocatedMsgs.length, matched: unlocatedMatched, unmapped}}
}

export async function agreement(label: string, paths: string[]): Promise<{total: number; matched: number; missed: string[]; wrongLine: string[]; falseErrors: string[]; unmapped: string[]; files: number}> {
  const results: FileResult[] = []
  for (const p of paths) results.push(await oracle(p))
  const total = results.reduce((n, r) => n + r.total, 0)
  const missed = results.flatMap((r) => r.missed)
  const wrongLine = results.flatMap((r) => r.wrongLine)
  const falseErrors = results.flatMap((r) => r.falseErrors)
  const matched = total - missed.length
  const uTotal = results.reduce((n, r) => n + r.unlocated.total, 0)
  const uMatched = results.reduce((n, r) => n + r.unlocated.matched, 0)
  const unmapped = results.flatMap((r) => r.unlocated.unmapped)
  console.log(
    [
      `${label}: ${results.length} files, keepalived -t accepts ${results.filter((r) => r.accepted).length}`,
      `  agreement: ${matched}/${total} keepalived diagnostics matched by a lint finding on the same line (${total ? ((100 * matched) / total).toFixed(1) : '100.0'}%)`,
      `  false errors on files keepalived accepts: ${falseErrors.length}`,
      `  missed diagnostics with a lint finding within 3 lines (wrong line): ${wrongLine.length}`,
      `  diagnostics without a line (per file, by rule): ${uMatched}/${uTotal} have a finding saying the same`,
      ...missed.map((m) => `  missed: ${m}`),
      ...unmapped.map((m) => `  no finding for unlocated: ${m}`),
      ...falseErrors.map((m) => `  false error: ${m}`),
    ].join('\n'),
  )
  return {total, matched, missed, wrongLine, falseErrors, unmapped, files: results.length}
}


export const confs = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => join(dir, f))
