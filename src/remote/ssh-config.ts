/**
 * Resolve an SshTarget the way OpenSSH would: explicit fields first, then the
 * ssh_config file (Host, HostName, User, Port, IdentityFile, ProxyJump,
 * UserKnownHostsFile), then defaults. Pure except for reading the config file.
 */
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {isAbsolute, join} from 'node:path'
import SSHConfig from 'ssh-config'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {SshTarget} from './types.js'

export interface ResolvedSshTarget {
  /** node name (for messages) */
  name: string
  /** the name asked for (alias in ssh_config, or the address) */
  alias: string
  /** where to connect: HostName, or the alias itself */
  hostname: string
  port: number
  user: string
  /** private keys to try, in order (existing files only when defaulted) */
  identityFiles: string[]
  /** an explicit identity was given: do not fall back to the default keys */
  identitiesOnly: boolean
  /** jump hosts, first hop first ("user@host:port" each) */
  proxyJump: string[]
  knownHostsFile: string
  acceptNew: boolean
  readyTimeoutMs: number
  /** the ssh_config file used (jump hosts are resolved with it too) */
  configFile?: string
}

export const DEFAULT_READY_TIMEOUT_MS = 10_000
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config')
}

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts')
}

/** ~ and the %-tokens OpenSSH allows in file names (%d home, %u local user, %h host, %r remote user, %p port, %%). */
export function expandPath(p: string, ctx: {host?: string; user?: string; port?: number} = {}): string {
  let out = p.replace(/^~(?=$|\/)/, homedir())
  out = out.replace(/%([%dhurp])/g, (_, t: string) => {
    switch (t) {
      case '%':
        return '%'
      case 'd':
        return homedir()
      case 'u':
        return userInfo().username
      case 'h':
        return ctx.host ?? ''
      case 'r':
        return ctx.user ?? ''
      case 'p':
        return String(ctx.port ?? 22)
      default:
        return ''
    }
  })
  return out
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** Parse "user@host:port" / "host" / "[v6]:port" into parts. */
export function parseJumpSpec(spec: string): {user?: string; host: string; port?: number} {
  let rest = spec.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
  }
  let host = rest
  let port: number | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (v6) {
    host = v6[1]
    port = v6[2] ? Number(v6[2]) : undefined
  } else if (/^[^:]+:\d+$/.test(rest)) {
    const i = rest.lastIndexOf(':')
    host = rest.slice(0, i)
    port = Number(rest.slice(i + 1))
  }
  return {user, host, port}
}

/** Resolve a target against ssh_config text (undefined: no config). */
export function resolveSshTargetWith(target: SshTarget, configText: string | undefined, configFile?: string): ResolvedSshTarget {
  let computed: Record<string, string | string[]> = {}
  if (configText !== undefined) {
    try {
      computed = SSHConfig.parse(configText).compute({Host: target.host, User: target.user}, {ignoreCase: true})
    } catch (e) {
      throw new HalError('SSH_CONFIG_INVALID', `cannot parse ssh config ${configFile ?? ''}: ${(e as Error).message}`, {
        exitCode: ExitCode.BadInput,
        where: configFile,
      })
    }
  }
  const hostname = first(computed.hostname)?.replace(/%h/g, target.host) ?? target.host
  const port = target.port ?? (first(computed.port) ? Number(first(computed.port)) : 22)
  const user = target.user ?? first(computed.user) ?? userInfo().username
  const ctx = {host: hostname, user, port}
  const explicit = target.identityFile ? [target.identityFile] : all(computed.identityfile)
  const identitiesOnly = target.identityFile !== undefined || /^yes$/i.test(first(computed.identitiesonly) ?? '')
  const defaults = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).filter((p) => existsSync(p))
  const identityFiles = [...new Set([...explicit.map((p) => expandPath(p, ctx)), ...(identitiesOnly || explicit.length > 0 ? [] : defaults)])]
  const jump = target.proxyJump ?? first(computed.proxyjump)
  const proxyJump = jump && !/^none$/i.test(jump) ? jump.split(',').map((s) => s.trim()).filter(Boolean) : []
  const knownHostsFile = expandPath(target.knownHostsFile ?? first(computed.userknownhostsfile)?.split(/\s+/)[0] ?? defaultKnownHostsFile(), ctx)
  const timeoutSec = Number(first(computed.connecttimeout))
  return {
    name: target.name,
    alias: target.host,
    hostname,
    port,
    user,
    identityFiles,
    identitiesOnly,
    proxyJump,
    knownHostsFile: isAbsolute(knownHostsFile) ? knownHostsFile : join(homedir(), knownHostsFile),
    acceptNew: target.acceptNew ?? false,
    readyTimeoutMs: target.readyTimeoutMs ?? (timeoutSec > 0 ? timeoutSec * 1000 : DEFAULT_READY_TIMEOUT_MS),
    configFile: configText === undefined ? undefined : configFile,
  }
}

/** Resolve a target, reading target.sshConfigFile (or ~/.ssh/config when it exists). */
export async function resolveSshTarget(target: SshTarget): Promise<ResolvedSshTarget> {
  const file = target.sshConfigFile ?? defaultSshConfigFile()
  let text: string | undefined
  try {
    text = await readFile(expandPath(file), 'utf8')
  } catch (e) {
    if (target.sshConfigFile !== undefined)
      throw new HalError('SSH_CONFIG_UNREADABLE', `cannot read ssh config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        exitCode: ExitCode.BadInput,
        where: file,
        hint: 'fix ssh.configFile in the spec, or remove it to use ~/.ssh/config',
      })
  }
  return resolveSshTargetWith(target, text, file)
}
