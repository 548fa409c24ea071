import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {Transport} from '../remote/types.js'

type TransportModule = {SshTransport?: new () => Transport; createSshTransport?: () => Transport; sshTransport?: Transport}

let override: (() => Transport) | undefined

/** Tests (and the lab) put another Transport in place of SSH; undefined restores SSH. */
export function setTransportFactory(factory: (() => Transport) | undefined): void {
  override = factory
}

/** The transport deploy and status use: the ssh2 implementation in src/remote/ssh.ts unless replaced. */
export async function getTransport(): Promise<Transport> {
  if (override) return override()
  const path = '../remote/ssh.js'
  const mod = (await import(path).catch(() => ({}))) as TransportModule
  if (mod.SshTransport) return new mod.SshTransport()
  if (mod.createSshTransport) return mod.createSshTransport()
  if (mod.sshTransport) return mod.sshTransport
  throw new HalError('NO_SSH_TRANSPORT', 'the SSH transport (src/remote/ssh.ts) is not available in this build', {exitCode: ExitCode.Environment})
}
