/**
 * keepalived.conf file -> the engine's config, through the shared parser.
 * Error diagnostics stop the engine (as `keepalived -t` would); warnings are
 * returned for the caller to show.
 */
import {parseKeepalivedFile} from '../keepalived/parse/index.js'
import type {KeepalivedConfig} from '../keepalived/model.js'
import type {Finding} from '../lint/types.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {statSync} from 'node:fs'
import {engineConfig, type EngineConfig} from './config.js'
import {netNamespace} from './unsupported.js'

export interface LoadedConfig {
  /** the parsed model (virtual_server blocks go to the userspace IPVS) */
  config: KeepalivedConfig
  engine: EngineConfig
  warnings: Finding[]
  files: string[]
}

export function loadEngineConfig(path: string, configId?: string): LoadedConfig {
  const parsed = parseKeepalivedFile(path, configId ? {configId} : {})
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length > 0) {
    const e = errors[0]
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''
    throw new HalError('ENGINE_CONFIG', `${e.message}${more}`, {
      where: e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : path,
      hint: e.fix ?? `run \`halctl lint ${path}\` for every finding`,
      exitCode: ExitCode.BadInput,
    })
  }
  const ns = netNamespace(parsed.config)
  if (ns && !inNamespace(ns.name)) {
    // keepalived enters it; running here instead would elect and add the addresses in the wrong namespace
    throw new HalError('ENGINE_NETNS', `net_namespace ${ns.name}: halctl run does not enter network namespaces, and this process runs outside ${ns.name}`, {
      where: ns.loc ? `${ns.loc.file}:${ns.loc.line}` : path,
      hint: `start it inside the namespace: ip netns exec ${ns.name} halctl run -f ${path}`,
      exitCode: ExitCode.BadInput,
    })
  }
  const engine = engineConfig(parsed.config)
  if (engine.instances.length === 0 && parsed.config.virtualServers.length === 0) {
    throw new HalError('ENGINE_NO_INSTANCE', `${path} has no vrrp_instance or virtual_server to run`, {
      hint: 'add a vrrp_instance block (halctl init writes one), or check @config-id lines with --config-id',
      exitCode: ExitCode.BadInput,
    })
  }
  const engineWarnings: Finding[] = engine.warnings.map((w) => ({
    rule: 'engine',
    severity: 'warning',
    message: w.message,
    ...(w.loc ? {file: w.loc.file, line: w.loc.line} : {}),
  }))
  return {config: parsed.config, engine, warnings: [...parsed.diagnostics.filter((d) => d.severity !== 'error'), ...engineWarnings], files: parsed.files}
}

/** Whether this process runs in the named network namespace (`ip netns` names are under /run/netns). */
function inNamespace(name: string): boolean {
  try {
    const a = statSync(`/run/netns/${name}`)
    const b = statSync('/proc/self/ns/net')
    return a.ino === b.ino && a.dev === b.dev
  } catch {
    return false
  }
}
