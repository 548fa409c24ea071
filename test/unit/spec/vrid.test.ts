import {describe, expect, it} from 'vitest'
import {assignVrids, autoVridSeed, loadSpecText} from '../../../src/spec/index.js'

const spec = (instances: string, extra = '') =>
  loadSpecText(`cluster: web\n${extra}nodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\ninstances:\n${instances}`, 'spec.yaml')

describe('VRID auto', () => {
  it('is a stable hash of cluster and instance name into 1..255', () => {
    expect(autoVridSeed('web', 'VI_web')).toBe(79)
    for (let i = 0; i < 500; i++) {
      const v = autoVridSeed(`c${i}`, `i${i}`)
      expect(v).toBeGreaterThanOrEqual(1)
      expect(v).toBeLessThanOrEqual(255)
    }
    expect(autoVridSeed('web', 'VI_1')).not.toBe(autoVridSeed('api', 'VI_1'))
  })

  it('skips avoidVrids and VRIDs other instances use', () => {
    const seed = autoVridSeed('web', 'VI_a')
    const next = (seed % 255) + 1
    const s = spec(`  - {name: VI_a, vips: [10.0.0.10]}\n  - {name: VI_b, vrid: ${next}, vips: [10.0.0.11]}\n`, `avoidVrids: [${seed}]\n`)
    const v = assignVrids(s)
    expect(v.get('VI_b')).toBe(next)
    expect(v.get('VI_a')).toBe((next % 255) + 1)
  })

  it('never gives two instances the same VRID', () => {
    const many = Array.from({length: 40}, (_, i) => `  - {name: VI_${i}, vips: [10.0.${i}.100]}`).join('\n') + '\n'
    const v = assignVrids(spec(many))
    expect(new Set(v.values()).size).toBe(40)
  })

  it('rejects an explicit VRID from the avoid-list', () => {
    expect(() => spec('  - {name: VI_a, vrid: 7, vips: [10.0.0.10]}\n', 'avoidVrids: [7]\n')).toThrow(/VRID 7 is listed in avoidVrids/)
  })
})
