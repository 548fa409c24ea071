import {gatherFacts, type NodeFacts} from '../host/facts.js'
import {KEEPALIVED_CONF, SYSCTL_FILE} from '../host/paths.js'
import {parseKeepalivedConfig} from '../keepalived/parse/index.js'
import {HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost, SshTarget, Transport} from '../remote/types.js'
import type {ImportInput} from './configs.js'

/**
 * `halctl import --node NAME=HOST`: each node's keepalived configuration read
 * over SSH, as the running daemon reads it: the config file from its arguments
 * (or the options file, the unit, a source install's default; the deploy facts
 * find it), keepalived's -i config id, and every file it includes (globs
 * expanded on the node). The files become ImportInputs whose reads are answered
 * from what was fetched, so import parses them exactly as local files.
 */

export interface RemoteNode {
  name: string
  /** how to connect (defaults applied) */
  target: SshTarget
  /** what the spec's node says about SSH (only what differs from the spec's defaults) */
  specSsh?: ImportInput['ssh']
}

/** Where a node's configuration came from (the --json report). */
export interface RemoteSource {
  node: string
  host: string
  /** the file the daemon reads, and why that one */
  configFile: string
  configFrom: 'process arguments' | 'options file' | 'unit ExecStart' | 'source install default' | 'default'
  /** every file read, the config first */
  files: string[]
  running: boolean
  /** the node's firewall: halctlRules: halctl's own VRRP rules are there; letsVrrpIn: its ruleset would not drop VRRP (undefined: unknown) */
  firewall: {kind: NodeFacts['firewall']; halctlRules: boolean; letsVrrpIn?: boolean}
  /** halctl's sysctl file is on the node (deploy set kernel settings there before) */
  halctlSysctls: boolean
}

/**
 * What deploy should leave alone on an adopted cluster: the firewall when
 * every node lets VRRP in without halctl's rules, the sysctls when halctl
 * never set them on any node. Pure.
 */
export function adoptedManage(sources: RemoteSource[]): {firewall?: false; sysctls?: false} {
  const fwOwn = sources.every((s) => s.firewall.kind === 'none' || (s.firewall.kind !== 'firewalld' && !s.firewall.halctlRules && s.firewall.letsVrrpIn === true))
  const sysOwn = sources.every((s) => !s.halctlSysctls)
  return {...(fwOwn ? {firewall: false as const} : {}), ...(sysOwn ? {sysctls: false as const} : {})}
}

/** keepalived's -i / --config-id from its argv. Pure. */
export function configIdArg(args: string[] | undefined): string | undefined {
  for (let i = 0; i < (args ?? []).length; i++) {
    const a = args![i]
    if (a === '-i' || a === '--config-id') return args![i + 1]
    if (a.startsWith('--config-id=')) return a.slice('--config-id='.length)
    if (/^-i./.test(a)) return a.slice(2)
  }
  return undefined
}

/** The node's address on the VRRP interface: the first address of the first instance's interface (facts). Pure. */
export function addressOn(facts: NodeFacts, iface: string | undefined): string | undefined {
  const i = facts.interfaces.find((x) => x.name === iface)
  const a = i?.addresses.find((x) => !x.startsWith('fe80:')) ?? i?.addresses[0]
  return a?.split('/')[0]
}

/** Include patterns expanded on the node with sh's own globbing (no field splitting); regular files only, sorted. */
const GLOB_SH = 'IFS=; for f in $1; do [ -f "$f" ] && printf "%s\\0" "$f"; done; exit 0'
const MAX_ROUNDS = 20

/**
 * Fetch a config and everything it includes: parse with reads answered from a
 * cache, fetch what the parse asked for and did not have, until nothing new
 * (includes nest at most 16 deep in keepalived; bounded here too).
 */
export async function fetchConfigTree(
  host: RemoteHost,
  file: string,
  configId: string,
): Promise<{texts: Map<string, string | undefined>; globs: Map<string, string[]>}> {
  const texts = new Map<string, string | undefined>()
  const globs = new Map<string, string[]>()
  const sudo = !host.isRoot
  texts.set(file, (await host.readFile(file, {sudo}))?.toString('utf8'))
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wantFiles = new Set<string>()
    const wantGlobs = new Set<string>()
    const main = texts.get(file)
    if (main === undefined) break
    parseKeepalivedConfig(main, {
      file,
      configId,
      readFile: (p) => {
        if (!texts.has(p)) wantFiles.add(p)
        return texts.get(p)
      },
      glob: (pattern) => {
        if (!/[*?[]/.test(pattern)) return [pattern]
        if (!globs.has(pattern)) wantGlobs.add(pattern)
        return globs.get(pattern) ?? []
      },
    })
    if (wantFiles.size === 0 && wantGlobs.size === 0) break
    for (const pattern of wantGlobs) {
      const r = await host.exec(['sh', '-c', GLOB_SH, 'halctl-glob', pattern], {sudo})
      globs.set(pattern, r.stdout.split('\0').filter(Boolean).sort())
    }
    for (const p of wantFiles) texts.set(p, (await host.readFile(p, {sudo}))?.toString('utf8'))
  }
  return {texts, globs}
}

