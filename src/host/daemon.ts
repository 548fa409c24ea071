import {KEEPALIVED_CONF} from './paths.js'
import type {DaemonPathsSpec} from '../spec/schema.js'

/** Where the configured file came from: the spec's keepalived.config, the daemon (its argv, options file, unit), a source install's default, or the standard path. */
export type DaemonConfigSource = 'spec' | 'process arguments' | 'options file' | 'unit ExecStart' | 'source install default' | 'standard'

/** The keepalived a node runs or will run: its binary and the config file it reads, which deploy writes and status compares. */
export interface DaemonTarget {
  /** absolute path; undefined: none found (deploy installs the package) */
  binary?: string
  config: string
  from: DaemonConfigSource
  /** the spec's paths disagree with what the running daemon reads: deploy refuses, with what to do */
  problem?: string
}

/** What the node's facts say of its keepalived (see NodeFacts.keepalived). */
export interface DetectedDaemon {
  running: boolean
  args?: string[]
  binary?: string
  configFile?: {path: string; from: Exclude<DaemonConfigSource, 'spec' | 'standard'>}
}

/**
 * The binary and config file to deploy to. The spec (defaults.keepalived,
 * nodes[].keepalived) wins; without it, the file the daemon is found to read
 * (its own -f, the options file, the unit's ExecStart, a /usr/local install's
 * default), else /etc/keepalived/keepalived.conf. A running daemon that reads
 * another file than the spec names is a problem: writing the spec's file
 * would change nothing it runs. Pure.
 */
export function daemonTarget(spec: DaemonPathsSpec | undefined, found: DetectedDaemon): DaemonTarget {
  const binary = spec?.binary ?? found.binary
  const detected = found.configFile
  if (!spec?.config) {
    return {...(binary ? {binary} : {}), ...(detected ? {config: detected.path, from: detected.from} : {config: KEEPALIVED_CONF, from: 'standard'})}
  }
  const target: DaemonTarget = {...(binary ? {binary} : {}), config: spec.config, from: 'spec'}
  // only the daemon's own argv says for sure what it reads now
  if (found.running && found.args) {
    const reads = detected?.from === 'process arguments' || detected?.from === 'source install default' ? detected.path : KEEPALIVED_CONF
    if (reads !== spec.config) {
      target.problem = `keepalived on the node runs with ${reads} (its process arguments: ${found.args.join(' ').slice(0, 200)}), but the spec's keepalived.config is ${spec.config}: writing it would change nothing the daemon runs; set keepalived.config (defaults or the node) to ${reads}, or restart keepalived with -f ${spec.config}, then deploy`
    }
  }
  return target
}
