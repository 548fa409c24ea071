import {loadSpec, renderCluster} from '../spec/index.js'
import type {DesiredCluster} from '../host/desired.js'

export interface LoadedCluster {
  cluster: DesiredCluster
  /** from the spec's `ssh:` block, anchored at the spec's directory */
  sshConfigFile?: string
  knownHostsFile?: string
}

/** Load and render a spec (HalError exit 2 with file:line on any problem). */
export async function loadCluster(specPath: string): Promise<LoadedCluster> {
  const spec = await loadSpec(specPath)
  return {cluster: renderCluster(spec), sshConfigFile: spec.ssh?.configFile, knownHostsFile: spec.ssh?.knownHostsFile}
}
