/**
 * deploy is a transaction: a fault matrix on a real 2-node lab (real sshd,
 * keepalived and nftables). After every fault, each node is checked with the
 * real tools, never with halctl: keepalived's own state dump (SIGUSR1), `ip
 * addr`, `nft list ruleset`, the bytes of every file under /etc/keepalived,
 * and no staging directory left. Faults × steps (each fault and each step at
 * least once): a config that passes keepalived -t but does not converge
 * (converge), chattr +i (write), a full disk (backup), SIGINT to the process
 * group (upload, service, converge with a second Ctrl-C), sshd sessions killed
 * (validate while keepalived -t runs, firewall while nft -f runs, sysctl after
 * sysctl -w, service at the reload and at the start of a stopped keepalived,
 * and during the rollback itself), a second deploy during the first
 * (converge), SIGKILL then a new run (stale lock, stale stage dir).
 */
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import type {DeployCommandResult} from '../../../src/commands/deploy.js'
import type {StatusCommandResult} from '../../../src/commands/status.js'
import {execInHost} from '../../../src/lab/netns.js'
import type {RemoteHost, SshTarget, Transport} from '../../../src/remote/types.js'
import {settle, startLab, type Lab} from './lab-fixture.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'x112a'
const SUBNET = '10.112.1.0/24'
const ROOT = join(import.meta.dirname, '..', '..', '..')

interface Truth {
  /** sha256 of every file under /etc/keepalived (backups left out), as the host sees it */
  files: string
  /** entries of /etc/keepalived named like a staging dir */
  stages: string
  ruleset: string
  holdsVip: boolean
  /** keepalived's own view: "State Priority" of the lab's instance, from its data dump */
  dump: string
  /** the kernel setting deploy changes for a track script, and its persisted file */
  sysctl: string
}

interface Run {
  pid: number
  done: Promise<{code: number | null; stdout: string; stderr: string}>
}

/** runs still going when a test ends (it failed): interrupted and awaited, so the next test starts clean */
const live = new Set<Run>()

/** `halctl deploy` as an operator runs it: its own process group (as a terminal makes it), so signals go to the group. */
function spawnHalctl(args: string[]): Run {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()))
  const done = new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})))
  const run = {pid: child.pid as number, done}
  live.add(run)
  void done.then(() => live.delete(run))
  return run
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Poll (bounded) until cond() holds; false on timeout. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await cond()) return true
    await sleep(everyMs)
  }
  return false
}

