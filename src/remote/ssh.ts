/**
 * The ssh2-backed Transport: one SSH connection per host (reused by every
 * connect() for the same user@host:port, several channels on it), OpenSSH
 * config and known_hosts semantics, sudo -n for non-root users, argv quoting,
 * streaming, atomic writes (SFTP temp + posix-rename, or a `sh -c` fallback).
 * Errors are HalErrors naming the host; key material is never logged.
 */
import {randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {posix} from 'node:path'
import type {Duplex} from 'node:stream'
import ssh2, {type AnyAuthMethod, type ClientChannel, type ConnectConfig, type SFTPWrapper} from 'ssh2'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {appendKnownHost, checkHostKey, fingerprint, hostKeyAlgorithms, hostKeyName, knownKeyTypes, readKnownHosts} from './known-hosts.js'
import {shellJoin} from './shell.js'
import {parseJumpSpec, resolveSshTarget, type ResolvedSshTarget} from './ssh-config.js'
import type {ExecOptions, ExecResult, RemoteHost, SshTarget, StreamHandle, Transport} from './types.js'

// ssh2 is CommonJS: Node's ESM loader exposes it as a default export only
const {Client, utils} = ssh2
type Client = InstanceType<typeof Client>

/** Channels opened at once on one connection (OpenSSH's MaxSessions defaults to 10). */
const MAX_CHANNELS = 8
const DEFAULT_EXEC_TIMEOUT_MS = 120_000
/** Runs "$@" (stdin /dev/null) and TERMs it when stdin (our end of the channel) reaches EOF; exits with its status. */
const STREAM_WATCHDOG = 'exec 3<&0; "$@" </dev/null & p=$!; (cat <&3 >/dev/null; kill -TERM "$p" 2>/dev/null) >/dev/null 2>&1 & wait "$p"'

const remoteError = (code: string, message: string, where: string, hint?: string, cause?: unknown): HalError =>
  new HalError(code, message, {exitCode: ExitCode.Remote, where, hint, cause})

/** A small counting semaphore for channels. */
class Slots {
  private free: number
  private readonly waiting: Array<() => void> = []
  constructor(n: number) {
    this.free = n
  }
  async take(): Promise<() => void> {
    if (this.free > 0) this.free--
    else await new Promise<void>((r) => this.waiting.push(r))
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

interface RawResult {
  stdout: Buffer
  stderr: Buffer
  code: number
  signal?: string
}

/** The command line sent to the remote shell: every argv element quoted; sudo -n for a non-root login when asked. */
export function remoteCommandLine(argv: string[], opts: {sudo?: boolean; isRoot: boolean}): string {
  const cmd = shellJoin(argv)
  return opts.sudo && !opts.isRoot ? `sudo -n -- ${cmd}` : cmd
}

/** Turn an ssh2/socket error into a HalError with a hint. */
export function classifySshError(err: Error & {code?: string; level?: string}, t: ResolvedSshTarget): HalError {
  const where = `${t.name} (${t.user}@${t.hostname}:${t.port})`
  const msg = err.message || String(err)
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg))
    return remoteError('SSH_AUTH_FAILED', `SSH login as ${t.user} was refused by ${t.hostname}`, where,
      `check the user and key for this node (tried: ${t.identityFiles.length ? t.identityFiles.join(', ') : 'no key files'}${process.env.SSH_AUTH_SOCK ? ', ssh-agent' : ''})`, err)
  if (/no matching host key/i.test(msg))
    return remoteError('SSH_HOST_KEY_TYPE', `${t.hostname} offers none of the host key types recorded for it in ${t.knownHostsFile}`, where,
      'the host key may have changed: compare fingerprints, then remove its old entry from known_hosts', err)
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
    return remoteError('SSH_UNREACHABLE', `cannot resolve host name ${t.hostname}`, where, 'check the node address in the spec or HostName in the ssh config', err)
  const unreachable = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EHOSTDOWN']
  if ((err.code && unreachable.includes(err.code)) || /timed out|handshake/i.test(msg))
    return remoteError('SSH_UNREACHABLE', `cannot reach ${t.hostname}:${t.port} over SSH (${err.code ?? msg})`, where,
      'check that the host is up, that sshd listens on that address and port, and that no firewall drops SSH', err)
  return remoteError('SSH_FAILED', `SSH to ${t.hostname}:${t.port} failed: ${msg}`, where, undefined, err)
}

/** A key file's content, or 'encrypted' for a key with a passphrase (usable only through ssh-agent). */
async function loadIdentity(path: string, where: string): Promise<Buffer | 'encrypted'> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (e) {
    throw remoteError('SSH_KEY_UNREADABLE', `cannot read SSH key ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, where, 'fix identityFile in the spec or IdentityFile in the ssh config')
  }
  const parsed = utils.parseKey(data)
  if (parsed instanceof Error) {
    // encrypted keys are used through ssh-agent; never echo the key or the parser's view of it
    if (/encrypted|passphrase/i.test(parsed.message)) return 'encrypted'
    throw remoteError('SSH_KEY_INVALID', `SSH key ${path} is not a private key ssh2 can use`, where, 'use an OpenSSH or PEM private key (ed25519, ecdsa or rsa)')
  }
  return data
}

/** One SSH connection to a host, shared by several users of the transport. */
export class SshRemoteHost implements RemoteHost {
  readonly name: string
  readonly address: string
  isRoot = false
  private readonly slots = new Slots(MAX_CHANNELS)
  private sftpPromise?: Promise<SFTPWrapper | undefined>
  private closed = false
  private broken?: HalError
  /** users of this connection (connect() calls not yet closed) */
  refs = 1

  constructor(
    private readonly conn: Client,
    readonly target: ResolvedSshTarget,
    private readonly onClosed: () => void,
    private readonly jumps: SshRemoteHost[] = [],
    /** false: never use SFTP for files (hosts whose sshd has no sftp subsystem), always `sh -c` */
    private readonly useSftp = true,
  ) {
    this.name = target.name
    this.address = target.hostname
    conn.on('close', () => {
      this.broken ??= remoteError('SSH_CONNECTION_LOST', `SSH connection to ${target.hostname} closed`, this.where, 'the host went away or sshd was restarted; run again')
      this.markClosed()
    })
    conn.on('error', (e) => {
      this.broken = classifySshError(e as Error & {code?: string}, target)
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  get where(): string {
    return `${this.target.name} (${this.target.user}@${this.target.hostname}:${this.target.port})`
  }

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    this.onClosed()
  }

  private wrap(argv: string[], sudo: boolean | undefined): string {
    return remoteCommandLine(argv, {sudo, isRoot: this.isRoot})
  }

  private openChannel(command: string): Promise<ClientChannel> {
    if (this.closed) return Promise.reject(this.broken ?? remoteError('SSH_CLOSED', `SSH connection to ${this.target.hostname} is closed`, this.where))
    return new Promise((resolve, reject) => {
      this.conn.exec(command, (err, ch) => {
        if (err) reject(remoteError('SSH_CHANNEL', `cannot open an SSH channel to ${this.target.hostname}: ${err.message}`, this.where, undefined, err))
        else resolve(ch)
      })
    })
  }

  /** Run a command line (already quoted) and collect its output as Buffers. */
  /**
   * Run a command line (already quoted) and collect its output. With `watchdog`
   * the command line must run under STREAM_WATCHDOG: stdin stays open and its EOF
   * (timeout, or the connection going away) makes the remote side TERM the command.
   */
  async runRaw(command: string, opts: {stdin?: string | Buffer; timeoutMs?: number; watchdog?: boolean} = {}): Promise<RawResult> {
    const release = await this.slots.take()
    try {
      const ch = await this.openChannel(command)
      return await new Promise<RawResult>((resolve, reject) => {
        const out: Buffer[] = []
        const err: Buffer[] = []
        let code: number | undefined
        let signal: string | undefined
        const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS
        const timer = setTimeout(() => {
          try {
            if (opts.watchdog) ch.end()
            ch.signal('KILL')
          } catch {
            // channel already gone
          }
          setTimeout(() => ch.close(), opts.watchdog ? 1000 : 0).unref()
          reject(remoteError('SSH_TIMEOUT', `command timed out after ${Math.round(timeoutMs / 1000)} s on ${this.target.hostname}: ${command.slice(0, 120)}`, this.where))
        }, timeoutMs)
        ch.on('data', (d: Buffer) => out.push(d))
        ch.stderr.on('data', (d: Buffer) => err.push(d))
        ch.on('exit', (c: number | null, sig?: string) => {
          if (typeof c === 'number') code = c
          if (sig) signal = sig
        })
        ch.on('close', () => {
          clearTimeout(timer)
          resolve({stdout: Buffer.concat(out), stderr: Buffer.concat(err), code: code ?? -1, signal})
        })
        if (opts.stdin !== undefined) ch.end(opts.stdin)
        else if (!opts.watchdog) ch.end()
      })
    } finally {
      release()
    }
  }

  /** Run argv. Without stdin data, it runs under the watchdog, so a timeout or a lost connection also ends it remotely. */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const watchdog = opts.stdin === undefined
    const line = this.wrap(watchdog ? ['sh', '-c', STREAM_WATCHDOG, 'halctl-exec', ...argv] : argv, opts.sudo)
    const r = await this.runRaw(line, {stdin: opts.stdin, timeoutMs: opts.timeoutMs, watchdog})
    return {stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), code: r.code, ...(r.signal ? {signal: r.signal} : {})}
  }

  /**
   * Stream stdout of a long-running command. The command runs under a small
   * sh watchdog that kills it (TERM) when our side of the channel sends EOF,
   * because sshd does not forward signals to commands without a pty and a
   * command that only waits for events (ip monitor) would outlive the channel.
   * opts.stdin is not supported here (stdin is the watchdog's).
   */
  async stream(argv: string[], onStdout: (chunk: Buffer) => void, opts: ExecOptions = {}): Promise<StreamHandle> {
    const release = await this.slots.take()
    let ch: ClientChannel
    try {
      ch = await this.openChannel(this.wrap(['sh', '-c', STREAM_WATCHDOG, 'halctl-stream', ...argv], opts.sudo))
    } catch (e) {
      release()
      throw e
    }
    const err: Buffer[] = []
    let code: number | undefined
    let signal: string | undefined
    let finish: () => void = () => undefined
    const done = new Promise<ExecResult>((resolve) => {
      let finished = false
      finish = () => {
        if (finished) return
        finished = true
        release()
        resolve({stdout: '', stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1, ...(signal ? {signal} : {})})
      }
      ch.on('data', (d: Buffer) => onStdout(d))
      ch.stderr.on('data', (d: Buffer) => {
        if (err.length < 256) err.push(d)
      })
      ch.on('exit', (c: number | null, sig?: string) => {
        if (typeof c === 'number') code = c
        if (sig) signal = sig
      })
      ch.on('close', () => finish())
    })
    let timer: NodeJS.Timeout | undefined
    const wait = (ms: number) => settledWithin(done, ms)
    const stop = async (): Promise<void> => {
      if (timer) clearTimeout(timer)
      try {
        ch.end() // EOF: the watchdog sends TERM to the command
      } catch {
        // channel already closed
      }
      if (await wait(3000)) return
      try {
        ch.signal('KILL')
        ch.close()
      } catch {
        // channel already closed
      }
      if (!(await wait(1500))) finish()
    }
    if (opts.timeoutMs) timer = setTimeout(() => void stop(), opts.timeoutMs)
    return {done, stop}
  }

  /** SFTP session, opened once; undefined when the server has no sftp subsystem. */
  private sftp(): Promise<SFTPWrapper | undefined> {
    if (!this.useSftp) return Promise.resolve(undefined)
    this.sftpPromise ??= new Promise((resolve) => {
      this.conn.sftp((err, s) => resolve(err ? undefined : s))
    })
    return this.sftpPromise
  }

  async readFile(path: string, opts: {sudo?: boolean} = {}): Promise<Buffer | undefined> {
    const viaSudo = opts.sudo && !this.isRoot
    const sftp = viaSudo ? undefined : await this.sftp()
    if (sftp) {
      return new Promise((resolve, reject) => {
        sftp.readFile(path, (err: (Error & {code?: number}) | null | undefined, data: Buffer) => {
          if (!err) resolve(data)
          else if (err.code === 2) resolve(undefined) // SSH_FX_NO_SUCH_FILE
          else reject(remoteError('SSH_READ', `cannot read ${path} on ${this.target.hostname}: ${err.message}`, this.where))
        })
      })
    }
    const r = await this.runRaw(this.wrap(['sh', '-c', 'if [ -e "$1" ]; then exec cat -- "$1"; else exit 44; fi', 'sh', path], opts.sudo))
    if (r.code === 44) return undefined
    if (r.code !== 0) throw remoteError('SSH_READ', `cannot read ${path} on ${this.target.hostname}: ${r.stderr.toString().trim()}`, this.where, viaSudo ? 'the login user needs passwordless sudo (sudo -n)' : undefined)
    return r.stdout
  }

  async writeFile(path: string, content: string | Buffer, opts: {mode?: number; sudo?: boolean} = {}): Promise<void> {
    if (!posix.isAbsolute(path)) throw new HalError('SSH_WRITE', `remote path must be absolute: ${path}`, {where: this.where})
    const data = typeof content === 'string' ? Buffer.from(content) : content
    const viaSudo = opts.sudo && !this.isRoot
    const sftp = viaSudo ? undefined : await this.sftp()
    if (sftp) return this.writeViaSftp(sftp, path, data, opts.mode)
    return this.writeViaShell(path, data, opts.mode, opts.sudo)
  }

  private async writeViaSftp(sftp: SFTPWrapper, path: string, data: Buffer, mode?: number): Promise<void> {
    const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.halctl-${randomBytes(4).toString('hex')}`)
    const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T | undefined> =>
      new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))))
    const existing = await call<{mode: number}>((cb) => sftp.stat(path, cb as never)).catch(() => undefined)
    const finalMode = mode ?? (existing ? existing.mode & 0o7777 : 0o644)
    try {
      await call((cb) => sftp.writeFile(tmp, data, {mode: finalMode}, cb as never))
      await call((cb) => sftp.chmod(tmp, finalMode, cb as never))
      await call((cb) => sftp.ext_openssh_rename(tmp, path, cb as never))
    } catch (e) {
      await call((cb) => sftp.unlink(tmp, cb as never)).catch(() => undefined)
      // sftp-server reports ENOSPC as a bare "Failure": ask the node how much room there is
      if (/^failure$/i.test((e as Error).message) && (await this.freeBytes(posix.dirname(path))) < data.length + 4096) throw this.diskFull(path)
      throw remoteError('SSH_WRITE', `cannot write ${path} on ${this.target.hostname}: ${(e as Error).message}`, this.where, 'check that the directory exists and is writable by the login user')
    }
  }

  /** Free bytes in the file system holding dir (Infinity when df cannot tell). */
  private async freeBytes(dir: string): Promise<number> {
    const r = await this.exec(['df', '-Pk', '--', dir]).catch(() => undefined)
    const kb = Number(r?.stdout.trim().split('\n')[1]?.trim().split(/\s+/)[3])
    return r?.code === 0 && Number.isFinite(kb) ? kb * 1024 : Infinity
  }

  private diskFull(path: string): HalError {
    return remoteError('SSH_DISK_FULL', `no space left on device on ${this.name}:${path}`, this.where, `free space in ${posix.dirname(path)} on ${this.name} (df -h ${posix.dirname(path)}), then run again`)
  }

  private async writeViaShell(path: string, data: Buffer, mode: number | undefined, sudo: boolean | undefined): Promise<void> {
    const script = [
      'set -e',
      'p=$1; m=$2',
      't=$(mktemp "$(dirname -- "$p")/.$(basename -- "$p").halctl-XXXXXX")',
      "trap 'rm -f \"$t\"' EXIT",
      'cat > "$t"',
      'if [ -z "$m" ]; then if [ -e "$p" ]; then m=$(stat -c %a -- "$p"); else m=644; fi; fi',
      'chmod "$m" "$t"',
      'mv -f -- "$t" "$p"',
      'trap - EXIT',
    ].join('\n')
    const r = await this.runRaw(this.wrap(['sh', '-c', script, 'sh', path, mode === undefined ? '' : mode.toString(8)], sudo), {stdin: data})
    if (r.code !== 0 && /no space left on device/i.test(r.stderr.toString())) throw this.diskFull(path)
    if (r.code !== 0)
      throw remoteError('SSH_WRITE', `cannot write ${path} on ${this.target.hostname}: ${r.stderr.toString().trim() || `exit ${r.code}`}`, this.where,
        sudo && !this.isRoot ? 'the login user needs passwordless sudo (sudo -n)' : 'check that the directory exists and is writable')
  }

  /** Open a TCP stream through this host (for ProxyJump). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.conn.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(remoteError('SSH_JUMP', `jump host ${this.target.hostname} cannot reach ${host}:${port}: ${err.message}`, this.where, 'check the ProxyJump host and that it can reach the node'))
        else resolve(stream)
      })
    })
  }

  async close(): Promise<void> {
    this.refs--
    if (this.refs > 0) return
    await this.forceClose()
  }

  async forceClose(): Promise<void> {
    if (!this.closed) {
      const ended = new Promise<void>((r) => this.conn.once('close', () => r()))
      this.conn.end()
      await settledWithin(ended, 2000)
      this.markClosed()
    }
    for (const j of this.jumps) await j.close()
  }
}

/**
 * Whether the promise settled within ms. The timer is cleared either way, so a
 * promise that settles early leaves nothing behind that keeps the process alive.
 */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))
  return Promise.race([p.then(() => true, () => true), timeout]).finally(() => clearTimeout(timer))
}

