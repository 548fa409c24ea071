import {createHmac, randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  hostKeyAlgorithms,
  hostKeyName,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../src/remote/known-hosts.js'

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type)
  const b = Buffer.from(body)
  const out = Buffer.alloc(8 + t.length + b.length)
  out.writeUInt32BE(t.length, 0)
  t.copy(out, 4)
  out.writeUInt32BE(b.length, 4 + t.length)
  b.copy(out, 8 + t.length)
  return out
}

const A = blob('ssh-ed25519', 'key-a')
const B = blob('ssh-ed25519', 'key-b')
const R = blob('ssh-rsa', 'key-r')

function hashed(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('known_hosts', () => {
  const text = [
    '# comment',
    `lb1,10.0.0.11 ssh-ed25519 ${A.toString('base64')}`,
    `${hashed('10.0.0.12')} ssh-ed25519 ${B.toString('base64')}`,
    `[10.0.0.13]:2222 ssh-rsa ${R.toString('base64')}`,
    `*.lab,!bad.lab ssh-ed25519 ${A.toString('base64')} wildcard`,
    `@revoked 10.0.0.14 ssh-ed25519 ${B.toString('base64')}`,
    `@cert-authority *.corp ssh-ed25519 ${B.toString('base64')}`,
    'garbage',
  ].join('\n')
  const entries = parseKnownHosts(text)

  it('parses entries with line numbers and markers', () => {
    expect(entries.map((e) => [e.line, e.marker ?? '', e.keyType])).toEqual([
      [2, '', 'ssh-ed25519'],
      [3, '', 'ssh-ed25519'],
      [4, '', 'ssh-rsa'],
      [5, '', 'ssh-ed25519'],
      [6, '@revoked', 'ssh-ed25519'],
      [7, '@cert-authority', 'ssh-ed25519'],
    ])
  })

  it('matches plain, hashed, [host]:port and wildcard host fields', () => {
    expect(checkHostKey(entries, ['10.0.0.11'], A).status).toBe('known')
    expect(checkHostKey(entries, ['10.0.0.12'], B).status).toBe('known')
    expect(checkHostKey(entries, [hostKeyName('10.0.0.13', 2222)], R).status).toBe('known')
    expect(checkHostKey(entries, ['10.0.0.13'], R).status).toBe('unknown')
    expect(checkHostKey(entries, ['web.lab'], A).status).toBe('known')
    expect(hostFieldMatches('*.lab,!bad.lab', 'bad.lab')).toBe(false)
    expect(checkHostKey(entries, ['bad.lab'], A).status).toBe('unknown')
    expect(checkHostKey(entries, ['x.corp'], B).status).toBe('unknown')
  })

  it('reports a changed key with the line to remove, and revoked keys', () => {
    const v = checkHostKey(entries, ['10.0.0.11'], B)
    expect(v.status).toBe('changed')
    expect(v.status === 'changed' && v.entry.line).toBe(2)
    const h = checkHostKey(entries, ['10.0.0.12'], A)
    expect(h.status === 'changed' && h.entry.line).toBe(3)
    expect(checkHostKey(entries, ['10.0.0.14'], B).status).toBe('revoked')
  })

  it('treats a key of another type for a known host as changed, and lists the known types', () => {
    expect(checkHostKey(entries, ['10.0.0.11'], R).status).toBe('changed')
    expect(knownKeyTypes(entries, ['[10.0.0.13]:2222'])).toEqual(['ssh-rsa'])
    expect(hostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519'])
  })

  it('reads key types and fingerprints from blobs', () => {
    expect(keyTypeOfBlob(A)).toBe('ssh-ed25519')
    expect(fingerprint(A)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
  })

  it('appends accepted keys on a new line, creating the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlt-kh-'))
    const f = join(dir, 'sub', 'known_hosts')
    await appendKnownHost(f, '10.0.0.20', 22, A)
    await appendKnownHost(f, '10.0.0.21', 2200, B)
    expect(readFileSync(f, 'utf8')).toBe(`10.0.0.20 ssh-ed25519 ${A.toString('base64')}\n[10.0.0.21]:2200 ssh-ed25519 ${B.toString('base64')}\n`)
    const g = join(dir, 'no_newline')
    writeFileSync(g, 'x ssh-ed25519 AAAA')
    await appendKnownHost(g, 'y', 22, A)
    expect(readFileSync(g, 'utf8').split('\n')).toHaveLength(3)
  })
})
