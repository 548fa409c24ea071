/**
 * Connect to a node of a cluster spec for `halctl sniff --node NAME -s spec.yaml`.
 *
 * Exports: `connectSpecNode(specPath, nodeName, iface?, transport?) -> {host, iface, close}`.
 * The spec API (src/spec) gives the node's SSH target and VRRP interface; the transport
 * defaults to the ssh2 one (src/remote/ssh.ts). Unknown node: HalError exit 2 listing the names.
 */
import {HalError} from '../lib/errors.js'
import type {RemoteHost, Transport} from '../remote/types.js'

export async function connectSpecNode(
  specPath: string,
  nodeName: string,
  iface?: string,
  transport?: Transport,
): Promise<{host: RemoteHost; iface: string; close: () => Promise<void>}> {
  const {loadSpec, renderCluster} = await import('../spec/index.js')
  const spec = await loadSpec(specPath)
  const cluster = renderCluster(spec)
  const node = cluster.nodes.find((n) => n.name === nodeName)
  if (!node) {
    throw new HalError('SNIFF_UNKNOWN_NODE', `no node ${nodeName} in ${specPath}`, {
      hint: `nodes in this spec: ${cluster.nodes.map((n) => n.name).join(', ')}`,
      where: specPath,
    })
  }
  const t = transport ?? new (await import('../remote/ssh.js')).SshTransport()
  const host = await t.connect({
    name: node.name,
    host: node.ssh.host,
    port: node.ssh.port,
    user: node.ssh.user,
    identityFile: node.ssh.identityFile,
    sshConfigFile: spec.ssh?.configFile,
    knownHostsFile: spec.ssh?.knownHostsFile,
  })
  return {host, iface: iface ?? node.interface, close: () => host.close()}
}
