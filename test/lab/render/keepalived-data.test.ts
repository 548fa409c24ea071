import {execa, type ResultPromise} from 'execa'
import {randomBytes} from 'node:crypto'
import {chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DUMP_SCRIPT, dumpRouterId, parseKeepalivedData} from '../../../src/status/keepalived-data.js'

/**
 * status reads keepalived's state dump only when keepalived wrote it after our
 * signal: a real keepalived (in a scratch namespace, its own pid file, its
 * TMPDIR a private directory) is read; a planted, stale or foreign file never is.
 */
const dumpVia = (pidFile: string) => execa('sh', ['-c', DUMP_SCRIPT, 'halctl-dump', pidFile, 'none'], {reject: false, timeout: 20_000})

describe('reading keepalived.data safely', () => {
  const ns = `x13k${randomBytes(3).toString('hex')}`
  let scratch: string
  let daemon: ResultPromise | undefined
  const priv = () => join(scratch, 'private')
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'halctl-x13k-'))
    chmodSync(scratch, 0o755)
    mkdirSync(priv(), {mode: 0o700})
    await execa('ip', ['netns', 'add', ns])
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await execa('ip', ['-n', ns, 'link', 'add', 'x13d0', 'type', 'veth', 'peer', 'name', 'x13p0'])
    await execa('ip', ['-n', ns, 'link', 'set', 'x13d0', 'up'])
    await execa('ip', ['-n', ns, 'addr', 'add', '10.113.3.1/24', 'dev', 'x13d0'])
    writeFileSync(
      join(scratch, 'k.conf'),
      'global_defs {\n    router_id x13_lb1\n}\nvrrp_instance VI_x13 {\n    state BACKUP\n    interface x13d0\n    virtual_router_id 113\n    priority 100\n    advert_int 60\n    virtual_ipaddress {\n        10.113.3.100/24\n    }\n}\n',
    )
    daemon = execa('ip', ['netns', 'exec', ns, 'keepalived', '-f', join(scratch, 'k.conf'), '-n', '-P', '--no-syslog', '-p', join(scratch, 'k.pid'), '-r', join(scratch, 'v.pid')], {
      reject: false,
      env: {TMPDIR: priv()},
    })
    for (let i = 0; i < 100; i++) {
      try {
        if (readFileSync(join(scratch, 'k.pid'), 'utf8').trim()) break
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  })
  afterAll(async () => {
    daemon?.kill('SIGTERM')
    await daemon
    await execa('ip', ['netns', 'del', ns], {reject: false})
    rmSync(scratch, {recursive: true, force: true})
  })

  it("reads a fresh dump from the daemon's private TMPDIR, never through a link planted there", async () => {
    const victim = join(scratch, 'victim')
    writeFileSync(victim, 'precious\n')
    symlinkSync(victim, join(priv(), 'keepalived.data'))
    const r = await dumpVia(join(scratch, 'k.pid'))
    expect(r.exitCode, r.stderr).toBe(0)
    expect(dumpRouterId(r.stdout)).toBe('x13_lb1')
    expect(parseKeepalivedData(r.stdout).map((i) => i.name)).toEqual(['VI_x13'])
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    // twice in a row: each read is its own fresh dump
    expect((await dumpVia(join(scratch, 'k.pid'))).exitCode).toBe(0)
  })

  it('refuses a dump directory other users may write into (not sticky)', async () => {
    chmodSync(priv(), 0o777)
    try {
      expect((await dumpVia(join(scratch, 'k.pid'))).exitCode).toBe(5)
    } finally {
      chmodSync(priv(), 0o700)
    }
  })

  it('never returns a stale or planted file when keepalived does not write one', async () => {
    // a process that is named keepalived but writes nothing (dies on SIGUSR1)
    const fakeDir = join(scratch, 'fake')
    mkdirSync(fakeDir)
    copyFileSync('/usr/bin/sleep', join(fakeDir, 'keepalived'))
    chmodSync(join(fakeDir, 'keepalived'), 0o755)
    const fakeTmp = join(scratch, 'faketmp')
    mkdirSync(fakeTmp, {mode: 0o1777})
    chmodSync(fakeTmp, 0o1777)
    const planted = join(fakeTmp, 'keepalived.data')
    writeFileSync(planted, '------< Global definitions >------\n Router ID = x13_lb1\n------< VRRP Topology >------\n VRRP Instance = VI_x13\n   State = MASTER\n')
    chownSync(planted, 65534, 65534)
    const fake = execa(join(fakeDir, 'keepalived'), ['30'], {reject: false, env: {TMPDIR: fakeTmp}})
    writeFileSync(join(scratch, 'fake.pid'), `${fake.pid}\n`)
    const r = await dumpVia(join(scratch, 'fake.pid'))
    fake.kill('SIGKILL')
    await fake
    expect(r.exitCode).toBe(7)
    expect(r.stdout).toBe('')
    // a pid that is not keepalived at all is not signalled
    const other = execa('sleep', ['30'], {reject: false})
    writeFileSync(join(scratch, 'other.pid'), `${other.pid}\n`)
    expect((await dumpVia(join(scratch, 'other.pid'))).exitCode).toBe(3)
    other.kill('SIGKILL')
    await other
  })
})
