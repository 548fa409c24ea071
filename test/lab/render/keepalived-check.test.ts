import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {keepalivedCheck} from '../../../src/keepalived/check.js'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {loadSpec, renderCluster} from '../../../src/spec/index.js'

/**
 * The oracle: every config `halctl init` writes for the examples (one per
 * preset, plus rich specs: IPv6, v3, unicast, sync groups, every checker, AH)
 * passes the real `keepalived -t`, with no diagnostic at all. Scripts are
 * written to their target paths inside a scratch directory (spec.scriptsDir
 * moved there) so keepalived's script existence and security checks run too.
 */
const root = join(import.meta.dirname, '..', '..', '..')
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).sort()

const interfacesOf = (c: KeepalivedConfig): string[] => [
  ...new Set(c.instances.flatMap((i) => [i.interface, ...(i.trackInterface ?? []).map((t) => t.name), ...i.virtualIpaddress.flatMap((v) => (v.dev ? [v.dev] : []))])),
]

describe('keepalived -t accepts every rendered config', () => {
  let scratch: string
  beforeAll(() => {
    process.env.HAL_VRRP_PASS = 'lab-pw1'
    scratch = mkdtempSync(join(tmpdir(), 'halctl-render-'))
  })
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  it('covers every preset and the rich examples', () => {
    for (const p of ['active-passive', 'active-active', 'lvs-dr', 'lvs-nat', 'nginx', 'haproxy']) expect(examples).toContain(`${p}.yaml`)
    expect(examples.length).toBeGreaterThanOrEqual(9)
  })

  for (const example of examples) {
    it(example, async () => {
      const spec = await loadSpec(join(root, 'examples', example))
      const dir = join(scratch, example.replace(/\.yaml$/, ''))
      spec.scriptsDir = join(dir, spec.scriptsDir)
      const rendered = renderCluster(spec)
      for (const node of rendered.nodes) {
        for (const s of node.scripts) {
          mkdirSync(dirname(s.path), {recursive: true})
          writeFileSync(s.path, s.content, {mode: s.mode})
        }
        const conf = join(dir, node.name, 'keepalived.conf')
        mkdirSync(dirname(conf), {recursive: true})
        writeFileSync(conf, node.text)
        const r = await keepalivedCheck(conf, {interfaces: interfacesOf(node.config)})
        expect({node: node.name, exitCode: r.exitCode, output: r.output.trim()}).toEqual({node: node.name, exitCode: 0, output: ''})
      }
    })
  }
})
