import {redact} from '../lib/redact.js'
import {assignVrids, loadSpec, renderCluster} from '../spec/index.js'
import {applyOutput, fileDiff, planOutput, type FileAction} from './output.js'

export interface InitInstanceRow {
  name: string
  state: 'MASTER' | 'BACKUP'
  priority: number
  vrid: number
  vips: string[]
}

export interface InitNodeResult {
  name: string
  address: string
  instances: InitInstanceRow[]
  files: {path: string; target: string; mode: string; action: FileAction}[]
}

/** `halctl init -s spec -o out/` result: the --json payload. */
export interface InitRenderResult {
  mode: 'render'
  spec: string
  cluster: string
  outDir: string
  dryRun: boolean
  /** files written (or, with dryRun, that would be written) */
  changed: number
  nodes: InitNodeResult[]
  /** unified diffs, secrets masked (dry run only) */
  diff?: string
}

/** Render a spec into out/<node>/ (or, with dryRun, only compute the diff). */
export async function initFromSpec(specPath: string, outDir: string, opts: {dryRun?: boolean; force?: boolean} = {}): Promise<InitRenderResult> {
  const spec = await loadSpec(specPath)
  const rendered = renderCluster(spec)
  const vrids = assignVrids(spec)
  const files = planOutput(rendered, outDir)
  if (!opts.dryRun) applyOutput(files, outDir, {force: opts.force})
  const nodes = rendered.nodes.map(
    (n): InitNodeResult => ({
      name: n.name,
      address: n.address,
      instances: n.config.instances.map((i) => ({
        name: i.name,
        state: i.state ?? 'BACKUP',
        priority: i.priority ?? 100,
        vrid: vrids.get(i.name) ?? i.virtualRouterId,
        vips: i.virtualIpaddress.map((v) => v.address),
      })),
      files: files
        .filter((f) => f.node === n.name)
        .map((f) => ({path: f.path, target: f.target, mode: `0${f.mode.toString(8)}`, action: f.action})),
    }),
  )
  const result: InitRenderResult = {
    mode: 'render',
    spec: specPath,
    cluster: rendered.cluster,
    outDir,
    dryRun: Boolean(opts.dryRun),
    changed: files.filter((f) => f.action !== 'unchanged').length,
    nodes,
  }
  if (opts.dryRun) result.diff = redact(files.map(fileDiff).filter(Boolean).join(''))
  return result
}
