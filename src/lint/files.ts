import {basename, dirname, isAbsolute, relative, resolve} from 'node:path'
import {parseKeepalivedConfig, parseKeepalivedFile} from '../keepalived/parse/index.js'
import {lintConfigs, summarize, type LintInput, type LintSummary} from './index.js'
import {toSpecLocations} from './spec-locations.js'
import type {Finding} from './types.js'

/**
 * The `halctl lint` service: lint keepalived.conf files (one per node, linted
 * together as one cluster) and cluster specs (each rendered per node, linted
 * as its own cluster). Returns data; never prints.
 */

export interface LintFilesOptions {
  /** keepalived -i for `@id` conditional lines (default: host name) */
  configId?: string
  /** directory paths are shown relative to (default: process.cwd()) */
  cwd?: string
}

export interface LintReport {
  findings: Finding[]
  summary: LintSummary
}

export const isSpecPath = (p: string): boolean => /\.ya?ml$/i.test(p)

function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

/** Node name for a config file: out/lb1/keepalived.conf -> lb1, lb2.conf -> lb2. */
export function nodeName(path: string): string {
  const base = basename(path)
  if (base === 'keepalived.conf') return basename(dirname(resolve(path))) || base
  return base.replace(/\.conf$/, '') || base
}

async function specInputs(path: string, cwd: string, configId: string | undefined): Promise<LintInput[]> {
  // loaded only for specs: plain keepalived.conf linting does not pay for the schema and templates
  const {loadSpec, renderCluster} = await import('../spec/index.js')
  const cluster = renderCluster(await loadSpec(resolve(cwd, path)))
  return cluster.nodes.map((n) => {
    // the rendered file as `halctl init -o DIR` writes it (DIR/<node>/keepalived.conf); toSpecLocations maps back to the spec
    const file = `${path}#${n.name}/keepalived.conf`
    const parsed = parseKeepalivedConfig(n.text, {file, configId: configId ?? n.name, readFile: () => undefined})
    return {node: n.name, file, config: parsed.config, diagnostics: parsed.diagnostics}
  })
}

export async function lintFiles(paths: string[], opts: LintFilesOptions = {}): Promise<LintReport> {
  const cwd = opts.cwd ?? process.cwd()
  const findings: Finding[] = []
  const configs: LintInput[] = []
  let files = 0
  for (const p of paths) {
    if (isSpecPath(p)) {
      findings.push(...toSpecLocations(lintConfigs(await specInputs(p, cwd, opts.configId)), p, resolve(cwd, p)))
      files++
      continue
    }
    const parsed = parseKeepalivedFile(resolve(cwd, p), {configId: opts.configId})
    configs.push({node: nodeName(p), file: parsed.files[0] ?? resolve(cwd, p), config: parsed.config, diagnostics: parsed.diagnostics})
    files++
  }
  if (configs.length > 0) findings.push(...lintConfigs(configs))
  const shown = findings.map((f) => (f.file ? {...f, file: displayPath(f.file, cwd)} : f))
  return {findings: shown, summary: summarize(shown, files)}
}
