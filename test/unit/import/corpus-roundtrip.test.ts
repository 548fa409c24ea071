import {describe, expect, it} from 'vitest'
import {CORPUS, corpusFiles, roundTrip, type RoundTrip} from './corpus-helpers.js'
import {join} from 'node:path'

/**
 * Every config of the real-world corpus, imported as a single-node cluster:
 * the spec, rendered by `halctl init`'s renderer, parses back to the model of
 * the original (keyword by keyword, includes resolved, keepalived's defaults
 * filled in: state BACKUP, priority 100, advert_int 1, preempt_delay 0, protocol TCP; a
 * router_id the original lacks is not compared). Figures are printed.
 */
const files = corpusFiles()
const results: RoundTrip[] = files.map((f) => roundTrip([join(CORPUS, f)]))

describe('import round trip over the corpus', () => {
  it('has the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(40)
  })

  for (const r of results) {
    it(r.file.replace(`${CORPUS}/`, ''), () => {
      if (r.refused) {
        // refused when no vrrp_instance could be modeled (none at all, no VIP, or placeholders where addresses belong), or when not even raw can carry a statement
        expect(r.refused).toMatch(/no vrrp_instance the spec can model|the spec cannot carry .*, not even in raw/)
        return
      }
      expect(r.equal).toEqual(r.rendered!.nodes.map(() => true))
      expect(r.result!.report.roundTrip.every((x) => x.equal)).toBe(true)
      expect(r.result!.report.unrepresented).toEqual([])
    })
  }

  it('figures', () => {
    const imported = results.filter((r) => !r.refused)
    const exact = imported.filter((r) => r.withoutRaw)
    const rawReasons = new Map<string, number>()
    for (const r of imported) for (const x of r.result!.report.raw) rawReasons.set(x.keyword.split(' ')[0], (rawReasons.get(x.keyword.split(' ')[0]) ?? 0) + 1)
    console.log(
      `import round trip: ${files.length} configs; ${results.length - imported.length} refused (no modelable vrrp_instance); ` +
        `${imported.length} imported, all ${imported.filter((r) => r.equal!.every(Boolean)).length} round-trip with raw; ` +
        `${exact.length}/${imported.length} (${Math.round((100 * exact.length) / imported.length)}%) without raw. raw keywords: ${[...rawReasons].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    )
    // every imported config round-trips (with raw where needed)
    expect(imported.every((r) => r.equal!.every(Boolean))).toBe(true)
    expect(imported.length).toBeGreaterThanOrEqual(25)
    expect(exact.length).toBeGreaterThanOrEqual(22)
  })
})
