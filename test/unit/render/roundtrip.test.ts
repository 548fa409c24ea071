import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {stripLocations} from '../../../src/keepalived/model.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {loadSpec, renderCluster} from '../../../src/spec/index.js'

/** parse(render(spec)) gives back the model init rendered, for every example spec and node. */
const root = join(import.meta.dirname, '..', '..', '..')
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).sort()

beforeAll(() => {
  process.env.HAL_VRRP_PASS = 'rt-pw1'
})

describe('round trip: parse(render(spec)) equals the model', () => {
  for (const example of examples) {
    it(example, async () => {
      const r = renderCluster(await loadSpec(join(root, 'examples', example)))
      for (const node of r.nodes) {
        const parsed = parseKeepalivedConfig(node.text, {file: `${node.name}/keepalived.conf`})
        expect(parsed.diagnostics.filter((d) => d.severity === 'error'), node.name).toEqual([])
        expect(stripLocations(parsed.config), node.name).toEqual(stripLocations(node.config))
      }
    })
  }
})
