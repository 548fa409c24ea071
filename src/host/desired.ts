/**
 * What deploy and status consume: the cluster as the spec renderer (src/spec)
 * produces it, one entry per node.
 */
export type {RenderedCluster as DesiredCluster, RenderedNode as DesiredNode} from '../spec/render-cluster.js'

import {HalError} from '../lib/errors.js'
import type {RenderedCluster} from '../spec/render-cluster.js'

/**
 * `--node NAME` (repeatable) in deploy and status: the names, each checked against the spec.
 * Undefined (every node) when none is given. An unknown name is refused naming the spec's nodes.
 */
export function selectedNodes(cluster: Pick<RenderedCluster, 'nodes'>, names: string[] | undefined): string[] | undefined {
  if (!names?.length) return undefined
  for (const n of names) {
    if (!cluster.nodes.some((x) => x.name === n)) {
      throw new HalError('UNKNOWN_NODE', `node ${n} is not in the spec (nodes: ${cluster.nodes.map((x) => x.name).join(', ')})`, {hint: 'use --node with a name from the spec'})
    }
  }
  return [...new Set(names)]
}
