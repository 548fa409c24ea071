/**
 * The cluster spec API: load and validate a spec, render it into matched
 * keepalived.conf files per node.
 */
export {loadSpec, loadSpecText} from './load.js'
export {renderCluster, type RenderedCluster, type RenderedNode} from './render-cluster.js'
export {ClusterSpecSchema, PRESET_NAMES, type ClusterSpec, type ClusterSpecInput, type PresetName} from './schema.js'
export {assignVrids, autoVridSeed, instancePlan, routerId} from './derive.js'
export type {ScriptFile} from './script-files.js'
