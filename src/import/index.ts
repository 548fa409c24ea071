import {homedir} from 'node:os'
import {dirname, resolve} from 'node:path'
import type {Finding} from '../lint/types.js'
import {isHalError} from '../lib/errors.js'
import {registerSecret} from '../lib/redact.js'
import {loadSpec, loadSpecText} from '../spec/load.js'
import type {ClusterSpecInput} from '../spec/schema.js'
import type {Transport} from '../remote/types.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {importConfigs, type ImportInput, type ImportReport} from './configs.js'
import {adoptedManage, parseImportNode, readRemoteConfigs, type RemoteNode, type RemoteSource} from './remote.js'
import {importYaml, writeImport} from './write.js'

/** `halctl import` result: the --json payload. Never holds a secret value. */
export interface ImportCommandResult extends ImportReport {
  /** where the spec was written; absent: printed to stdout */
  spec?: string
  /** the 0600 file with `export NAME=...` lines for the secrets */
  envFile?: string
  /** import over SSH: per node, the file keepalived reads (and why that one) and every file read */
  sources?: RemoteSource[]
  summary: {nodes: number; instances: number; raw: number; errors: number; warnings: number; roundTrip: boolean}
}

/** Import local configs; write the spec to `out` (or return its YAML for stdout). */
export function runImport(
  inputs: ImportInput[],
  opts: {out?: string; cluster?: string; configId?: string; force?: boolean; specExtra?: Pick<ClusterSpecInput, 'defaults' | 'ssh' | 'manage'>; findings?: Finding[]},
): {result: ImportCommandResult; yaml: string} {
  const r = importConfigs(inputs, {cluster: opts.cluster, configId: opts.configId})
  if (opts.specExtra) {
    const {cluster, ...rest} = r.spec
    r.spec = {cluster, ...opts.specExtra, ...rest}
  }
  // masked in everything halctl prints (a spec printed to stdout included)
  for (const v of [...Object.values(r.secretValues), ...r.inlineSecrets]) registerSecret(v)
  const yaml = importYaml(r, inputs.map((i) => i.label ?? i.file))
  const findings: Finding[] = [...r.report.findings, ...(opts.findings ?? [])]
  // the spec must load like any other (schema and cross-field rules); a cluster that breaks them is reported
  const saved = Object.keys(r.secretValues).map((k) => [k, process.env[k]] as const)
  try {
    for (const [k, v] of Object.entries(r.secretValues)) process.env[k] = v
    loadSpecText(yaml, resolve(opts.out ?? 'cluster.yaml'))
  } catch (e) {
    findings.push({rule: 'import-spec-invalid', severity: 'error', message: isHalError(e) ? e.message : String(e), fix: 'fix the spec by hand (the message names the field), then run halctl init -s'})
  } finally {
    for (const [k, v] of saved) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const written = opts.out ? writeImport(r, yaml, opts.out, {force: opts.force}) : undefined
  const report = {...r.report, findings}
  return {
    yaml,
    result: {
      ...report,
      ...(written ? written : {}),
      summary: {
        nodes: report.nodes.length,
        instances: report.instances.length,
        raw: report.raw.length,
        errors: findings.filter((f) => f.severity === 'error').length,
        warnings: findings.filter((f) => f.severity === 'warning').length,
        roundTrip: report.roundTrip.every((x) => x.equal) && report.unrepresented.length === 0,
      },
    },
  }
}

export interface RemoteImportOptions {
  /** take SSH settings (defaults.ssh, ssh_config, known_hosts) and nodes from this spec, e.g. a lab's lab.yaml */
  sshFrom?: string
  /** NAME=[USER@]HOST[:PORT]; adds nodes, or overrides those of sshFrom */
  nodes: string[]
  acceptNew?: boolean
  out?: string
  cluster?: string
  force?: boolean
}

/** The nodes to read and the SSH settings the spec keeps, from --node and -s. */
export async function remoteNodes(o: Pick<RemoteImportOptions, 'sshFrom' | 'nodes' | 'acceptNew'>): Promise<{nodes: RemoteNode[]; specSsh?: Pick<ClusterSpecInput, 'defaults' | 'ssh'>}> {
  const from = o.sshFrom ? await loadSpec(o.sshFrom) : undefined
  const abs = (p: string | undefined): string | undefined => (p === undefined || !o.sshFrom ? p : resolve(dirname(o.sshFrom), p.replace(/^~(?=\/)/, homedir())))
  const d = from?.defaults?.ssh
  const defaults = d ? {user: d.user, port: d.port, identityFile: abs(d.identityFile)} : {}
  const sshConfigFile = abs(from?.ssh?.configFile)
  const knownHostsFile = abs(from?.ssh?.knownHostsFile)
  const byName = new Map<string, RemoteNode>()
  for (const n of from?.nodes ?? []) {
    const s = n.ssh ?? {}
    const specSsh = Object.fromEntries(Object.entries({host: s.host, port: s.port, user: s.user, identityFile: abs(s.identityFile)}).filter(([, v]) => v !== undefined))
    byName.set(n.name, {
      name: n.name,
      target: {name: n.name, host: s.host ?? n.address, port: s.port ?? defaults.port, user: s.user ?? defaults.user, identityFile: abs(s.identityFile) ?? defaults.identityFile, sshConfigFile, knownHostsFile, acceptNew: o.acceptNew},
      specSsh,
    })
  }
  for (const v of o.nodes) {
    const n = parseImportNode(v)
    byName.set(n.name, {
      name: n.name,
      target: {name: n.name, host: n.host, port: n.port ?? defaults.port, user: n.user ?? defaults.user, identityFile: defaults.identityFile, sshConfigFile, knownHostsFile, acceptNew: o.acceptNew},
      specSsh: {host: n.host, ...(n.port ? {port: n.port} : {}), ...(n.user ? {user: n.user} : {})},
    })
  }
  if (byName.size === 0) throw new HalError('BAD_FLAG', 'no node to read', {hint: 'give --node lb1=root@10.0.0.11 (repeatable), or -s SPEC to take the nodes from', exitCode: ExitCode.BadInput})
  const hasDefaults = Object.values(defaults).some((x) => x !== undefined)
  const specSsh: Pick<ClusterSpecInput, 'defaults' | 'ssh'> = {
    ...(hasDefaults ? {defaults: {ssh: Object.fromEntries(Object.entries(defaults).filter(([, x]) => x !== undefined))}} : {}),
    ...(sshConfigFile || knownHostsFile ? {ssh: {...(sshConfigFile ? {configFile: sshConfigFile} : {}), ...(knownHostsFile ? {knownHostsFile} : {})}} : {}),
  }
  return {nodes: [...byName.values()], specSsh: Object.keys(specSsh).length ? specSsh : undefined}
}

/** `halctl import --node NAME=HOST ... [-s SPEC]`: read each node's configuration over SSH, then import it. */
export async function runRemoteImport(transport: Transport, o: RemoteImportOptions): Promise<{result: ImportCommandResult; yaml: string}> {
  const {nodes, specSsh} = await remoteNodes(o)
  const {inputs, sources} = await readRemoteConfigs(transport, nodes)
  const manage = adoptedManage(sources)
  const findings: Finding[] = []
  if (manage.firewall === false) {
    findings.push({rule: 'import-manage', severity: 'info', message: "the nodes' firewalls let VRRP in without halctl's rules: the spec leaves them alone (manage.firewall: false)", fix: 'set manage.firewall: true to have deploy add its own VRRP rules'})
  }
  if (manage.sysctls === false) {
    findings.push({rule: 'import-manage', severity: 'info', message: 'halctl has not set kernel settings on these nodes: the spec leaves them alone (manage.sysctls: false)', fix: 'set manage.sysctls: true to have deploy set ip_nonlocal_bind / ip_forward where the config needs them'})
  }
  const specExtra = {...specSsh, ...(Object.keys(manage).length ? {manage} : {})}
  const r = runImport(inputs, {out: o.out, cluster: o.cluster, force: o.force, specExtra, findings})
  return {yaml: r.yaml, result: {...r.result, sources}}
}