describe.runIf(isRoot)('deploy is a transaction: fault matrix on a 2-node lab', () => {
  let lab: Lab
  let vip: string
  let instance: string
  let base: string
  let before: Record<string, Truth>

  /** keepalived's data dump of the host's daemon: State and Priority of the lab's instance (retried: /tmp/keepalived.data is shared by every keepalived on the machine) */
  async function dumpOf(node: string): Promise<string> {
    const script =
      'p=$(pidof -s keepalived) || { echo STOPPED; exit 0; }; rm -f /tmp/keepalived.data; kill -USR1 "$p"; i=0; while [ $i -lt 30 ]; do grep -q "VRRP Instance = $1\\$" /tmp/keepalived.data 2>/dev/null && break; sleep 0.1; i=$((i+1)); done; sleep 0.2; ' +
      'awk -v n="$1" \'/VRRP Instance = /{on=($NF==n)} on && !s && /^   State = /{s=$3} on && !p && /^   Priority = /{p=$3} END{print s" "p}\' /tmp/keepalived.data'
    let last = ''
    for (let i = 0; i < 6; i++) {
      last = (await lab.exec(node, ['sh', '-c', script, 'dump', instance])).trim()
      if (last === 'STOPPED' || /^[A-Z]+ \d+$/.test(last)) return last
      await sleep(200)
    }
    return last
  }

  async function truth(node: string): Promise<Truth> {
    const files = await lab.exec(node, ['sh', '-c', 'cd /etc/keepalived && find . -path ./.halctl-backups -prune -o -type f -print | LC_ALL=C sort | xargs -r sha256sum'])
    const stages = await lab.exec(node, ['sh', '-c', 'ls -a /etc/keepalived | grep halctl-stage || true'])
    const addr = await lab.exec(node, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])
    const sysctl = await lab.exec(node, ['sh', '-c', 'sysctl -n net.ipv4.ip_nonlocal_bind; cat /etc/sysctl.d/60-halctl-keepalived.conf 2>/dev/null || echo no-file'])
    return {files, stages: stages.trim(), ruleset: await lab.exec(node, ['nft', 'list', 'ruleset']), holdsVip: addr.includes(`"${vip}"`), dump: await dumpOf(node), sysctl}
  }

  async function truths(): Promise<Record<string, Truth>> {
    return {lb1: await truth('lb1'), lb2: await truth('lb2')}
  }

  /** every node runs what it ran before (bounded wait for the VIP and keepalived's state to settle) */
  async function expectAsBefore(want = before): Promise<void> {
    let now = await truths()
    for (let i = 0; i < 20 && JSON.stringify(now) !== JSON.stringify(want); i++) {
      await sleep(500)
      now = await truths()
    }
    expect(now).toEqual(want)
  }

  const variant = (name: string, edit: (d: Record<string, any>) => void): string =>
    lab.specVariant(name, (d) => {
      d.ssh = {configFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts}
      edit(d)
    })

  /** a config keepalived -t accepts but that never converges: a track script that always fails puts the instance in FAULT */
  const faulty = (name: string): string =>
    variant(name, (d) => {
      d.scripts = {chk_false: {script: '/bin/false', interval: 1, fall: 1, rise: 1}}
      d.instances[0].trackScripts = ['chk_false']
    })

  /** converge timeout: room for a busy machine (a fresh keepalived takes the VIP after its master-down interval) */
  const deployArgs = (spec: string, convergeSeconds = 25): string[] => ['deploy', '-s', spec, '--yes', '--json', '--converge-timeout', String(convergeSeconds)]

  const report = (out: string): DeployCommandResult => JSON.parse(out) as DeployCommandResult

  const lb2Stage = (): boolean => readdirSync(`/etc/netns/${PREFIX}-lb2/keepalived`).some((e) => e.startsWith('.halctl-stage-'))

  beforeAll(async () => {
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET})
    vip = lab.up.vip.split('/')[0]
    base = variant('base', () => undefined)
    instance = (await lab.load(base)).cluster.nodes[0].config.instances[0].name
    const r = spawnHalctl(deployArgs(base))
    const out = await r.done
    expect(out.code, out.stdout + out.stderr).toBe(0)
    expect(await settle(lab, vip)).toEqual(['lb1'])
    before = await truths()
    expect(before.lb1.dump).toMatch(/^MASTER \d+$/)
    expect(before.lb2.dump).toMatch(/^BACKUP \d+$/)
  }, 120_000)

  afterEach(async () => {
    for (const run of [...live]) {
      try {
        process.kill(-run.pid, 'SIGINT')
      } catch {
        // already gone
      }
      const t = setTimeout(() => {
        try {
          process.kill(-run.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }, 90_000)
      await run.done
      clearTimeout(t)
    }
  }, 120_000)

  afterAll(async () => {
    await execInHost(lab.hosts.get('lb2')!, ['sh', '-c', 'chattr -i /etc/keepalived/keepalived.conf; mountpoint -q /etc/keepalived && umount /etc/keepalived; true'], {reject: false}).catch(() => undefined)
    await lab?.down()
  })

  it('converge × a config that passes keepalived -t but goes FAULT: files restored, then keepalived reloaded with them (exit 4)', async () => {
    const out = await spawnHalctl(deployArgs(faulty('fault'), 10)).done
    expect(out.code, out.stdout + out.stderr).toBe(4)
    const r = report(out.stdout)
    expect(r.nodes.map((n) => [n.node, n.status])).toEqual([
      ['lb1', 'skipped'],
      ['lb2', 'rolled-back'],
    ])
    const lb2 = r.nodes[1]
    expect(lb2.error).toMatchObject({step: 'converge', code: 'NOT_CONVERGED'})
    expect(lb2.error?.message).toMatch(/FAULT/)
    const log = lb2.rollback ?? []
    expect(log.indexOf('restore /etc/keepalived/keepalived.conf: ok')).toBeGreaterThanOrEqual(0)
    expect(log.indexOf('reload keepalived with the restored config: ok')).toBeGreaterThan(log.indexOf('restore /etc/keepalived/keepalived.conf: ok'))
    expect(log[log.length - 1]).toMatch(/^verify: keepalived runs the previous config \(its data dump\)/)
    await expectAsBefore()
  }, 240_000)

  it('write × chattr +i on keepalived.conf: nothing written, the undo goes on past the file it never wrote (exit 4)', async () => {
    const h = lab.hosts.get('lb2')!
    await execInHost(h, ['chattr', '+i', '/etc/keepalived/keepalived.conf'])
    try {
      const out = await spawnHalctl(deployArgs(variant('immutable', (d) => void (d.nodes[1].priority = 111)))).done
      expect(out.code, out.stdout + out.stderr).toBe(4)
      const lb2 = report(out.stdout).nodes[1]
      expect(lb2.status).toBe('rolled-back')
      expect(lb2.error?.step).toBe('write')
      expect(lb2.rollback).toContain('restore /etc/keepalived/keepalived.conf: nothing to undo')
    } finally {
      await execInHost(h, ['chattr', '-i', '/etc/keepalived/keepalived.conf'])
    }
    await expectAsBefore()
  }, 240_000)

  it("backup × a full disk on the node's /etc/keepalived: refused, nothing left behind (exit 4)", async () => {
    const h = lab.hosts.get('lb2')!
    const fill =
      'set -e; d=/etc/keepalived; t=$(mktemp -d /run/x12full.XXXXXX); cp -a "$d/." "$t/"; mount -t tmpfs -o size=512k x12full "$d"; cp -a "$t/." "$d/"; rm -rf "$t"; ' +
      'dd if=/dev/zero of="$d/zz-filler" bs=4k count=1000 2>/dev/null || true'
    await execInHost(h, ['sh', '-c', fill])
    try {
      const full = await truths()
      const backups = await lab.exec('lb2', ['sh', '-c', 'ls -A /etc/keepalived/.halctl-backups 2>/dev/null'])
      expect((await lab.exec('lb2', ['df', '--output=avail', '/etc/keepalived'])).trim().split('\n').pop()?.trim()).toBe('0')
      const out = await spawnHalctl(deployArgs(variant('full', (d) => void (d.nodes[1].priority = 112)))).done
      expect(out.code, out.stdout + out.stderr).toBe(4)
      const lb2 = report(out.stdout).nodes[1]
      expect(lb2.status).toBe('rolled-back')
      expect(['backup', 'upload']).toContain(lb2.error?.step)
      // no partial backup left either
      expect(await lab.exec('lb2', ['sh', '-c', 'ls -A /etc/keepalived/.halctl-backups 2>/dev/null'])).toBe(backups)
      await expectAsBefore(full)
    } finally {
      await execInHost(h, ['umount', '/etc/keepalived'])
    }
    await expectAsBefore()
  }, 240_000)

  it('upload × SIGINT to the process group: stops, undoes lb2, says what was undone, exit 130', async () => {
    const run = spawnHalctl(deployArgs(variant('int-upload', (d) => void (d.nodes[1].priority = 113))))
    expect(await until(lb2Stage, 90_000, 5)).toBe(true)
    process.kill(-run.pid, 'SIGINT')
    const out = await run.done
    expect(out.code, out.stdout + out.stderr).toBe(130)
    expect(out.stderr).toMatch(/SIGINT: stopping after the current step/)
    const r = report(out.stdout)
    expect(r.error?.code).toBe('DEPLOY_INTERRUPTED')
    expect(r.error?.message).toMatch(/^interrupted: lb2 undone \(/)
    // lb1 has nothing to change; lb2 was in flight
    expect(r.nodes.map((n) => n.status)).toEqual(['unchanged', 'rolled-back'])
    await expectAsBefore()
  }, 240_000)

  it('service × SIGINT after the new file is in place: the file goes back, keepalived runs the previous config, exit 130', async () => {
    const spec = variant('int-service', (d) => void (d.nodes[1].priority = 114))
    const run = spawnHalctl(deployArgs(spec))
    expect(await until(() => (lab.conf('lb2') ?? '').includes('priority 114'), 90_000, 5)).toBe(true)
    process.kill(-run.pid, 'SIGINT')
    const out = await run.done
    expect(out.code, out.stdout + out.stderr).toBe(130)
    const lb2 = report(out.stdout).nodes[1]
    expect(lb2.status).toBe('rolled-back')
    expect(lb2.rollback).toContain('restore /etc/keepalived/keepalived.conf: ok')
    await expectAsBefore()
  }, 240_000)

  it('converge × SIGINT twice: the second one says it is still undoing; exit 130', async () => {
    const run = spawnHalctl(deployArgs(faulty('int-converge')))
    expect(await until(() => (lab.conf('lb2') ?? '').includes('chk_false'), 90_000, 5)).toBe(true)
    await sleep(1500)
    process.kill(-run.pid, 'SIGINT')
    await sleep(300)
    process.kill(-run.pid, 'SIGINT')
    const out = await run.done
    expect(out.code, out.stdout + out.stderr).toBe(130)
    expect(out.stderr).toMatch(/SIGINT: still undoing/)
    expect(report(out.stdout).nodes[1].status).toBe('rolled-back')
    await expectAsBefore()
  }, 240_000)

  it("service × the node's sshd sessions killed: rolled back over a new connection", async () => {
    const cut = killSessionsAt(lab, 'lb2', (argv) => argv[3] === 'halctl-signal' && argv[4] === 'HUP')
    const r = await lab.deploy(await lab.load(variant('cut', (d) => void (d.nodes[1].priority = 115))), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
    expect(lb2?.error?.step).toBe('service')
    expect(lb2?.rollback?.join('; ')).toMatch(/after reconnecting/)
    await expectAsBefore()
  }, 240_000)

  it("validate × the node's sshd sessions killed while keepalived -t runs: the staging dir is removed over a new connection", async () => {
    const cut = killSessionsAt(lab, 'lb2', (argv) => argv[1] === '-t', {after: true})
    const r = await lab.deploy(await lab.load(variant('cut-validate', (d) => void (d.nodes[1].priority = 119))), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
    expect(lb2?.error?.step).toBe('validate')
    expect(lb2?.rollback?.join('; ')).toMatch(/remove \/etc\/keepalived\/\.halctl-stage-\w+: ok \(after reconnecting\)/)
    await expectAsBefore()
  }, 240_000)

  it("firewall × the node's sshd sessions killed while nft -f loads the new table: the previous table is loaded again", async () => {
    const cut = killSessionsAt(lab, 'lb2', (argv) => argv[0] === 'nft' && argv[1] === '-f', {after: true})
    const spec = variant('cut-firewall', (d) => void (d.instances[0].unicast = true))
    const r = await lab.deploy(await lab.load(spec), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
    expect(lb2?.error?.step).toBe('firewall')
    // the new table was loaded before the cut: the live ruleset changed, and the undo put the old one back
    expect(lb2?.rollback?.join('; ')).toMatch(/reload the previous nftables table: ok/)
    await expectAsBefore()
  }, 240_000)

  it("sysctl × the node's sshd sessions killed after sysctl -w: the kernel setting and its file are put back", async () => {
    const cut = killSessionsAt(lab, 'lb2', (argv) => argv[0] === 'sysctl' && argv[2] === '-w', {after: true})
    const spec = variant('cut-sysctl', (d) => {
      d.scripts = {chk_true: {script: '/bin/true', interval: 1, fall: 1, rise: 1}}
      d.instances[0].trackScripts = ['chk_true']
    })
    const r = await lab.deploy(await lab.load(spec), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
    expect(lb2?.error?.step).toBe('sysctl')
    expect(lb2?.rollback?.join('; ')).toMatch(/sysctl net\.ipv4\.ip_nonlocal_bind=0: ok/)
    expect(lb2?.rollback?.join('; ')).toMatch(/remove \/etc\/sysctl\.d\/60-halctl-keepalived\.conf: ok/)
    await expectAsBefore()
  }, 240_000)

  it("rollback × the node's sshd sessions killed during the rollback itself (before its reload): it reconnects and still ends as before", async () => {
    // the first SIGHUP is the deploy's reload, the second the rollback's
    const cut = killSessionsAt(lab, 'lb2', (argv) => argv[3] === 'halctl-signal' && argv[4] === 'HUP', {nth: 2})
    const r = await lab.deploy(await lab.load(faulty('cut-rollback')), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
    expect(lb2?.error?.step).toBe('converge')
    expect(lb2?.rollback).toContain('reload keepalived with the restored config: ok (after reconnecting)')
    await expectAsBefore()
  }, 240_000)

  it("start × the node's sshd sessions killed while keepalived starts (it was stopped): stopped again, as before", async () => {
    await lab.exec('lb2', ['sh', '-c', 'kill "$(cat /run/halctl-keepalived-lb2.pid)"; i=0; while pidof keepalived >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done'])
    const stopped = await truths()
    expect(stopped.lb2.dump).toBe('STOPPED')
    try {
      const cut = killSessionsAt(lab, 'lb2', (argv) => argv[0].endsWith('keepalived') && argv[1] === '-f' && argv.includes('-p'), {after: true})
      const r = await lab.deploy(await lab.load(variant('cut-start', (d) => void (d.nodes[1].priority = 120))), {callTimeoutMs: 10_000, convergeTimeoutMs: 8000}, cut)
      const lb2 = r.nodes.find((n) => n.node === 'lb2')
      expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
      expect(lb2?.error?.step).toBe('service')
      // the first undo meets the cut connection and reconnects; the daemon started by the cut run is stopped
      expect(lb2?.rollback?.join('; ')).toMatch(/\(after reconnecting\).*stop keepalived \(it was not running before\): ok/)
      await expectAsBefore(stopped)
    } finally {
      // back to the base: lb2 runs keepalived again
      expect((await spawnHalctl(deployArgs(base)).done).code).toBe(0)
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    await expectAsBefore()
  }, 240_000)

  it('converge × a second deploy during the first: refused at once naming the holder; the first one rolls back', async () => {
    const first = spawnHalctl(['deploy', '-s', faulty('first'), '--yes', '--json', '--converge-timeout', '120'])
    expect(await until(async () => (await lab.exec('lb2', ['sh', '-c', 'readlink /run/halctl/node.lock || true'])).includes('what=deploy'), 90_000, 50)).toBe(true)
    const second = await spawnHalctl(deployArgs(variant('second', (d) => void (d.nodes[1].priority = 116)))).done
    expect(second.code, second.stdout + second.stderr).toBe(4)
    const r2 = report(second.stdout)
    // refused at once (connect, facts, lock; the process start-up aside), not after the first run's 120 s converge wait
    expect(r2.durationMs).toBeLessThan(20_000)
    expect(r2.error?.code).toBe('NODE_LOCKED')
    expect(r2.error?.message).toMatch(new RegExp(`is being changed by another run: deploy by root@\\S+ \\(pid ${first.pid}\\) since \\d{4}-\\d\\d-\\d\\dT`))
    // the first one still waits for lb2 to converge: interrupt it
    process.kill(-first.pid, 'SIGINT')
    const out = await first.done
    expect(out.code, out.stdout + out.stderr).toBe(130)
    expect(report(out.stdout).nodes[1].status).toBe('rolled-back')
    await expectAsBefore()
  }, 240_000)

  it('a run killed with SIGKILL: the next run takes its lock over and removes its staging dir', async () => {
    const dead = spawnHalctl(deployArgs(variant('killed', (d) => void (d.nodes[1].priority = 117))))
    expect(await until(lb2Stage, 90_000, 5)).toBe(true)
    process.kill(-dead.pid, 'SIGKILL')
    await dead.done
    expect(lb2Stage()).toBe(true)
    expect(await lab.exec('lb2', ['sh', '-c', 'readlink /run/halctl/node.lock || true'])).toContain(`pid=${dead.pid} `)
    const out = await spawnHalctl(deployArgs(variant('after-kill', (d) => void (d.nodes[1].priority = 118)))).done
    expect(out.code, out.stdout + out.stderr).toBe(0)
    const lb2 = report(out.stdout).nodes[1]
    expect(lb2.notes?.join(' ')).toMatch(new RegExp(`took over the lock of a run that died: deploy by root@\\S+ \\(pid ${dead.pid}\\)`))
    expect(lb2.steps.find((s) => s.step === 'upload')?.detail).toMatch(/removed 1 stale staging dir/)
    expect(lb2Stage()).toBe(false)
    expect((await lab.exec('lb2', ['sh', '-c', 'readlink /run/halctl/node.lock || echo free'])).trim()).toBe('free')
    // back to the base config for what follows
    expect((await spawnHalctl(deployArgs(base)).done).code).toBe(0)
    expect(await settle(lab, vip)).toEqual(['lb1'])
  }, 240_000)

  it('changed VIPs: the node holding the VIPs now still goes last (--dry-run --json order)', async () => {
    const spec = variant('newvip', (d) => void (d.instances[0].vips = [lab.up.vip.replace(/\.\d+\//, '.222/')]))
    const out = await spawnHalctl(['deploy', '-s', spec, '--dry-run', '--json']).done
    expect(out.code, out.stdout + out.stderr).toBe(0)
    expect(report(out.stdout).order).toEqual(['lb2', 'lb1'])
  }, 240_000)

  it("a source install (lb2): keepalived outside PATH reading a config outside /etc/keepalived is deployed to, found again from its own argv, and status compares that file", async () => {
    // the layout of `./configure --prefix=/run/x112src && make install`, in lb2's private /run; lb1 keeps its packaged keepalived
    const SRC = '/run/x112src'
    const BIN = `${SRC}/sbin/keepalived`
    const CONF = `${SRC}/etc/keepalived/keepalived.conf`
    const stop = async (): Promise<void> =>
      void (await lab.exec('lb2', ['sh', '-c', 'kill "$(cat /run/halctl-keepalived-lb2.pid)"; i=0; while pidof keepalived >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done']))
    await stop()
    await lab.exec('lb2', ['sh', '-c', `mkdir -p ${SRC}/sbin ${SRC}/etc/keepalived && cp /usr/sbin/keepalived ${BIN}`])
    try {
      // 1. the spec names lb2's paths: deploy writes that file and starts that binary with -f
      const withPaths = variant('src-paths', (d) => void (d.nodes[1].keepalived = {binary: BIN, config: CONF}))
      const text = (await lab.load(withPaths)).cluster.nodes[1].text
      const out = await spawnHalctl(deployArgs(withPaths)).done
      expect(out.code, out.stdout + out.stderr).toBe(0)
      const r = report(out.stdout)
      expect(r.nodes[0].status).toBe('unchanged')
      expect(r.nodes[1].changes.map((c) => c.summary)).toContain(`write ${CONF} (the file keepalived reads: from its spec's keepalived.config)`)
      expect(r.nodes[1].changes.some((c) => /install/.test(c.summary)), out.stdout).toBe(false)
      expect((await lab.exec('lb2', ['sh', '-c', 'tr "\\0" " " < /proc/$(pidof -s keepalived)/cmdline'])).trim()).toMatch(new RegExp(`^${BIN} -f ${CONF} `))
      // byte for byte what halctl renders for the node; /etc/keepalived left as it was
      expect((await lab.exec('lb2', ['sha256sum', CONF])).split(' ')[0]).toBe(createHash('sha256').update(text).digest('hex'))
      expect((await truth('lb2')).files).toBe(before.lb2.files)
      expect(await dumpOf('lb2')).toBe(before.lb2.dump)
      // 2. a spec without the paths: the running daemon's own -f is found, and deployed to (a reload)
      const found = variant('src-found', (d) => void (d.nodes[1].priority = 121))
      const out2 = await spawnHalctl(deployArgs(found)).done
      expect(out2.code, out2.stdout + out2.stderr).toBe(0)
      const lb2 = report(out2.stdout).nodes[1]
      expect(lb2.changes.map((c) => c.summary)).toContain(`write ${CONF} (the file keepalived reads: from its process arguments)`)
      expect((await lab.exec('lb2', ['grep', '-c', 'priority 121', CONF])).trim()).toBe('1')
      expect(await dumpOf('lb2')).toBe('BACKUP 121')
      expect((await truth('lb2')).files).toBe(before.lb2.files)
      // status compares the file the daemon runs: no drift
      const st = await spawnHalctl(['status', '-s', found, '--json']).done
      const s = JSON.parse(st.stdout) as StatusCommandResult
      expect(s.nodes.map((n) => n.drift), st.stdout).toEqual([[], []])
      // 3. the spec names another file than the one the daemon runs: refused, naming the spec option
      const other = variant('src-other', (d) => void (d.nodes[1].keepalived = {config: '/etc/keepalived/keepalived.conf'}))
      const out3 = await spawnHalctl(['deploy', '-s', other, '--dry-run', '--json']).done
      expect(out3.code, out3.stdout + out3.stderr).not.toBe(0)
      expect(out3.stdout + out3.stderr).toMatch(new RegExp(`keepalived on the node runs with ${CONF} .*set keepalived.config`))
    } finally {
      // back to the packaged keepalived and the base config
      await stop()
      await lab.exec('lb2', ['rm', '-rf', SRC])
      expect((await spawnHalctl(deployArgs(base)).done).code).toBe(0)
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    await expectAsBefore()
  }, 240_000)

  it('status with one node unreachable: unknown, not NO OWNER (exit 4); lb1 still reported as the holder', async () => {
    const spec = variant('unreach', (d) => {
      d.nodes[1].ssh = {...(d.nodes[1].ssh ?? {}), port: 2}
    })
    const out = await spawnHalctl(['status', '-s', spec, '--json']).done
    expect(out.code, out.stdout + out.stderr).toBe(4)
    const s = JSON.parse(out.stdout) as StatusCommandResult
    expect(s.instances[0].holder).toBe('lb1')
    expect(s.findings.map((f) => f.code)).not.toContain('NO_OWNER')
    expect(s.nodes[1].reachable).toBe(false)
  }, 240_000)
})

/**
 * The real transport, except that on `node` the nth exec matching `when`
 * meets an sshd that has dropped every session (its per-connection processes
 * killed by pid inside the lab host; the listener stays): before the command
 * runs, or (after: true) once it has run, before its exit status comes back.
 */
function killSessionsAt(lab: Lab, node: string, when: (argv: string[]) => boolean, opts: {after?: boolean; nth?: number} = {}): Transport {
  let seen = 0
  const cut = async (): Promise<void> => {
    const pidFile = JSON.parse(readFileSync(`${lab.up.stateDir}/state.json`, 'utf8')).hosts.find((h: {name: string}) => h.name === node).sshdPidFile
    const script = 'kids=$(pgrep -P "$(cat "$1")"); grand=$(for k in $kids; do pgrep -P "$k"; done); [ -n "$kids" ] && kill -9 $kids $grand'
    await execInHost(lab.hosts.get(node)!, ['sh', '-c', script, 'cut', pidFile], {reject: false})
    await sleep(300)
  }
  return {
    async connect(target: SshTarget): Promise<RemoteHost> {
      const real = await lab.transport.connect(target)
      if (target.name !== node) return real
      return {
        name: real.name,
        address: real.address,
        isRoot: real.isRoot,
        async exec(argv, o) {
          if (when(argv) && ++seen === (opts.nth ?? 1)) {
            if (opts.after) {
              await real.exec(argv, o)
              await cut()
            } else await cut()
          }
          // on a cut connection: what a lost exit status looks like
          return real.exec(argv, o)
        },
        stream: (argv, on, o) => real.stream(argv, on, o),
        readFile: (p, o) => real.readFile(p, o),
        writeFile: (p, c, o) => real.writeFile(p, c, o),
        close: () => real.close(),
      }
    },
  }
}
