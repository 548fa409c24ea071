import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {importConfigs, type ImportResult} from '../../../src/import/configs.js'
import {comparable} from '../../../src/keepalived/compare.js'
import {parseKeepalivedConfig, parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {isHalError} from '../../../src/lib/errors.js'
import {ClusterSpecSchema, renderCluster, type RenderedCluster} from '../../../src/spec/index.js'
import {stringify} from 'yaml'
import {loadSpecText} from '../../../src/spec/load.js'
import {CORPUS_CONFIGS} from '../../helpers/corpus.js'

export const CORPUS = CORPUS_CONFIGS
export const corpusFiles = (): string[] =>
  readdirSync(CORPUS)
    .filter((f) => f.endsWith('.conf'))
    .sort()

export interface RoundTrip {
  file: string
  /** import refused (with its message), e.g. no vrrp_instance */
  refused?: string
  result?: ImportResult
  rendered?: RenderedCluster
  /** per node: the config `halctl init` renders parses to the original's model */
  equal?: boolean[]
  withoutRaw?: boolean
}

/**
 * import -> spec (YAML, loaded back as `halctl init -s` loads it) -> the init
 * renderer -> parse, compared with the parsed originals. Secrets come from
 * the environment, as for init.
 */
export function roundTrip(files: string[], names?: string[]): RoundTrip {
  const label = files.join(' + ')
  let result: ImportResult
  try {
    result = importConfigs(files.map((file, i) => (names ? {file, node: names[i]} : {file})))
  } catch (e) {
    if (isHalError(e)) return {file: label, refused: e.message}
    throw e
  }
  for (const [k, v] of Object.entries(result.secretValues)) process.env[k] = v
  const spec = loadSpecText(stringify(result.spec), join(CORPUS, 'imported.yaml'))
  const rendered = renderCluster(ClusterSpecSchema.parse(spec))
  const equal = rendered.nodes.map((n, i) => {
    const original = parseKeepalivedFile(files[i]).config
    const back = parseKeepalivedConfig(n.text, {file: `${n.name}/keepalived.conf`, configId: n.name, readFile: () => undefined}).config
    const ignoreRouterId = original.globalDefs?.routerId === undefined
    return JSON.stringify(sorted(comparable(back, {ignoreRouterId}))) === JSON.stringify(sorted(comparable(original, {ignoreRouterId})))
  })
  return {file: label, result, rendered, equal, withoutRaw: result.report.raw.length === 0 && equal.every(Boolean)}
}

const sorted = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)])) : v
