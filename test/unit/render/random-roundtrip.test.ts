import {describe, expect, it} from 'vitest'
import {stripLocations} from '../../../src/keepalived/model.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'
import {randomSpec} from './random-specs.js'

describe('random specs (seeded): valid, matched, and parse(render) equals the model', () => {
  it('200 specs', () => {
    let nodes = 0
    for (let seed = 1; seed <= 200; seed++) {
      const text = JSON.stringify(randomSpec(seed), null, 1)
      const spec = loadSpecText(text, `random-${seed}.yaml`)
      const r = renderCluster(spec)
      for (const node of r.nodes) {
        const parsed = parseKeepalivedConfig(node.text, {file: `${seed}/${node.name}.conf`})
        expect(stripLocations(parsed.config), `seed ${seed} node ${node.name}`).toEqual(stripLocations(node.config))
        nodes++
      }
    }
    expect(nodes).toBeGreaterThan(300)
  })
})
