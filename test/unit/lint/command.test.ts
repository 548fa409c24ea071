import {join, relative} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import Lint, {type LintResult} from '../../../src/commands/lint.js'
import {runCommand} from '../../helpers/run-command.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'configs')
const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')
const rel = (p: string) => relative(process.cwd(), p)

describe('halctl lint', () => {
  beforeEach(() => {
    process.env.HAL_VRRP_PASS = 'vrrpPw1'
  })
  afterEach(() => {
    delete process.env.HAL_VRRP_PASS
  })

  it('returns {findings, summary} with --json and exit 0 for a matched pair', async () => {
    const r = await runCommand<LintResult>(Lint, [join(FIXTURES, 'pair-good', 'lb1.conf'), join(FIXTURES, 'pair-good', 'lb2.conf'), '--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as LintResult
    expect(Object.keys(json).sort()).toEqual(['findings', 'summary'])
    expect(json).toEqual({findings: [], summary: {errors: 0, warnings: 0, infos: 0, files: 2}})
  })

  it('exits 2 on errors; each finding has rule, severity, message, file, line; no password leaks', async () => {
    const r = await runCommand<LintResult>(Lint, [join(FIXTURES, 'pair-bad', 'lb1.conf'), join(FIXTURES, 'pair-bad', 'lb2.conf'), '--json'])
    expect(r.exitCode).toBe(2)
    const json = JSON.parse(r.stdout) as LintResult
    expect(json.summary.errors).toBeGreaterThan(0)
    for (const f of json.findings) {
      expect(Object.keys(f).every((k) => ['rule', 'severity', 'message', 'file', 'line', 'node', 'fix'].includes(k))).toBe(true)
      expect(['error', 'warning', 'info']).toContain(f.severity)
      expect(f.file).toBe(rel(join(FIXTURES, 'pair-bad', f.node === 'lb1' ? 'lb1.conf' : 'lb2.conf')))
      expect(typeof f.line).toBe('number')
    }
    expect(r.stdout).not.toMatch(/hunter/)
  })

  it('prints file:line: severity rule: message (fix: ...) grouped per file, and a summary', async () => {
    const r = await runCommand(Lint, [join(FIXTURES, 'pair-bad', 'lb1.conf'), join(FIXTURES, 'pair-bad', 'lb2.conf')])
    const lines = r.stdout.trimEnd().split('\n')
    const lb2 = rel(join(FIXTURES, 'pair-bad', 'lb2.conf'))
    expect(lines).toContain(lb2)
    expect(lines).toContain(`  ${lb2}:4: error cluster-vrid-mismatch: vrrp_instance VI_web: virtual_router_id differs between lb1 and lb2 (52 here, 51 on lb1) (fix: use the same virtual_router_id on every node)`)
    expect(lines.at(-1)).toMatch(/^2 files checked: \d+ errors, \d+ warnings?, 0 infos — FAIL$/)
    expect(r.stdout).not.toMatch(/hunter/)
  })

  it('warnings exit 0, or 1 with --strict', async () => {
    const clean = join(FIXTURES, 'include', 'keepalived.conf')
    expect((await runCommand(Lint, [clean, '--strict'])).exitCode).toBe(0)
    const warnOnly = join(FIXTURES, 'warn-only.conf')
    const r = await runCommand<LintResult>(Lint, [warnOnly, '--json'])
    expect((JSON.parse(r.stdout) as LintResult).summary).toEqual({errors: 0, warnings: 1, infos: 0, files: 1})
    expect(r.exitCode).toBe(0)
    expect((await runCommand(Lint, [warnOnly, '--strict'])).exitCode).toBe(1)
  })

  it('lints a cluster spec through the renderer, per node and across nodes', async () => {
    const r = await runCommand<LintResult>(Lint, [join(EXAMPLES, 'active-passive.yaml'), '--json'])
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({findings: [], summary: {errors: 0, warnings: 0, infos: 0, files: 1}})
    const raw = await runCommand<LintResult>(Lint, [join(EXAMPLES, 'nopreempt-raw.yaml'), '--json'])
    const found = (JSON.parse(raw.stdout) as LintResult).findings
    expect(found.map((f) => f.rule)).toContain('track-weight-ineffective')
    const weak = found.find((f) => f.rule === 'track-weight-ineffective')
    // pointed at the spec's instance entry; the rendered position is in the message
    expect(weak?.file).toBe(rel(join(EXAMPLES, 'nopreempt-raw.yaml')))
    expect(weak?.message).toMatch(/\(in db1\/keepalived\.conf:\d+\)$/)
    const specText = (await import('node:fs')).readFileSync(join(EXAMPLES, 'nopreempt-raw.yaml'), 'utf8').split('\n')
    expect(specText[(weak?.line ?? 0) - 1]).toMatch(/name: VI_db/)
  })

  it('every example spec renders into matched configs: no lint errors within or across nodes', async () => {
    const {readdirSync} = await import('node:fs')
    const specs = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f))
    expect(specs.length).toBeGreaterThan(3)
    for (const spec of specs) {
      const r = await runCommand<LintResult>(Lint, [join(EXAMPLES, spec), '--json'])
      const json = JSON.parse(r.stdout) as LintResult
      expect(json.findings.filter((f) => f.severity === 'error'), spec).toEqual([])
      expect(r.exitCode, spec).toBe(0)
    }
  })

  it('a bad spec is one clear error with file:line and exit 2, never a stack trace', async () => {
    const r = await runCommand(Lint, [join(FIXTURES, 'bad-spec.yaml')])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/bad-spec\.yaml:\d+/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
