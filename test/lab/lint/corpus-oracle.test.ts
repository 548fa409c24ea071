import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {keepalivedCheck, type KeepalivedDiagnostic} from '../../../src/keepalived/check.js'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {lintConfigs, type Finding} from '../../../src/lint/index.js'

/**
 * keepalived -t is the oracle for the parser and lint: every diagnostic it
 * prints with a line number about the config itself (not about this host)
 * must have a lint finding on the same line, and a file it accepts must get
 * no lint error.
 */

const CORPUS = process.env.HALCTL_CORPUS ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus', 'configs')
const isRoot = process.getuid?.() === 0

/** Interfaces the config names (instances, VIP devs, tracked interfaces), so keepalived finds them in the scratch namespace. */
function interfacesOf(cfg: KeepalivedConfig): string[] {
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
function consequenceOfHost(d: KeepalivedDiagnostic, cfg: KeepalivedConfig): boolean {
  const m = /track script (\S+) not found/.exec(d.message)
  return !!m && cfg.scripts.some((s) => s.name === m[1] && s.script !== '')
}

interface FileResult {
  file: string
  accepted: boolean
  total: number
  matched: number
  missed: KeepalivedDiagnostic[]
  falseErrors: Finding[]
}

describe.skipIf(!isRoot)('corpus: lint against keepalived -t', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.conf')).sort()

  it('finds every config-level keepalived diagnostic on its line, and no error where keepalived accepts', async () => {
    expect(files.length).toBeGreaterThan(0)
    const results: FileResult[] = []
    for (const name of files) {
      const path = join(CORPUS, name)
      const parsed = parseKeepalivedFile(path)
      const findings = lintConfigs([{file: path, config: parsed.config, diagnostics: parsed.diagnostics}])
      const check = await keepalivedCheck(path, {interfaces: interfacesOf(parsed.config)})
      const seen = new Set<string>()
      const relevant = check.diagnostics.filter((d) => {
        if (d.line === undefined || d.hostSpecific || consequenceOfHost(d, parsed.config)) return false
        if (d.file !== undefined && d.file !== path) return false
        const key = `${d.line}|${d.message}`
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
      const lines = new Set(findings.filter((f) => f.file === path).map((f) => f.line))
      const missed = relevant.filter((d) => !lines.has(d.line))
      const configLevel = check.diagnostics.filter((d) => !d.hostSpecific && !consequenceOfHost(d, parsed.config))
      const accepted = check.exitCode === 0 || configLevel.length === 0
      const falseErrors = accepted ? findings.filter((f) => f.severity === 'error') : []
      results.push({file: name, accepted, total: relevant.length, matched: relevant.length - missed.length, missed, falseErrors})
    }
    const total = results.reduce((n, r) => n + r.total, 0)
    const matched = results.reduce((n, r) => n + r.matched, 0)
    const falseErrors = results.flatMap((r) => r.falseErrors.map((f) => `${r.file}:${f.line} ${f.rule}: ${f.message}`))
    const missed = results.flatMap((r) => r.missed.map((d) => `${r.file}:${d.line} ${d.message}`))
    const accepted = results.filter((r) => r.accepted).length
    console.log(
      [
        `corpus: ${results.length} files, keepalived accepts ${accepted}`,
        `agreement: ${matched}/${total} keepalived diagnostics matched by a lint finding on the same line (${total ? ((100 * matched) / total).toFixed(1) : '100.0'}%)`,
        `false errors on accepted files: ${falseErrors.length}`,
        ...missed.map((m) => `  missed: ${m}`),
        ...falseErrors.map((m) => `  false error: ${m}`),
      ].join('\n'),
    )
    expect(missed).toEqual([])
    expect(falseErrors).toEqual([])
    expect(total).toBeGreaterThan(40)
  })
})
