/**
 * Text of the files a lab writes, pure: the cluster spec, the client
 * ssh_config and known_hosts, each host's sshd_config, and the per-host
 * account files (passwd, group, shadow, sudoers.d) of the lab's login users.
 */
import {stringify} from 'yaml'
import {HalError} from '../lib/errors.js'
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

/** The ready cluster spec for the lab (spec-shape agreed with the spec owner); nodes are logged in to as `user`. */
export function renderLabSpec(plan: LabPlan, paths: LabFilePaths, user = 'root'): string {
  const spec = {
    cluster: plan.name,
    preset: 'active-passive',
    defaults: {interface: 'eth0', ssh: {user, port: 22, identityFile: paths.identityFile}},
    ssh: {configFile: paths.sshConfig, knownHostsFile: paths.knownHosts},
    nodes: plan.hosts.map((h) => ({name: h.name, address: h.address})),
    instances: [{name: `VI_${plan.name}`, vrid: 'auto', vips: [plan.vip], advertInt: 1}],
  }
  return `# halctl lab "${plan.name}": ${plan.hosts.length} hosts on ${plan.subnet}, written by \`halctl lab up\`\n${stringify(spec)}`
}

/** OpenSSH client config: one Host block per lab host (usable with `ssh -F` and by halctl), logging in as `user`. */
export function renderSshConfig(plan: LabPlan, paths: LabFilePaths, user = 'root'): string {
  const blocks = plan.hosts.map((h) =>
    [
      `Host ${h.name} ${h.address}`,
      `  HostName ${h.address}`,
      `  User ${user}`,
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

/**
 * sshd_config for one lab host: key-only login on its lab address, files under
 * the state dir. root reads the lab's authorized_keys file; a lab login user
 * (who cannot read that root-only file) reads ~/.ssh/authorized_keys in its home.
 */
export function renderSshdConfig(address: string, files: SshdFiles, authorizedKeys: string): string {
  return [
    `ListenAddress ${address}`,
    'Port 22',
    `HostKey ${files.hostKey}`,
    `PidFile ${files.pidFile}`,
    `AuthorizedKeysFile ${authorizedKeys} .ssh/authorized_keys`,
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

// ---------------------------------------------------------------- login users

/** What a lab login user may do as root: sudo without a password, or nothing. */
export type LabSudo = 'nopasswd' | 'none'

export interface LabUserEntry {
  name: string
  /** uid, and gid of the user's own group */
  uid: number
  sudo: LabSudo
  /** home directory as seen inside the host */
  home: string
}

export const USER_NAME_RE = /^[a-z_][a-z0-9_-]{0,30}$/
/** first uid/gid tried for lab users (above the usual ranges of system and regular accounts) */
export const LAB_FIRST_ID = 4200
/** sudo's log inside each host (its /run, so per host): one line per command run or refused */
export const LAB_SUDO_LOG = '/run/sudo.log'
/** the sudoers.d file the lab adds */
export const LAB_SUDOERS_FILE = 'halctl-lab'

const LAB_SUDO_VALUES: readonly LabSudo[] = ['nopasswd', 'none']

/** `lab up --user NAME[:nopasswd|none]` -> a lab user (passwordless sudo unless :none). */
export function parseLabUserFlag(text: string): {name: string; sudo: LabSudo} {
  const [name, sudo = 'nopasswd', ...rest] = text.split(':')
  if (!USER_NAME_RE.test(name) || rest.length > 0 || !LAB_SUDO_VALUES.includes(sudo as LabSudo))
    throw new HalError('LAB_BAD_USER', `--user ${text} is not NAME[:nopasswd|none]`, {
      hint: 'e.g. --user ops (passwordless sudo) or --user guest:none (no sudo rights); names are lowercase letters, digits, _ or -',
    })
  return {name, sudo: sudo as LabSudo}
}

const names = (table: string): Set<string> => new Set(table.split('\n').filter(Boolean).map((l) => l.split(':')[0]))
const ids = (table: string, field: number): Set<number> => new Set(table.split('\n').filter(Boolean).map((l) => Number(l.split(':')[field])))

/**
 * uids for the lab users: the first ids from LAB_FIRST_ID that are neither a
 * uid in passwd nor a gid in group, so files the users own never look like a
 * machine account's. Throws when a name is unusable or already taken.
 */
export function allocateUserIds(passwd: string, group: string, users: Array<{name: string}>): number[] {
  const taken = new Set([...names(passwd), ...names(group)])
  const seen = new Set<string>()
  for (const u of users) {
    if (!USER_NAME_RE.test(u.name) || taken.has(u.name) || seen.has(u.name) || u.name === 'root')
      throw new HalError('LAB_BAD_USER', `lab user name "${u.name}" is not usable${taken.has(u.name) ? ': this machine already has that user or group' : ''}`, {
        hint: 'use a new name of lowercase letters, digits, _ or -, starting with a letter',
      })
    seen.add(u.name)
  }
  const used = new Set([...ids(passwd, 2), ...ids(group, 2)])
  const out: number[] = []
  for (let id = LAB_FIRST_ID; out.length < users.length; id++) if (!used.has(id)) out.push(id)
  return out
}

const withLines = (table: string, lines: string[]): string => (table.endsWith('\n') || table === '' ? table : `${table}\n`) + lines.map((l) => `${l}\n`).join('')

/**
 * A host's passwd, group and shadow: the machine's, with the lab users
 * appended. The shadow password is "*" (no password, not locked: key login works).
 */
export function renderUserTables(machine: {passwd: string; group: string; shadow: string}, users: LabUserEntry[], today = Math.floor(Date.now() / 86_400_000)): {passwd: string; group: string; shadow: string} {
  return {
    passwd: withLines(machine.passwd, users.map((u) => `${u.name}:x:${u.uid}:${u.uid}:halctl lab user:${u.home}:/bin/bash`)),
    group: withLines(machine.group, users.map((u) => `${u.name}:x:${u.uid}:`)),
    shadow: withLines(machine.shadow, users.map((u) => `${u.name}:*:${today}:0:99999:7:::`)),
  }
}

/** The lab's sudoers.d file: every lab user's sudo use logged in the host; NOPASSWD: ALL for those granted it. */
export function renderSudoers(users: LabUserEntry[]): string {
  const lines = ['# halctl lab login users']
  // one line per entry (no word wrap), so the log can be read line by line
  for (const u of users) lines.push(`Defaults:${u.name} logfile=${LAB_SUDO_LOG}, loglinelen=0`)
  for (const u of users) if (u.sudo === 'nopasswd') lines.push(`${u.name} ALL=(ALL:ALL) NOPASSWD: ALL`)
  return lines.join('\n') + '\n'
}
