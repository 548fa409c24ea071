/**
 * Differential testing of `halctl lint` against the real `keepalived -t` at
 * scale: COUNT random configs (alternately valid and broken) generated from
 * the keyword table by test/lab/lint/generator.ts, each run through both and
 * compared per line (test/lab/lint/differential.ts). Needs root (a scratch
 * network namespace with eth0, so interfaces are found).
 *
 *   node --import tsx bench/lint-differential.ts [COUNT=2000] [SEED=1] [PARALLEL=2]
 *
 * Prints the agreement: keepalived's host-independent diagnostics with a line
 * that lint finds on the same line, and lint's errors on lines where
 * keepalived says nothing (false errors), with every disagreement.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {compareAll, scratchNamespace} from '../test/lab/lint/differential.js'
import {randomCases} from '../test/lab/lint/generator.js'

const [count = 2000, seed = 1, parallel = 2] = process.argv.slice(2).map(Number)
const dir = mkdtempSync(join(tmpdir(), 'hli-bench-'))
const ns = `hli-bench-${randomBytes(3).toString('hex')}`
const drop = await scratchNamespace(ns)
try {
  const cases = randomCases(count, seed)
  const started = Date.now()
  const r = await compareAll(cases, dir, ns, parallel)
  const missed = r.disagreements.filter((d) => d.kind === 'missed')
  const falseErrors = r.disagreements.filter((d) => d.kind === 'false-error')
  const lines = cases.reduce((n, c) => n + c.lines.length + Object.values(c.files ?? {}).reduce((k, t) => k + t.split('\n').length - 1, 0), 0)
  for (const d of r.disagreements) console.log(`${d.kind} [${d.what}] ${d.line} -- ${d.detail}`)
  console.log(`configs: ${cases.length} (${lines} lines, seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  console.log(`keepalived -t host-independent diagnostics with a line: ${r.diagnostics}`)
  console.log(`lint found on the same line: ${r.diagnostics - missed.length} (${((100 * (r.diagnostics - missed.length)) / Math.max(1, r.diagnostics)).toFixed(2)}%)`)
  console.log(`lint false errors: ${falseErrors.length} (not judged in ${r.unjudged} configs where keepalived stopped at a missing parameter or its passes disagree on unbalanced braces)`)
} finally {
  await drop()
  rmSync(dir, {recursive: true, force: true})
}
