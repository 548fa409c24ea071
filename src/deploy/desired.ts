import type {KeepalivedConfig} from '../keepalived/model.js'

/**
 * What deploy and status consume from the spec renderer (src/spec): the
 * rendered cluster, one entry per node. Declared here structurally so the
 * planner depends only on the shape, not on how the spec is loaded.
 */
export interface DesiredScript {
  /** absolute path on the node */
  path: string
  content: string
  mode: number
}

export interface DesiredNode {
  name: string
  address: string
  interface: string
  ssh: {host: string; port: number; user: string; identityFile?: string}
  config: KeepalivedConfig
  /** keepalived.conf text */
  text: string
  scripts: DesiredScript[]
}

export interface DesiredCluster {
  cluster: string
  nodes: DesiredNode[]
}
