import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {keepalivedCheck} from '../../../src/keepalived/check.js'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'
import {randomSpec} from '../../unit/render/random-specs.js'

/** Seeded random specs (every option mixed): keepalived -t accepts every node's config, silently. */
describe('keepalived -t accepts configs rendered from random specs', () => {
  let scratch: string
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'halctl-random-'))
  })
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  it('30 specs', async () => {
    const failures: string[] = []
    let checked = 0
    for (let seed = 1; seed <= 30; seed++) {
      const spec = loadSpecText(JSON.stringify(randomSpec(seed)), `random-${seed}.yaml`)
      spec.scriptsDir = join(scratch, String(seed), 'etc/keepalived/scripts')
      for (const node of renderCluster(spec).nodes) {
        for (const s of node.scripts) {
          mkdirSync(dirname(s.path), {recursive: true})
          writeFileSync(s.path, s.content, {mode: s.mode})
        }
        const conf = join(scratch, String(seed), `${node.name}.conf`)
        mkdirSync(dirname(conf), {recursive: true})
        writeFileSync(conf, node.text)
        const r = await keepalivedCheck(conf, {interfaces: ['eth0', 'eth1', 'eth2']})
        checked++
        if (r.exitCode !== 0 || r.output.trim()) failures.push(`seed ${seed} ${node.name} (exit ${r.exitCode}): ${r.output.trim()}`)
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBeGreaterThan(50)
  }, 400_000) // one scratch namespace per keepalived -t: about 4 minutes at a load average of 19
})