export interface SshTransportOptions {
  /** defaults applied to every target (e.g. the spec's ssh files, --accept-new) */
  defaults?: Partial<Pick<SshTarget, 'sshConfigFile' | 'knownHostsFile' | 'acceptNew' | 'readyTimeoutMs'>>
  /** use SFTP for readFile/writeFile (default true); false: `sh -c` with cat/mktemp/mv */
  sftp?: boolean
}

/** The production Transport: ssh2 connections, one per user@host:port, shared. */
export class SshTransport implements Transport {
  private readonly pool = new Map<string, Promise<SshRemoteHost>>()

  constructor(private readonly opts: SshTransportOptions = {}) {}

  async connect(target: SshTarget): Promise<RemoteHost> {
    const t = await resolveSshTarget({...this.opts.defaults, ...target})
    return this.connectResolved(t)
  }

  private async connectResolved(t: ResolvedSshTarget): Promise<SshRemoteHost> {
    const key = `${t.user}@${t.hostname}:${t.port}|${t.proxyJump.join(',')}`
    const pending = this.pool.get(key)
    if (pending) {
      const h = await pending
      if (!h.isClosed) {
        h.refs++
        return h
      }
    }
    const p = this.open(t, () => {
      if (this.pool.get(key) === p) this.pool.delete(key)
    })
    this.pool.set(key, p)
    p.catch(() => {
      if (this.pool.get(key) === p) this.pool.delete(key)
    })
    return p
  }

