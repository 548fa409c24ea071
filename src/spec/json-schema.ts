import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {z} from 'zod'
import {ClusterSpecSchema} from './schema.js'

/** Where the editor schema lives in the repository. */
export const SCHEMA_FILE = join(import.meta.dirname, '..', '..', 'schema', 'halctl-spec.schema.json')

/**
 * JSON Schema of the cluster spec for editors (yaml-language-server), from
 * the same zod schema loadSpec validates with. Input side: keys with defaults
 * are optional.
 */
export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ClusterSpecSchema, {io: 'input', unrepresentable: 'any', target: 'draft-2020-12'}) as Record<string, unknown>
  return {
    $schema: schema.$schema,
    title: 'halctl cluster spec',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  }
}

export const specJsonSchemaText = (): string => `${JSON.stringify(specJsonSchema(), null, 2)}\n`

// `npx tsx src/spec/json-schema.ts` regenerates schema/halctl-spec.schema.json
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SCHEMA_FILE, specJsonSchemaText())
  console.log(`wrote ${SCHEMA_FILE}`)
}
