import type {KeepalivedConfig} from '../keepalived/model.js'
import {renderKeepalivedConfig} from '../keepalived/render.js'
import {assignVrids, nodeInterface} from './derive.js'
import type {ScriptFile} from './script-files.js'
import type {ClusterSpec, DaemonPathsSpec, LoggingSpec} from './schema.js'
import {nodeModel} from './to-model.js'

export interface RenderedNode {
  name: string
  address: string
  interface: string
  ssh: {host: string; port: number; user: string; identityFile?: string}
  config: KeepalivedConfig
  /** keepalived.conf */
  text: string
  /** files keepalived.conf refers to, at their absolute path on the node */
  scripts: ScriptFile[]
  /** keepalived logs to its own file (spec `logging:`); absent: deploy leaves logging alone */
  logging?: LoggingSpec
  /** what deploy manages besides keepalived (spec `manage:`); absent: everything */
  manage?: {firewall: boolean; sysctls: boolean}
  /** keepalived's binary and config file when the spec sets them (defaults.keepalived, nodes[].keepalived) */
  daemon?: DaemonPathsSpec
}

export interface RenderedCluster {
  cluster: string
  nodes: RenderedNode[]
}

/**
 * Matched keepalived.conf files for every node of a spec. Pure but for
 * secrets (env:/file: are read here). Same spec, same bytes.
 */
export function renderCluster(spec: ClusterSpec): RenderedCluster {
  const vrids = assignVrids(spec)
  const nodes = spec.nodes.map((node): RenderedNode => {
    const {config, scripts} = nodeModel(spec, node, vrids)
    const header = [
      `keepalived.conf for node ${node.name} (${node.address}) of cluster ${spec.cluster}.`,
      'Written by halctl from the cluster spec: change the spec and run `halctl init` again.',
    ]
    const identityFile = node.ssh?.identityFile ?? spec.defaults?.ssh?.identityFile
    const daemon = {...spec.defaults?.keepalived, ...node.keepalived}
    return {
      name: node.name,
      address: node.address,
      interface: nodeInterface(spec, node),
      ssh: {
        host: node.ssh?.host ?? node.address,
        port: node.ssh?.port ?? spec.defaults?.ssh?.port ?? 22,
        user: node.ssh?.user ?? spec.defaults?.ssh?.user ?? 'root',
        ...(identityFile === undefined ? {} : {identityFile}),
      },
      config,
      text: renderKeepalivedConfig(config, {header}),
      scripts,
      ...(spec.logging === undefined ? {} : {logging: {...spec.logging}}),
      ...(spec.manage === undefined ? {} : {manage: {firewall: spec.manage.firewall, sysctls: spec.manage.sysctls}}),
      ...(daemon.binary || daemon.config ? {daemon} : {}),
    }
  })
  return {cluster: spec.cluster, nodes}
}
