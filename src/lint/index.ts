import {basename} from 'node:path'
import type {KeepalivedConfig} from '../keepalived/model.js'
import {redact} from '../lib/redact.js'
import {lintCluster} from './cluster-rules.js'
import {lintConfig} from './config-rules.js'
import type {Finding, Severity} from './types.js'

export type {Finding} from './types.js'

export interface LintInput {
  /** node name (cross-node findings); default: the file's name */
  node?: string
  file: string
  config: KeepalivedConfig
  /** the parser's findings for this file */
  diagnostics?: Finding[]
}

/** Parser findings that already say what is wrong with a value (ranges too); lint's range finding on the same line adds nothing. */
const VALUE_PROBLEMS = new Set(['invalid-number', 'missing-value', 'placeholder', 'invalid-value', 'undefined-variable'])

const SEVERITY_ORDER: Record<Severity, number> = {error: 0, warning: 1, info: 2}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  )
}

/**
 * Lint keepalived configs: each one alone (with its parser findings), then
 * all of them as the nodes of one cluster. Messages are redacted.
 */
export function lintConfigs(inputs: LintInput[]): Finding[] {
  const out: Finding[] = []
  for (const input of inputs) {
    const parsed = input.diagnostics ?? []
    const taken = new Set(parsed.filter((d) => VALUE_PROBLEMS.has(d.rule) || d.rule.endsWith('-range')).map((d) => `${d.file}:${d.line}`))
    out.push(...parsed)
    for (const f of lintConfig(input.config, input.file)) {
      if (f.rule.endsWith('-range') && taken.has(`${f.file}:${f.line}`)) continue
      out.push(f)
    }
  }
  out.push(...lintCluster(inputs.map((i) => ({node: i.node ?? basename(i.file), file: i.file, config: i.config}))))
  const seen = new Set<string>()
  const unique = out.filter((f) => {
    const k = `${f.file}|${f.line}|${f.rule}|${f.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
  return sortFindings(unique.map((f) => ({...f, message: redact(f.message), ...(f.fix ? {fix: redact(f.fix)} : {})})))
}

export interface LintSummary {
  errors: number
  warnings: number
  infos: number
  files: number
}

export function summarize(findings: Finding[], files: number): LintSummary {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length
  return {errors: count('error'), warnings: count('warning'), infos: count('info'), files}
}
