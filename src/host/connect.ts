import type {SshTarget} from '../remote/types.js'
import type {DesiredNode} from './desired.js'

/** How halctl reaches the nodes (deploy, status, doctor and failover-test alike). */
export interface NodeConnectOptions {
  sshConfigFile?: string
  knownHostsFile?: string
  acceptNew?: boolean
  /** SSH handshake bound (default 10 s) */
  connectTimeoutMs?: number
}

/** The SSH target of a node of the spec. Pure. */
export function sshTargetFor(node: DesiredNode, opts: NodeConnectOptions): SshTarget {
  return {
    name: node.name,
    host: node.ssh.host,
    port: node.ssh.port,
    user: node.ssh.user,
    identityFile: node.ssh.identityFile,
    sshConfigFile: opts.sshConfigFile,
    knownHostsFile: opts.knownHostsFile,
    acceptNew: opts.acceptNew,
    readyTimeoutMs: opts.connectTimeoutMs ?? 10_000,
  }
}
