import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {appendLine, backupDir, rewriteInPlace, withDeadlines} from '../../../src/deploy/remote-ops.js'
import {shellJoin} from '../../../src/remote/shell.js'
import type {ExecResult, RemoteHost} from '../../../src/remote/types.js'

/** This machine as a RemoteHost: argv goes through a real sh, as sshd would run it. */
const local: RemoteHost = {
  name: 'local',
  address: '127.0.0.1',
  isRoot: true,
  async exec(argv, opts): Promise<ExecResult> {
    try {
      const stdout = execFileSync('sh', ['-c', shellJoin(argv)], {input: opts?.stdin, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']})
      return {stdout, stderr: '', code: 0}
    } catch (e) {
      const err = e as {status?: number; stderr?: string}
      return {stdout: '', stderr: String(err.stderr ?? ''), code: err.status ?? -1}
    }
  },
  stream: () => Promise.reject(new Error('no stream')),
  readFile: async (p) => (existsSync(p) ? readFileSync(p) : undefined),
  writeFile: async (p, c) => writeFileSync(p, c),
  close: async () => undefined,
}

const dir = mkdtempSync(join(tmpdir(), 'halctl-ops-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('remote operations, run by a real shell', () => {
  it('backupDir copies the directory without halctl entries and keeps the newest N backups', async () => {
    const kd = join(dir, 'keepalived')
    mkdirSync(join(kd, 'scripts'), {recursive: true})
    mkdirSync(join(kd, '.halctl-stage-x'))
    writeFileSync(join(kd, 'keepalived.conf'), 'conf\n')
    writeFileSync(join(kd, 'scripts', 'chk.sh'), 'exit 0\n')
    const backups = join(kd, '.halctl-backups')
    for (let i = 10; i < 14; i++) mkdirSync(join(backups, `202611${i}T000000Z`), {recursive: true})
    expect(await backupDir(local, kd, join(backups, '20261130T000000Z'), 3)).toBe(true)
    expect(readdirSync(backups).sort()).toEqual(['20261112T000000Z', '20261113T000000Z', '20261130T000000Z'])
    expect(readdirSync(join(backups, '20261130T000000Z')).sort()).toEqual(['keepalived.conf', 'scripts'])
    expect(await backupDir(local, join(dir, 'absent'), join(dir, 'absent', '.halctl-backups', 'x'))).toBe(false)
  })

  it('appendLine and rewriteInPlace take hostile text as data', async () => {
    const f = join(dir, 'nftables.conf')
    writeFileSync(f, 'flush ruleset\n')
    const line = `include "/x"; $(touch ${dir}/pwned) \`id\` '`
    await appendLine(local, f, line)
    expect(readFileSync(f, 'utf8')).toBe(`flush ruleset\n${line}\n`)
    await rewriteInPlace(local, f, 'flush ruleset\n')
    expect(readFileSync(f, 'utf8')).toBe('flush ruleset\n')
    expect(existsSync(join(dir, 'pwned'))).toBe(false)
  })

  it('withDeadlines turns a call that never answers into an error', async () => {
    const stuck: RemoteHost = {...local, readFile: () => new Promise(() => undefined)}
    await expect(withDeadlines(stuck, 100).readFile('/etc/hostname')).rejects.toThrow(/reading \/etc\/hostname on local: no answer within 100ms/)
    expect((await withDeadlines(local, 1000).exec(['echo', 'ok'])).stdout).toBe('ok\n')
  })
})