  /** Close every connection of this transport. */
  async closeAll(): Promise<void> {
    const hosts = await Promise.allSettled([...this.pool.values()])
    this.pool.clear()
    for (const h of hosts) if (h.status === 'fulfilled') await h.value.forceClose()
  }

  private async open(t: ResolvedSshTarget, onClosed: () => void): Promise<SshRemoteHost> {
    // ProxyJump: connect to each hop through the previous one
    const jumps: SshRemoteHost[] = []
    let sock: Duplex | undefined
    try {
      for (const hop of t.proxyJump) {
        const j = parseJumpSpec(hop)
        const jt = await resolveSshTarget({
          name: `${t.name} via ${j.host}`,
          host: j.host,
          port: j.port,
          user: j.user,
          sshConfigFile: t.configFile,
          knownHostsFile: t.knownHostsFile,
          acceptNew: t.acceptNew,
          readyTimeoutMs: t.readyTimeoutMs,
        })
        const prev = jumps[jumps.length - 1]
        const jumpSock = prev ? await prev.forwardOut(jt.hostname, jt.port) : undefined
        jumps.push(await this.handshake({...jt, proxyJump: []}, jumpSock, () => undefined, []))
      }
      const last = jumps[jumps.length - 1]
      if (last) sock = await last.forwardOut(t.hostname, t.port)
      return await this.handshake(t, sock, onClosed, jumps)
    } catch (e) {
      for (const j of jumps) await j.forceClose()
      if (e instanceof HalError) throw e
      throw classifySshError(e as Error, t)
    }
  }

