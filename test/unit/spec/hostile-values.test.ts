import {describe, expect, it} from 'vitest'
import {stripLocations} from '../../../src/keepalived/model.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'
import {stringify} from 'yaml'
import {baseSpec, FIELDS, hostileValue, rng, tryValue} from './hostile-values.js'

/**
 * The property: for every spec string that reaches keepalived.conf, a hostile
 * value is either a spec error that names the field (and, for a secret, does
 * not show it), or a config that halctl's parser reads back to exactly the
 * model the spec asked for: the intended value in its place, and nothing else
 * (no keyword, block or value the spec did not ask for). The real keepalived
 * reads the same configs in test/lab/render/hostile-values.test.ts.
 */
const PER_FIELD = Number(process.env.HAL_HOSTILE_PER_FIELD ?? 120)
const SEED = Number(process.env.HAL_HOSTILE_SEED ?? 13)

const diag = (r: ReturnType<typeof parseKeepalivedConfig>) => r.diagnostics.map((d) => `${d.severity} ${d.rule}: ${d.message}`)

describe('hostile spec values: a spec error naming the field, or exactly the intended value', () => {
  const baseline = renderCluster(loadSpecText(stringify(baseSpec()), 'spec.yaml'))
  const baselineDiag = baseline.nodes.map((n) => diag(parseKeepalivedConfig(n.text, {file: 'keepalived.conf'})))

  for (const [fi, f] of FIELDS.entries()) {
    it(`${f.path}${f.secret ? ' (env: secret)' : ''}`, () => {
      const r = rng(SEED * 1000 + fi)
      let accepted = 0
      let refused = 0
      for (let n = 0; n < PER_FIELD; n++) {
        const v = hostileValue(r, f.valid)
        // an environment variable cannot hold a NUL byte
        if (f.secret && v.includes('\0')) continue
        const label = `${f.path} = ${JSON.stringify(v).slice(0, 200)} (seed ${SEED}, field ${fi}, value ${n})`
        const out = tryValue(f, v)
        if (out.kind === 'error') {
          refused++
          expect(out.message, label).toContain(f.path)
          if (f.secret || f.path.endsWith('auth.pass')) {
            for (const part of v.split(/\r\n|\r|\n/).filter((p) => p.trim().length >= 3)) expect(out.message, label).not.toContain(part)
          }
          continue
        }
        accepted++
        for (const [i, node] of out.rendered.nodes.entries()) {
          const parsed = parseKeepalivedConfig(node.text, {file: 'keepalived.conf'})
          const asked = f.rawKeyword ? `error unknown-keyword: unknown keyword "${f.rawKeyword(v)}" in vrrp_instance` : undefined
          expect(diag(parsed).filter((d) => d !== asked), `${label} on ${node.name}`).toEqual(baselineDiag[i])
          expect(stripLocations(parsed.config), `${label} on ${node.name}`).toEqual(stripLocations(node.config))
        }
        expect(f.get(out.rendered.nodes[0].config), label).toEqual(f.expect ? f.expect(v) : v)
      }
      // both outcomes must be exercised, else the generator says nothing about this field
      expect(accepted, `${f.path}: accepted values`).toBeGreaterThan(0)
      expect(refused, `${f.path}: refused values`).toBeGreaterThan(0)
    })
  }
})
