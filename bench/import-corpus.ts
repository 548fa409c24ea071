/**
 * The import round-trip figure over the real-world corpus (../shared/corpus/configs,
 * or HALCTL_SHARED_CORPUS/configs): every config imported as a single-node
 * cluster, rendered by `halctl init`'s renderer and parsed back; counted as
 * round-tripping without raw when the spec needs no `raw` and every node parses
 * to its original's model. Prints one line per config and the totals (with --json, one document).
 * Run: npx tsx bench/import-corpus.ts [--json]
 */
import {join} from 'node:path'
import {CORPUS, corpusFiles, roundTrip} from '../test/unit/import/corpus-helpers.js'

const json = process.argv.includes('--json')
const rows = corpusFiles().map((f) => {
  const r = roundTrip([join(CORPUS, f)])
  const status = r.refused ? 'refused' : r.withoutRaw ? 'clean' : r.equal!.every(Boolean) ? 'raw' : 'differs'
  const why = r.refused ?? r.result!.report.raw.map((x) => `${x.where}: ${x.keyword} (${x.reason})`).join('; ')
  return {file: f, status, why}
})
const count = (s: string) => rows.filter((r) => r.status === s).length
const totals = {configs: rows.length, imported: rows.length - count('refused'), clean: count('clean'), raw: count('raw'), differs: count('differs'), refused: count('refused')}
if (json) console.log(JSON.stringify({totals, rows}, null, 2))
else {
  for (const r of rows) console.log(`${r.status.padEnd(8)} ${r.file}${r.why ? `: ${r.why.replace(/\s+/g, ' ').slice(0, 240)}` : ''}`)
  const pct = (n: number, d: number) => `${Math.round((100 * n) / d)}%`
  console.log(
    `\n${totals.configs} configs: ${totals.imported} import (all but ${totals.differs} round-trip), ${totals.clean} without raw: ${pct(totals.clean, totals.configs)} of the corpus, ${pct(totals.clean, totals.imported)} of what imports; ${totals.refused} refused`,
  )
}
