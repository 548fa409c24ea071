import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {labDown, labStatus, labUp, type LabUpResult} from '../../../src/lab/lab.js'
import {embeddedEngineFiles, startEmbeddedEngine, stopEmbeddedEngine} from '../../../src/lab/embedded.js'
import {HalError} from '../../../src/lib/errors.js'
import {findHost, isRunningInHost, listLinks, listNetns, NETNS_ETC, stopInHost} from '../../../src/lab/netns.js'

const NAME = 'x120e'
const SUBNET = '10.120.8.0/24'
const VIP = '10.120.8.100/24'
const root = join(import.meta.dirname, '..', '..', '..')
const built = existsSync(join(root, 'dist', 'commands', 'run.js'))

/** Hosts of this lab whose eth0 holds the VIP, from `ip -j addr` inside each host. */
async function vipHolders(): Promise<string[]> {
  const out: string[] = []
  for (const node of ['lb1', 'lb2']) {
    const r = await execa('ip', ['-n', `${NAME}-${node}`, '-j', 'addr', 'show', 'dev', 'eth0'], {reject: false})
    if (r.exitCode !== 0 || !r.stdout.trim()) continue
    const links = JSON.parse(r.stdout) as Array<{addr_info?: Array<{local: string; prefixlen: number}>}>
    if (links.some((l) => (l.addr_info ?? []).some((a) => `${a.local}/${a.prefixlen}` === VIP))) out.push(node)
  }
  return out
}

/** `halctl run` processes started for this lab (their argv names a config under the lab's state dir). */
async function engineProcesses(stateDir: string): Promise<string[]> {
  const ps = await execa('ps', ['-eo', 'pid=,args='], {reject: false})
  return ps.stdout.split('\n').filter((l) => l.includes(' run -f ') && l.includes(stateDir))
}

