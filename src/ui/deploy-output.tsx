import {render, renderToString, type Instance} from 'ink'
import type {DeployResult} from '../deploy/deploy.js'
import {DeployPlan, DeployProgress, DeployTable, type NodeProgress} from './deploy-view.js'

/**
 * The ink side of `halctl deploy`, loaded only when output is for a person
 * (--json never pays for loading ink).
 */
export function planText(result: DeployResult): string {
  return renderToString(<DeployPlan result={result} />)
}

export function tableText(result: DeployResult): string {
  return renderToString(<DeployTable result={result} />)
}

/** Live progress on a terminal: call update() after changing rows, stop() at the end. */
export function liveProgress(rows: NodeProgress[]): {update: () => void; stop: () => void} {
  const view: Instance = render(<DeployProgress rows={[...rows]} />)
  return {update: () => view.rerender(<DeployProgress rows={[...rows]} />), stop: () => view.unmount()}
}
