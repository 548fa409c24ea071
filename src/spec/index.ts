/**
 * The cluster spec API: load and validate a spec, render it into matched
 * keepalived.conf files per node.
 */
export {loadSpec, loadSpecText} from './load.js'
export {renderCluster, type RenderedCluster} from './render-cluster.js'
export {ClusterSpecSchema, PRESET_NAMES, type PresetName} from './schema.js'
export {assignVrids, autoVridSeed} from './derive.js'