describe.skipIf(!built)('halctl lab up --engine embedded: halctl run on every host, one VIP holder, failover, clean down', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'x120e-'))
  const stateDir = join(tmp, 'lab')
  let lab: LabUpResult

  let failedUp: unknown
  let failedProgress: string[] = []

  beforeAll(async () => {
    await labDown({name: NAME, stateDir})
    // first a lab up whose engines cannot answer in time (1 ms): it must roll back and keep the logs
    await labUp({name: NAME, hosts: 2, subnet: SUBNET, engine: 'embedded', stateDir, engineTimeoutMs: 1, onProgress: (m) => failedProgress.push(m)}).catch((e: unknown) => {
      failedUp = e
    })
    lab = await labUp({name: NAME, hosts: 2, subnet: SUBNET, engine: 'embedded', stateDir})
  }, 120_000)

  it('an engine that gives no status in time: the error names the flag and a log that still exists; nothing of the lab is left', async () => {
    expect(failedUp).toBeInstanceOf(HalError)
    const e = failedUp as HalError
    expect(e.code).toBe('LAB_ENGINE_START')
    expect(e.message).toMatch(/halctl run on lab host lb[12] gave no status within 1 ms/)
    expect(e.hint).toContain('--engine-timeout')
    // the rollback removed the state dir, but the log the error names was kept beside it
    const kept = `${stateDir}.failed`
    expect(e.where?.startsWith(`${kept}/hosts/lb`) && e.where.endsWith('/halctl-run.log')).toBe(true)
    expect(existsSync(e.where!)).toBe(true)
    expect(existsSync(join(kept, 'hosts', 'lb1', 'sshd.log'))).toBe(true)
    expect(failedProgress).toContain(`the hosts' logs are kept in ${kept}`)
    // and the second lab up (already done) found nothing of the first in its way
    expect(lab.name).toBe(NAME)
  })

  it('an engine that exits at once: the error quotes its log and says it exited', async () => {
    const host = (await findHost(NAME, 'lb1'))!
    const files = {...embeddedEngineFiles(join(stateDir, 'hosts', 'lb1', 'exit-test'), host.netns), statusSocketOutside: join(tmp, 'no.sock')}
    mkdirSync(join(stateDir, 'hosts', 'lb1', 'exit-test'))
    const e = await startEmbeddedEngine(host, files, ['sh', '-c', 'echo "config: no such file" >&2; exit 1'], {timeoutMs: 10_000}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(HalError)
    expect((e as HalError).message).toBe('halctl run exited on lab host lb1 before it answered on its status socket: config: no such file')
    expect((e as HalError).where).toBe(files.log)
  }, 20_000)

  afterAll(async () => {
    await labDown({name: NAME, stateDir})
    rmSync(tmp, {recursive: true, force: true})
  }, 60_000)

  it('starts one engine per host from the rendered spec; exactly one host holds the VIP; lab status agrees', async () => {
    expect(lab.engine).toBe('embedded')
    expect(lab.vip).toBe(VIP)
    expect(await engineProcesses(stateDir)).toHaveLength(2)
    // the initial election takes Master_Down_Interval (about 3.6 s at advert_int 1); the spec gives
    // lb1 the higher priority, so when lb2's engine got there first (a busy machine) lb1 preempts it
    const holder = 'lb1'
    await expect.poll(vipHolders, {timeout: 15_000, interval: 200}).toEqual([holder])
    const status = await labStatus({name: NAME, stateDir})
    expect(status.engine).toBe('embedded')
    expect(status.vipHolders).toEqual([holder])
    for (const h of status.hosts) {
      expect(h.embedded?.running).toBe(true)
      expect(h.embedded?.instances[`VI_${NAME}`]).toBe(h.name === holder ? 'MASTER' : 'BACKUP')
      expect(h.keepalived).toBe(false)
    }
  }, 30_000)

  it('the VIP moves to the other host when the master engine is killed', async () => {
    const [master] = await vipHolders()
    const other = master === 'lb1' ? 'lb2' : 'lb1'
    const pidFile = join(stateDir, 'hosts', master, 'halctl-run.pid')
    // the pid file holds the pid in the host's own PID namespace: signal it from inside the host
    const host = await findHost(NAME, master)
    expect(host?.anchorPid).toBeGreaterThan(0)
    expect(await stopInHost(host!, pidFile, 'TERM')).toBe(true)
    await expect.poll(vipHolders, {timeout: 10_000, interval: 100}).toEqual([other])
    const status = await labStatus({name: NAME, stateDir})
    expect(status.vipHolders).toEqual([other])
    expect(status.hosts.find((h) => h.name === master)?.embedded?.running).toBe(false)
    expect(status.hosts.find((h) => h.name === other)?.embedded?.instances[`VI_${NAME}`]).toBe('MASTER')
  }, 30_000)

  it('an engine that does not stop on SIGTERM is killed after the bounded wait', async () => {
    const [master] = await vipHolders()
    const host = (await findHost(NAME, master))!
    const files = {pidFile: join(stateDir, 'hosts', master, 'halctl-run.pid')}
    // a stopped process cannot act on SIGTERM; only SIGKILL ends it
    expect(await stopInHost(host, files.pidFile, 'STOP')).toBe(true)
    const t0 = Date.now()
    expect(await stopEmbeddedEngine(host, files, 1000)).toBe(true)
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(1000)
    expect(took).toBeLessThan(5000)
    await expect.poll(() => isRunningInHost(host, files.pidFile), {timeout: 2000, interval: 100}).toBe(false)
  }, 30_000)

  it('lab down leaves no namespace, link, halctl run process or /etc/netns dir of the lab', async () => {
    const down = await labDown({name: NAME, stateDir})
    expect(down.found).toBe(true)
    expect(down.removedHosts.sort()).toEqual([`${NAME}-lb1`, `${NAME}-lb2`])
    expect((await listNetns()).filter((n) => n.startsWith(`${NAME}-`))).toEqual([])
    expect((await listLinks()).filter((l) => l.startsWith(`${NAME}-`))).toEqual([])
    expect(await engineProcesses(stateDir)).toEqual([])
    const etc = existsSync(NETNS_ETC) ? readdirSync(NETNS_ETC) : []
    expect(etc.filter((d) => d.startsWith(`${NAME}-`))).toEqual([])
    expect(existsSync(stateDir)).toBe(false)
  }, 60_000)
})

if (!built) it.skip('halctl lab up --engine embedded needs the built CLI: dist/commands/run.js is missing (scripts/test.sh builds before the lab tests)', () => {})
