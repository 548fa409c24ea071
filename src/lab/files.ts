/**
 * Text of the files a lab writes, pure: the cluster spec, the client
 * ssh_config and known_hosts, and each host's sshd_config.
 */
import {stringify} from 'yaml'
import type {LabPlan} from './plan.js'

export interface LabFilePaths {
  stateDir: string
  spec: string
  sshConfig: string
  knownHosts: string
  /** client private key (its .pub is the authorized key) */
  identityFile: string
  authorizedKeys: string
}

/** The ready cluster spec for the lab (spec-shape agreed with the spec owner). */
export function renderLabSpec(plan: LabPlan, paths: LabFilePaths): string {
  const spec = {
    cluster: plan.name,
    preset: 'active-passive',
    defaults: {interface: 'eth0', ssh: {user: 'root', port: 22, identityFile: paths.identityFile}},
    ssh: {configFile: paths.sshConfig, knownHostsFile: paths.knownHosts},
    nodes: plan.hosts.map((h) => ({name: h.name, address: h.address})),
    instances: [{name: `VI_${plan.name}`, vrid: 'auto', vips: [plan.vip], advertInt: 1}],
  }
  return `# halctl lab "${plan.name}": ${plan.hosts.length} hosts on ${plan.subnet}, written by \`halctl lab up\`\n${stringify(spec)}`
}

/** OpenSSH client config: one Host block per lab host (usable with `ssh -F` and by halctl). */
export function renderSshConfig(plan: LabPlan, paths: LabFilePaths): string {
  const blocks = plan.hosts.map((h) =>
    [
      `Host ${h.name} ${h.address}`,
      `  HostName ${h.address}`,
      '  User root',
      '  Port 22',
      `  IdentityFile ${paths.identityFile}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${paths.knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  ConnectTimeout 5',
    ].join('\n'),
  )
  return `# halctl lab "${plan.name}"\n${blocks.join('\n\n')}\n`
}

/** "ssh-ed25519 AAAA... comment" -> "ssh-ed25519 AAAA..." */
export function publicKeyBody(pub: string): string {
  const [type, key] = pub.trim().split(/\s+/)
  return `${type} ${key}`
}

/** known_hosts lines: each host under its name and address (port 22, so no [host]:port form). */
export function renderKnownHosts(entries: Array<{name: string; address: string; publicKey: string}>): string {
  return entries.map((e) => `${e.name},${e.address} ${publicKeyBody(e.publicKey)}`).join('\n') + '\n'
}

export interface SshdFiles {
  config: string
  hostKey: string
  pidFile: string
  logFile: string
}

/** sshd_config for one lab host: key-only root login on its lab address, files under the state dir. */
export function renderSshdConfig(address: string, files: SshdFiles, authorizedKeys: string): string {
  return [
    `ListenAddress ${address}`,
    'Port 22',
    `HostKey ${files.hostKey}`,
    `PidFile ${files.pidFile}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'MaxSessions 64',
    'MaxStartups 64:30:128',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n')
}
