/**
 * known_hosts, as OpenSSH writes it: plain and hashed (|1|salt|hash) host
 * fields, patterns with * ? and !negation, [host]:port for non-22 ports,
 * @revoked and @cert-authority markers. Pure parsing and lookup; reading
 * and appending the file are the only effects, at the end of the module.
 */
import {createHash, createHmac} from 'node:crypto'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import {dirname} from 'node:path'

export interface KnownHostEntry {
  /** 1-based line number in the file */
  line: number
  marker?: '@revoked' | '@cert-authority'
  /** the host field as written (comma-separated patterns, or a |1| hash) */
  hosts: string
  keyType: string
  /** base64 key blob */
  key: string
}

export type HostKeyVerdict =
  | {status: 'known'; entry: KnownHostEntry}
  | {status: 'unknown'}
  | {status: 'changed'; entry: KnownHostEntry}
  | {status: 'revoked'; entry: KnownHostEntry}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const parts = line.split(/\s+/)
    let marker: KnownHostEntry['marker']
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') marker = parts.shift() as KnownHostEntry['marker']
    else if (parts[0].startsWith('@')) return
    if (parts.length < 3) return
    out.push({line: i + 1, marker, hosts: parts[0], keyType: parts[1], key: parts[2]})
  })
  return out
}

/** The host string OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
export function hostKeyName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`
}

function globToRegExp(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')
}

/** Does a known_hosts host field match the looked-up name? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|')
    if (!salt || !hash) return false
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return mac === hash
  }
  let matched = false
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) {
      if (globToRegExp(pat.slice(1)).test(name)) return false
    } else if (globToRegExp(pat).test(name)) matched = true
  }
  return matched
}

/** The key type inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return ''
  const n = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + n).toString('latin1')
}

/** OpenSSH-style fingerprint: SHA256:<base64 without padding>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** Verdict for a presented host key; `names` are the host strings to look up (e.g. the HostName and the alias). */
export function checkHostKey(entries: KnownHostEntry[], names: string[], blob: Buffer): HostKeyVerdict {
  const key = blob.toString('base64')
  const relevant = entries.filter((e) => e.marker !== '@cert-authority' && names.some((n) => hostFieldMatches(e.hosts, n)))
  const revoked = relevant.find((e) => e.marker === '@revoked' && e.key === key)
  if (revoked) return {status: 'revoked', entry: revoked}
  const plain = relevant.filter((e) => e.marker === undefined)
  const known = plain.find((e) => e.key === key)
  if (known) return {status: 'known', entry: known}
  const type = keyTypeOfBlob(blob)
  const changed = plain.find((e) => e.keyType === type) ?? plain[0]
  return changed ? {status: 'changed', entry: changed} : {status: 'unknown'}
}

/** Key types recorded for a host (to ask the server for one of those). */
export function knownKeyTypes(entries: KnownHostEntry[], names: string[]): string[] {
  const types = entries.filter((e) => e.marker === undefined && names.some((n) => hostFieldMatches(e.hosts, n))).map((e) => e.keyType)
  return [...new Set(types)]
}

/** ssh2 serverHostKey algorithm names for known_hosts key types. */
export function hostKeyAlgorithms(types: string[]): string[] {
  const out: string[] = []
  for (const t of types) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa')
    else out.push(t)
  }
  return [...new Set(out)]
}

export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${hostKeyName(host, port)} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'))
  } catch {
    return []
  }
}

/** Append a host key (accept-new), creating the file and its directory when missing. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  let prefix = ''
  try {
    const cur = await readFile(file, 'utf8')
    if (cur.length > 0 && !cur.endsWith('\n')) prefix = '\n'
  } catch {
    // new file
  }
  await appendFile(file, `${prefix}${knownHostsLine(host, port, blob)}\n`, {mode: 0o600})
}
