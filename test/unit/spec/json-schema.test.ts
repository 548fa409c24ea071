import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {SCHEMA_FILE, specJsonSchema, specJsonSchemaText} from '../../../src/spec/json-schema.js'

describe('schema/halctl-spec.schema.json', () => {
  it('is up to date with the zod schema (regenerate: npx tsx src/spec/json-schema.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(specJsonSchemaText())
  })

  it('describes the spec for editors: required keys, closed objects, VRID range or "auto"', () => {
    const s = specJsonSchema() as {required: string[]; additionalProperties: boolean; properties: Record<string, {items?: {properties: Record<string, unknown>}}>}
    expect(s.required.sort()).toEqual(['cluster', 'instances', 'nodes'])
    expect(s.additionalProperties).toBe(false)
    const vrid = s.properties.instances.items!.properties.vrid as {anyOf: unknown[]}
    expect(vrid.anyOf).toEqual(expect.arrayContaining([{type: 'string', const: 'auto'}, {type: 'integer', minimum: 1, maximum: 255}]))
  })
})
