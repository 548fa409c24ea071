import {chmodSync, existsSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {Document, isCollection} from 'yaml'
import {HalError} from '../lib/errors.js'
import type {ImportResult} from './configs.js'

/** The spec as YAML, with a comment above every raw entry saying why it is there. */
export function importYaml(result: ImportResult, sources: string[]): string {
  const doc = new Document(result.spec)
  doc.commentBefore = [
    ` Imported by halctl from ${sources.join(', ')}.`,
    ' Check it with `halctl init -s THIS -o out/ --dry-run` against the running configs.',
    ...(Object.keys(result.secretValues).length ? [` Secrets are read from the environment: source ${'the .env file beside this spec'} first.`] : []),
  ].join('\n')
  for (const {path, comment} of result.rawComments) {
    const node = doc.getIn(path, true)
    if (node && (isCollection(node) || typeof node === 'object')) (node as {commentBefore?: string}).commentBefore = ` ${comment}`
  }
  return doc.toString({lineWidth: 0})
}

/** `export NAME='value'` lines for a shell to source; values quoted for sh. */
export function envFileText(secrets: Record<string, string>): string {
  return Object.entries(secrets)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'\n`)
    .join('')
}

export interface WrittenImport {
  spec: string
  /** the 0600 env file with the secrets; absent when the configs have none */
  envFile?: string
}

/** The env file beside a spec: web.yaml -> web.env */
export const envFileFor = (specPath: string): string => join(dirname(specPath), `${basename(specPath).replace(/\.ya?ml$/i, '')}.env`)

/**
 * Write the spec and, first, the secrets it names (mode 0600). Never
 * overwrites without force.
 */
export function writeImport(result: ImportResult, yaml: string, specPath: string, opts: {force?: boolean} = {}): WrittenImport {
  const envFile = Object.keys(result.secretValues).length ? envFileFor(specPath) : undefined
  for (const p of [specPath, envFile]) {
    if (p && existsSync(p) && !opts.force) throw new HalError('OUTPUT_EXISTS', `${p} exists`, {hint: 'choose another -o, or --force to overwrite it'})
  }
  if (envFile) {
    writeFileSync(envFile, envFileText(result.secretValues), {mode: 0o600})
    chmodSync(envFile, 0o600)
  }
  const mode = result.inlineSecrets.length ? 0o600 : 0o644
  writeFileSync(specPath, yaml, {mode})
  chmodSync(specPath, mode)
  return envFile ? {spec: specPath, envFile} : {spec: specPath}
}
