import {existsSync} from 'node:fs'
import {nameWriteFlag, writeFileSafe} from '../lib/safe-write.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {loadSpecText, type PresetName} from '../spec/index.js'
import {presetSpecText, type PresetOptions} from '../spec/presets.js'

/** `halctl init --preset NAME` result: the --json payload. */
export interface InitSpecResult {
  mode: 'spec'
  preset: PresetName
  /** file written, or null when the spec went to stdout */
  path: string | null
  cluster: string
  nodes: {name: string; address: string}[]
  vips: string[]
  /** the starter spec (YAML) */
  text: string
}

/** Write a commented starter spec for a preset (validated before it is written). */
export function writeStarterSpec(preset: PresetName, options: Partial<PresetOptions>, out?: string, opts: {force?: boolean} = {}): InitSpecResult {
  const text = presetSpecText(preset, options)
  const spec = loadSpecText(text, out ?? `${preset}.yaml`)
  if (out) {
    if (existsSync(out) && !opts.force) {
      throw new HalError('OUTPUT_EXISTS', `${out} already exists`, {hint: 'choose another -o path, or add --force to replace it', exitCode: ExitCode.BadInput})
    }
    try {
      writeFileSafe(out, text, {mode: 0o644})
    } catch (e) {
      throw nameWriteFlag(e, '-o')
    }
  }
  return {
    mode: 'spec',
    preset,
    path: out ?? null,
    cluster: spec.cluster,
    nodes: spec.nodes.map((n) => ({name: n.name, address: n.address})),
    vips: [...new Set(spec.instances.flatMap((i) => i.vips.map((v) => (typeof v === 'string' ? v : v.address))))],
    text,
  }
}
