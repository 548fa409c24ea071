import {resolve} from 'node:path'
import type {Finding} from '../lint/types.js'
import {isHalError} from '../lib/errors.js'
import {registerSecret} from '../lib/redact.js'
import {loadSpecText} from '../spec/load.js'
import {importConfigs, type ImportInput, type ImportReport} from './configs.js'
import {importYaml, writeImport} from './write.js'

/** `halctl import` result: the --json payload. Never holds a secret value. */
export interface ImportCommandResult extends ImportReport {
  /** where the spec was written; absent: printed to stdout */
  spec?: string
  /** the 0600 file with `export NAME=...` lines for the secrets */
  envFile?: string
  summary: {nodes: number; instances: number; raw: number; errors: number; warnings: number; roundTrip: boolean}
}

/** Import local configs; write the spec to `out` (or return its YAML for stdout). */
export function runImport(inputs: ImportInput[], opts: {out?: string; cluster?: string; configId?: string; force?: boolean}): {result: ImportCommandResult; yaml: string} {
  const r = importConfigs(inputs, {cluster: opts.cluster, configId: opts.configId})
  // masked in everything halctl prints (a spec printed to stdout included)
  for (const v of [...Object.values(r.secretValues), ...r.inlineSecrets]) registerSecret(v)
  const yaml = importYaml(r, inputs.map((i) => i.file))
  const findings: Finding[] = [...r.report.findings]
  // the spec must load like any other (schema and cross-field rules); a cluster that breaks them is reported
  const saved = Object.keys(r.secretValues).map((k) => [k, process.env[k]] as const)
  try {
    for (const [k, v] of Object.entries(r.secretValues)) process.env[k] = v
    loadSpecText(yaml, resolve(opts.out ?? 'cluster.yaml'))
  } catch (e) {
    findings.push({rule: 'import-spec-invalid', severity: 'error', message: isHalError(e) ? e.message : String(e), fix: 'fix the spec by hand (the message names the field), then run halctl init -s'})
  } finally {
    for (const [k, v] of saved) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const written = opts.out ? writeImport(r, yaml, opts.out, {force: opts.force}) : undefined
  const report = {...r.report, findings}
  return {
    yaml,
    result: {
      ...report,
      ...(written ? written : {}),
      summary: {
        nodes: report.nodes.length,
        instances: report.instances.length,
        raw: report.raw.length,
        errors: findings.filter((f) => f.severity === 'error').length,
        warnings: findings.filter((f) => f.severity === 'warning').length,
        roundTrip: report.roundTrip.every((x) => x.equal) && report.unrepresented.length === 0,
      },
    },
  }
}
