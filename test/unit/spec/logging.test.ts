import {describe, expect, it} from 'vitest'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'
import {MINIMAL_SPEC, specRefusal} from '../../helpers/specs.js'

const base = MINIMAL_SPEC


describe('spec logging:', () => {
  it('is optional: without it, rendered nodes carry no logging', () => {
    const spec = loadSpecText(base, 'spec.yaml')
    expect(spec.logging).toBeUndefined()
    expect(renderCluster(spec).nodes.every((n) => n.logging === undefined)).toBe(true)
  })

  it('defaults: /var/log/keepalived.log and local6; every node gets it', () => {
    const spec = loadSpecText(`${base}logging: {}\n`, 'spec.yaml')
    expect(spec.logging).toEqual({file: '/var/log/keepalived.log', facility: 6})
    expect(renderCluster(spec).nodes.map((n) => n.logging)).toEqual([
      {file: '/var/log/keepalived.log', facility: 6},
      {file: '/var/log/keepalived.log', facility: 6},
    ])
    expect(loadSpecText(`${base}logging:\n  file: /var/log/ha/keepalived.log\n  facility: 0\n`, 'spec.yaml').logging).toEqual({file: '/var/log/ha/keepalived.log', facility: 0})
  })

  it('facility is local0..local7', () => {
    expect(specRefusal(`${base}logging: {facility: 8}\n`)).toBe('spec.yaml:10:21: logging.facility: must be 0..7 (local0..local7)')
    expect(specRefusal(`${base}logging: {facility: 2.5}\n`)).toMatch(/logging\.facility: must be 0\.\.7/)
  })

  it('file: an absolute plain path, nothing a shell or rsyslog would read as more', () => {
    for (const bad of ['var/log/k.log', '/var/log/k.log; rm -rf /', '/var/log/$(id).log', '"/var/log/k.log"', '/var/log/k log', '/var/log/../../etc/passwd', '/var/log/']) {
      expect(specRefusal(`${base}logging:\n  file: ${JSON.stringify(bad)}\n`), bad).toMatch(/^spec\.yaml:11:\d+: logging\.file: must be /)
    }
  })

  it('unknown keys are errors', () => {
    expect(specRefusal(`${base}logging: {level: debug}\n`)).toMatch(/logging/)
  })
})