  private async handshake(t: ResolvedSshTarget, sock: Duplex | undefined, onClosed: () => void, jumps: SshRemoteHost[]): Promise<SshRemoteHost> {
    const where = `${t.name} (${t.user}@${t.hostname}:${t.port})`
    const names = [hostKeyName(t.hostname, t.port)]
    const entries = await readKnownHosts(t.knownHostsFile)
    const types = knownKeyTypes(entries, names)

    const auth: AnyAuthMethod[] = []
    const encrypted: string[] = []
    for (const file of t.identityFiles) {
      const k = await loadIdentity(file, where)
      if (k === 'encrypted') encrypted.push(file)
      else auth.push({type: 'publickey', username: t.user, key: k})
    }
    if (process.env.SSH_AUTH_SOCK && !t.identitiesOnly) auth.push({type: 'agent', username: t.user, agent: process.env.SSH_AUTH_SOCK})
    else if (process.env.SSH_AUTH_SOCK && auth.length === 0) auth.push({type: 'agent', username: t.user, agent: process.env.SSH_AUTH_SOCK})
    if (auth.length === 0 && encrypted.length > 0)
      throw remoteError('SSH_KEY_ENCRYPTED', `SSH key ${encrypted.join(', ')} has a passphrase and no ssh-agent is running (SSH_AUTH_SOCK is not set)`, where,
        `halctl never asks for passphrases: start ssh-agent and add the key (eval "$(ssh-agent)"; ssh-add ${encrypted[0]}), or set defaults.ssh.identityFile (or nodes[].ssh.identityFile) in the spec to a key without a passphrase`)
    if (auth.length === 0)
      throw remoteError('SSH_NO_KEY', `no SSH key to log in to ${t.hostname} as ${t.user}: no key file found and no ssh-agent`, where,
        'set defaults.ssh.identityFile (or nodes[].ssh.identityFile) in the spec, or IdentityFile in the ssh config the spec names (ssh.configFile), or start ssh-agent; for a lab, copy the ssh block of .lab/<name>/lab.yaml')

    let refusal: HalError | undefined
    let acceptedNew: Buffer | undefined
    const hostVerifier = (blob: Buffer): boolean => {
      const v = checkHostKey(entries, names, blob)
      if (v.status === 'known') return true
      const fp = fingerprint(blob)
      if (v.status === 'changed' || v.status === 'revoked') {
        refusal = remoteError(
          v.status === 'changed' ? 'SSH_HOST_KEY_CHANGED' : 'SSH_HOST_KEY_REVOKED',
          v.status === 'changed'
            ? `host key of ${t.hostname} has CHANGED (now ${fp}); it does not match ${t.knownHostsFile}:${v.entry.line}`
            : `host key of ${t.hostname} (${fp}) is marked @revoked in ${t.knownHostsFile}:${v.entry.line}`,
          `${t.knownHostsFile}:${v.entry.line}`,
          v.status === 'changed'
            ? `someone may be intercepting the connection, or the host was reinstalled. If you trust the new key, remove line ${v.entry.line} of ${t.knownHostsFile} (ssh-keygen -R ${hostKeyName(t.hostname, t.port)} -f ${t.knownHostsFile}) and connect again with --accept-new`
            : 'this key must not be trusted; re-key the host',
        )
        return false
      }
      if (!t.acceptNew) {
        refusal = remoteError('SSH_HOST_KEY_UNKNOWN', `host key of ${t.hostname} (${fp}) is not in ${t.knownHostsFile}`, where,
          'check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then run again with --accept-new to record it')
        return false
      }
      acceptedNew = blob
      return true
    }

    const conn = new Client()
    const config: ConnectConfig = {
      host: t.hostname,
      port: t.port,
      username: t.user,
      readyTimeout: t.readyTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier,
      authHandler: auth,
      ...(sock ? {sock} : {}),
      ...(types.length > 0 ? {algorithms: {serverHostKey: hostKeyAlgorithms(types) as never}} : {}),
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error & {code?: string; level?: string}) => {
        conn.removeListener('ready', onReady)
        conn.end()
        reject(refusal ?? classifySshError(e, t))
      }
      const onReady = () => {
        conn.removeListener('error', onError)
        resolve()
      }
      conn.once('error', onError)
      conn.once('ready', onReady)
      // a verifier refusal surfaces as a handshake error; make sure it is reported as such even on close
      conn.once('close', () => reject(refusal ?? remoteError('SSH_CONNECTION_LOST', `SSH connection to ${t.hostname} closed during login`, where)))
      try {
        conn.connect(config)
      } catch (e) {
        reject(classifySshError(e as Error, t))
      }
    })
    const host = new SshRemoteHost(conn, t, onClosed, jumps, this.opts.sftp !== false)
    if (acceptedNew) await appendKnownHost(t.knownHostsFile, t.hostname, t.port, acceptedNew)
    if (t.user === 'root') host.isRoot = true
    else {
      const id = await host.exec(['id', '-u'])
      host.isRoot = id.code === 0 && id.stdout.trim() === '0'
    }
    return host
  }
}
