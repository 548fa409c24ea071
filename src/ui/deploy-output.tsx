import {render, renderToString, type Instance} from 'ink'
import type {DeployResult, NodeReport} from '../deploy/deploy.js'
import {redact} from '../lib/redact.js'
import {DeployProgress, DeployTable, type NodeProgress} from './deploy-view.js'
import {outputColumns, paint, paintDiffLine} from './text.js'

/**
 * The ink side of `halctl deploy`, loaded only when output is for a person
 * (--json never pays for loading ink).
 */

/**
 * The plan of a dry run as plain text: per node its changes with their unified
 * diffs, which are never wrapped (at any terminal width, or into a pipe), so
 * they stay diffs; coloured as git colours them on a terminal.
 */
export function planText(result: DeployResult): string {
  const out: string[] = []
  for (const name of result.order) {
    const n = result.nodes.find((x) => x.node === name) as NodeReport
    out.push(paint('bold', `${name}: ${n.changes.length} change(s)`))
    for (const c of n.changes) {
      out.push(`  ${c.kind.padEnd(8)} ${redact(c.summary)}`)
      if (c.diff) out.push(...redact(c.diff).trimEnd().split('\n').map((l) => `  ${paintDiffLine(l)}`))
    }
    out.push('')
  }
  return out.join('\n').trimEnd()
}

export function tableText(result: DeployResult): string {
  return renderToString(<DeployTable result={result} />, {columns: outputColumns()})
}

/** Live progress on a terminal: call update() after changing rows, stop() at the end. */
export function liveProgress(rows: NodeProgress[]): {update: () => void; stop: () => void} {
  const view: Instance = render(<DeployProgress rows={[...rows]} />)
  return {update: () => view.rerender(<DeployProgress rows={[...rows]} />), stop: () => view.unmount()}
}
