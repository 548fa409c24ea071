import {SshTransport} from '../remote/ssh.js'
import type {Transport} from '../remote/types.js'

let override: (() => Transport) | undefined

/** Tests put another Transport (a fake, or a wrapper that cuts connections) in place of SSH; undefined restores SSH. */
export function setTransportFactory(factory: (() => Transport) | undefined): void {
  override = factory
}

/** The transport deploy and status use: ssh2 (src/remote/ssh.ts) unless replaced. */
export function getTransport(): Transport {
  return override ? override() : new SshTransport()
}
