import {render, renderToString, type Instance} from 'ink'
import type {StatusResult} from '../status/status.js'
import {StatusView} from './status-view.js'
import {outputColumns} from './text.js'

/** The ink side of `halctl status`, loaded only when output is for a person. */
export function statusText(result: StatusResult): string {
  return renderToString(<StatusView result={result} />, {columns: outputColumns()})
}

/** A view refreshed in place (--watch on a terminal). */
export function liveStatus(result: StatusResult): {update: (r: StatusResult) => void; stop: () => void} {
  const view: Instance = render(<StatusView result={result} />)
  return {update: (r) => view.rerender(<StatusView result={r} />), stop: () => view.unmount()}
}
