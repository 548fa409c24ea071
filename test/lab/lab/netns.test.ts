import {execa} from 'execa'
import {existsSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  createBridge,
  createHost,
  destroyPrefix,
  execInHost,
  findHost,
  isRunningInHost,
  listLinks,
  listNetns,
  startInHost,
  stopInHost,
  type LabHost,
} from '../../../src/lab/netns.js'

const PREFIX = 'hltn'

describe('lab netns primitives', () => {
  let a: LabHost
  let b: LabHost

  beforeAll(async () => {
    await destroyPrefix(PREFIX)
    await createBridge(PREFIX, {controlAddresses: ['10.202.3.1/24', 'fd00:202:3::1/64']})
    a = await createHost({prefix: PREFIX, name: 'a', addresses: ['10.202.3.11/24', 'fd00:202:3::11/64']})
    b = await createHost({prefix: PREFIX, name: 'b', addresses: ['10.202.3.12/24']})
  })

  afterAll(async () => {
    await destroyPrefix(PREFIX)
  })

  it('gives each host its own hostname, /etc/keepalived, /run and process list', async () => {
    expect((await execInHost(a, ['hostname'])).stdout.trim()).toBe('a')
    expect((await execInHost(b, ['hostname'])).stdout.trim()).toBe('b')
    expect((await execInHost(a, ['cat', '/etc/hostname'])).stdout.trim()).toBe('a')
    await execInHost(a, ['sh', '-c', 'echo only-a > /etc/keepalived/marker; echo run-a > /run/marker'])
    expect((await execInHost(a, ['cat', '/etc/keepalived/marker'])).stdout.trim()).toBe('only-a')
    expect((await execInHost(b, ['test', '-e', '/etc/keepalived/marker'], {reject: false})).exitCode).not.toBe(0)
    expect((await execInHost(b, ['test', '-e', '/run/marker'], {reject: false})).exitCode).not.toBe(0)
    expect(existsSync('/etc/keepalived/marker')).toBe(false)
    await startInHost(a, ['sleep', '300'], {pidFile: '/run/sleeper.pid'})
    expect((await execInHost(a, ['pgrep', '-x', 'sleep'], {reject: false})).stdout.trim()).not.toBe('')
    expect(await isRunningInHost(a, '/run/sleeper.pid')).toBe(true)
    // b sees only its own anchor's sleep 3600, never a's sleep 300
    expect((await execInHost(b, ['pgrep', '-f', 'sleep 300'], {reject: false})).stdout.trim()).toBe('')
    expect(await stopInHost(a, '/run/sleeper.pid')).toBe(true)
  })

  it('connects hosts and the control address over the bridge, IPv4 and IPv6', async () => {
    const server = "require('net').createServer((s) => s.end(require('os').hostname())).listen(7000, '::')"
    await startInHost(b, [process.execPath, '-e', server], {pidFile: '/run/tcp.pid'})
    await startInHost(a, [process.execPath, '-e', server], {pidFile: '/run/tcp.pid'})
    const client = (host: string) =>
      `const s = require('net').connect(7000, '${host}'); let d=''; s.on('data', (c) => d += c); s.on('end', () => { console.log(d); process.exit(0) }); s.on('error', (e) => { console.error(e.message); process.exit(1) })`
    await expect.poll(async () => (await execInHost(a, [process.execPath, '-e', client('10.202.3.12')], {reject: false})).stdout.trim(), {timeout: 5000}).toBe('b')
    const fromRoot = async (addr: string) => (await execa(process.execPath, ['-e', client(addr)], {reject: false, timeout: 5000})).stdout.trim()
    await expect.poll(() => fromRoot('10.202.3.11'), {timeout: 5000}).toBe('a')
    await expect.poll(() => fromRoot('fd00:202:3::11'), {timeout: 5000}).toBe('a')
  })

  it('keeps nftables rulesets per host', async () => {
    await execInHost(a, ['nft', 'add table inet hlt_only_a'])
    expect((await execInHost(a, ['nft', 'list', 'tables'])).stdout).toContain('hlt_only_a')
    expect((await execInHost(b, ['nft', 'list', 'tables'])).stdout).not.toContain('hlt_only_a')
  })

  it('finds a host from names alone', async () => {
    const h = await findHost(PREFIX, 'a')
    expect(h?.anchorPid).toBe(a.anchorPid)
    expect(h?.addresses).toContain('10.202.3.11/24')
  })

  it('destroys everything with the prefix, twice', async () => {
    await destroyPrefix(PREFIX)
    await destroyPrefix(PREFIX)
    expect((await listNetns()).filter((n) => n.startsWith(`${PREFIX}-`))).toEqual([])
    expect((await listLinks()).filter((n) => n.startsWith(`${PREFIX}-`))).toEqual([])
    expect(existsSync(`/etc/netns/${PREFIX}-a`)).toBe(false)
    expect(existsSync(`/run/halctl-lab/hosts/${PREFIX}-a`)).toBe(false)
    const ps = await execa('pgrep', ['-f', 'sleep 300'], {reject: false})
    expect(ps.stdout.trim()).toBe('')
  })
})
