import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {agreement, confs} from './oracle.js'

/**
 * Real-world keepalived.conf files from public repositories that lint was not
 * written against (test/fixtures/unseen, sources in SOURCES.tsv): lint's
 * recall of keepalived -t's host-independent diagnostics, its false errors
 * and whether each finding is on keepalived's line.
 */

const UNSEEN = join(import.meta.dirname, '..', '..', 'fixtures', 'unseen')
const isRoot = process.getuid?.() === 0
/** measure only files numbered from N on (a batch added later, measured before lint was changed for it) */
const FROM = Number(process.env.HALCTL_UNSEEN_FROM ?? 0)

describe.skipIf(!isRoot)('lint against keepalived -t on unseen real-world configs', () => {
  it('finds at least 97% of keepalived -t diagnostics, on their lines, with no false error', async () => {
    const files = confs(UNSEEN).filter((f) => Number(/(\d+)_[^/]*$/.exec(f)?.[1] ?? 0) >= FROM)
    expect(files.length).toBeGreaterThanOrEqual(FROM ? 1 : 40)
    const r = await agreement('unseen', files)
    expect(r.total).toBeGreaterThan(FROM ? 0 : 20)
    expect(r.falseErrors).toEqual([])
    expect(r.matched / r.total).toBeGreaterThanOrEqual(0.97)
  }, 300_000)
})