/** Read every node's configuration; the first failure is reported with the node's name. */
export async function readRemoteConfigs(transport: Transport, nodes: RemoteNode[]): Promise<{inputs: ImportInput[]; sources: RemoteSource[]}> {
  const inputs: ImportInput[] = []
  const sources: RemoteSource[] = []
  for (const n of nodes) {
    let host: RemoteHost | undefined
    try {
      host = await transport.connect(n.target)
      const facts = await gatherFacts(host, n.name, [], {readConfig: false})
      const cf = facts.keepalived.configFile
      const file = cf?.path ?? KEEPALIVED_CONF
      const configId = configIdArg(facts.keepalived.args) ?? (facts.hostname.split('.')[0] || n.name)
      const {texts, globs} = await fetchConfigTree(host, file, configId)
      if (texts.get(file) === undefined) {
        throw new HalError('IMPORT_NO_CONFIG', `${n.name}: cannot read ${file}${cf ? ` (keepalived reads it: ${cf.from})` : ''}`, {
          where: n.name,
          hint: 'check that keepalived is set up on the node and that the SSH user may read the file (root, or passwordless sudo)',
          exitCode: ExitCode.BadInput,
        })
      }
      const label = `${n.name}:${file}`
      const firstIface = parseKeepalivedConfig(texts.get(file)!, {file, configId, readFile: (p) => texts.get(p), glob: (p) => globs.get(p) ?? [p]}).config.instances[0]?.interface
      inputs.push({
        file,
        node: n.name,
        label,
        configId,
        readFile: (p) => texts.get(p),
        glob: (p) => globs.get(p) ?? [p],
        address: addressOn(facts, firstIface),
        ssh: {host: n.target.host, ...n.specSsh},
      })
      const fw = facts.firewallState
      sources.push({
        node: n.name,
        host: n.target.host,
        configFile: file,
        configFrom: cf?.from ?? 'default',
        files: [...texts].filter(([, t]) => t !== undefined).map(([p]) => p),
        running: facts.keepalived.running,
        firewall: {
          kind: facts.firewall,
          halctlRules: facts.firewall === 'nftables' ? fw.nftTable : facts.firewall === 'iptables' ? fw.iptablesChain : false,
          ...(fw.mayDropVrrp === undefined ? {} : {letsVrrpIn: !fw.mayDropVrrp}),
        },
        halctlSysctls: facts.files[SYSCTL_FILE] !== undefined,
      })
    } catch (e) {
      if (isHalError(e)) throw e.where ? e : new HalError(e.code, `${n.name}: ${e.message}`, {where: n.name, hint: e.hint, exitCode: e.exitCode})
      throw new HalError('REMOTE_ERROR', `${n.name}: ${e instanceof Error ? e.message : String(e)}`, {where: n.name, exitCode: ExitCode.Remote})
    } finally {
      await host?.close().catch(() => undefined)
    }
  }
  return {inputs, sources}
}

/** `--node NAME=[USER@]HOST[:PORT]`. Pure. */
export function parseImportNode(value: string): {name: string; host: string; user?: string; port?: number} {
  const m = /^([A-Za-z0-9_.-]{1,64})=(?:([A-Za-z_][A-Za-z0-9_.-]{0,31})@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.:-]+?)(?::(\d{1,5}))?$/.exec(value)
  const host = m?.[3]?.replace(/^\[|\]$/g, '')
  const port = m?.[4] === undefined ? undefined : Number(m[4])
  if (!m || !host || (port !== undefined && (port < 1 || port > 65535))) {
    throw new HalError('BAD_FLAG', `--node ${value}: expected NAME=[USER@]HOST[:PORT], e.g. lb1=root@10.0.0.11`, {exitCode: ExitCode.BadInput})
  }
  return {name: m[1], host, ...(m[2] ? {user: m[2]} : {}), ...(port ? {port} : {})}
}
