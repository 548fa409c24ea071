/**
 * Connect to a node of a cluster spec for `halctl sniff --node NAME -s spec.yaml`.
 *
 * Exports: `connectSpecNode(specPath, nodeName, iface?, transport?) -> {host, iface, close}`, and
 * `connectSpecNodes(specPath, nodeNames, iface?, transport?) -> {captures, close}` for several nodes.
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
  const {captures, close} = await connectSpecNodes(specPath, [nodeName], iface, transport)
  return {host: captures[0].host, iface: captures[0].iface, close}
}

/**
 * `sniff --node A --node B`: every named node (each once, in the order given), all checked
 * against the spec before the first connection; when one cannot be reached, those already
 * connected are closed again.
 */
export async function connectSpecNodes(
  specPath: string,
  nodeNames: string[],
  iface?: string,
  transport?: Transport,
): Promise<{captures: Array<{host: RemoteHost; iface: string}>; close: () => Promise<void>}> {
  const {loadSpec, renderCluster} = await import('../spec/index.js')
  const spec = await loadSpec(specPath)
  const cluster = renderCluster(spec)
  const nodes = [...new Set(nodeNames)].map((name) => {
    const node = cluster.nodes.find((n) => n.name === name)
    if (!node) {
      throw new HalError('SNIFF_UNKNOWN_NODE', `no node ${name} in ${specPath}`, {
        hint: `nodes in this spec: ${cluster.nodes.map((n) => n.name).join(', ')}`,
        where: specPath,
      })
    }
    return node
  })
  const t = transport ?? new (await import('../remote/ssh.js')).SshTransport()
  const captures: Array<{host: RemoteHost; iface: string}> = []
  const close = async (): Promise<void> => {
    for (const c of captures.splice(0)) await c.host.close()
  }
  try {
    for (const node of nodes) {
      const host = await t.connect({
        name: node.name,
        host: node.ssh.host,
        port: node.ssh.port,
        user: node.ssh.user,
        identityFile: node.ssh.identityFile,
        sshConfigFile: spec.ssh?.configFile,
        knownHostsFile: spec.ssh?.knownHostsFile,
      })
      captures.push({host, iface: iface ?? node.interface})
    }
  } catch (e) {
    await close()
    throw e
  }
  return {captures: [...captures], close}
}
