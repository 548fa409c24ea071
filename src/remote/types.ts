/**
 * The contract between halctl's services and a remote (or lab) host.
 * Production code gets an ssh2-backed implementation (src/remote/ssh.ts);
 * tests get a fake transport that records and asserts every call.
 */

export interface SshTarget {
  /** node name from the spec (used in messages) */
  name: string
  host: string
  port?: number
  user?: string
  /** path to a private key; never logged */
  identityFile?: string
  /** ProxyJump "user@host:port" */
  proxyJump?: string
  /** path of an ssh_config file to resolve Host aliases (default ~/.ssh/config) */
  sshConfigFile?: string
  /** known_hosts file to verify against (default ~/.ssh/known_hosts) */
  knownHostsFile?: string
  /** accept and record an unknown host key (never a changed one) */
  acceptNew?: boolean
  /** connection timeout in milliseconds */
  readyTimeoutMs?: number
}

export interface ExecOptions {
  /** wrap in sudo -n when the login user is not root */
  sudo?: boolean
  stdin?: string | Buffer
  timeoutMs?: number
}

export interface ExecResult {
  stdout: string
  stderr: string
  /** exit status; -1 when the command died on a signal or the channel broke */
  code: number
  signal?: string
}

export interface StreamHandle {
  /** resolves with the exit status when the remote command ends */
  done: Promise<ExecResult>
  /** stop the remote command (SIGTERM over the channel, then close) */
  stop(): Promise<void>
}

export interface RemoteHost {
  readonly name: string
  readonly address: string
  /** the login user is root (no sudo needed) */
  readonly isRoot: boolean
  /** run argv; every element is shell-quoted before it reaches the remote shell */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>
  /** run a command whose stdout is streamed (e.g. `tcpdump -U -w -`, `ip monitor address`) */
  stream(argv: string[], onStdout: (chunk: Buffer) => void, opts?: ExecOptions): Promise<StreamHandle>
  /** read a file; undefined when it does not exist */
  readFile(path: string, opts?: {sudo?: boolean}): Promise<Buffer | undefined>
  /** write atomically: temporary file in the same directory, then rename */
  writeFile(path: string, content: string | Buffer, opts?: {mode?: number; sudo?: boolean}): Promise<void>
  close(): Promise<void>
}

export interface Transport {
  connect(target: SshTarget): Promise<RemoteHost>
}
