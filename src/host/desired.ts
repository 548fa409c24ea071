/**
 * What deploy and status consume: the cluster as the spec renderer (src/spec)
 * produces it, one entry per node.
 */
export type {RenderedCluster as DesiredCluster, RenderedNode as DesiredNode} from '../spec/render-cluster.js'
