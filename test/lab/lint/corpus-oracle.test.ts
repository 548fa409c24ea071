import {mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadSpec, renderCluster} from '../../../src/spec/index.js'
import {CORPUS_CONFIGS} from '../../helpers/corpus.js'
import {agreement, confs} from './oracle.js'

/**
 * keepalived -t is the oracle for the parser and lint: every diagnostic it
 * prints with a line number about the config itself (not about this host:
 * missing interfaces, script files or users) must have a lint finding on the
 * same line, and a file it accepts must get no lint error.
 */

const CORPUS = process.env.HALCTL_CORPUS ?? CORPUS_CONFIGS
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'configs')
const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')
const isRoot = process.getuid?.() === 0

describe.skipIf(!isRoot)('lint against keepalived -t', () => {
  it('corpus: every config-level diagnostic has a finding on its line; no error where keepalived accepts', async () => {
    const files = confs(CORPUS)
    expect(files.length).toBeGreaterThan(30)
    const r = await agreement('corpus', files)
    expect(r.missed).toEqual([])
    expect(r.falseErrors).toEqual([])
    expect(r.total).toBeGreaterThan(80)
    expect(r.unmapped).toEqual([])
  })

  it('hand-written broken and clean configs (fixtures): same agreement', async () => {
    const files = [
      ...confs(join(FIXTURES, 'oracle')),
      ...confs(join(FIXTURES, 'pair-good')),
      ...confs(join(FIXTURES, 'pair-bad')),
      join(FIXTURES, 'include', 'keepalived.conf'),
      join(FIXTURES, 'crlf-no-final-newline.conf'),
      join(FIXTURES, 'warn-only.conf'),
    ]
    const r = await agreement('fixtures', files)
    expect(r.missed).toEqual([])
    expect(r.falseErrors).toEqual([])
    expect(r.total).toBeGreaterThan(60)
    expect(r.unmapped).toEqual([])
  })

  it('configs rendered from the example specs: keepalived -t and lint agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hli-render-'))
    const prev = process.env.HAL_VRRP_PASS
    process.env.HAL_VRRP_PASS = 'vrrpPw1'
    try {
      const files: string[] = []
      for (const spec of readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).sort()) {
        const cluster = renderCluster(await loadSpec(join(EXAMPLES, spec)))
        for (const n of cluster.nodes) {
          const out = join(dir, spec.replace(/\.ya?ml$/, ''), n.name)
          mkdirSync(out, {recursive: true})
          writeFileSync(join(out, 'keepalived.conf'), n.text)
          files.push(join(out, 'keepalived.conf'))
        }
      }
      expect(files.length).toBeGreaterThan(5)
      const r = await agreement('rendered examples', files)
      expect(r.missed).toEqual([])
      expect(r.falseErrors).toEqual([])
    } finally {
      if (prev === undefined) delete process.env.HAL_VRRP_PASS
      else process.env.HAL_VRRP_PASS = prev
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
