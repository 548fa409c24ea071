/**
 * deploy installs keepalived and ipvsadm for real: a 2-node lab whose hosts
 * have a copy-on-write package root (overlays over /usr, /var, /etc in each
 * host's mount namespace). The packages are purged inside the hosts only,
 * their .debs (kept by scripts/setup.sh, the hosts have no mirror) are put in
 * each host's apt archive, and deploy's apt-get installs them. The machine's
 * own packages and files must not change. deploy logs in as a user with
 * passwordless sudo. Truth is read inside the hosts.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import Status, {type StatusCommandResult} from '../../../src/commands/status.js'
import {pidFiles} from '../../../src/host/paths.js'
import {LAB_SUDO_LOG} from '../../../src/lab/files.js'
import {destroyPrefix, execInHost, hostPackageRootDir, HOST_PKGROOT_ROOT} from '../../../src/lab/netns.js'
import {runCommand} from '../../helpers/run-command.js'
import {settle, startLab, type Lab} from './lab-fixture.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'hpq'
const SUBNET = '10.232.0.0/24'
/** where scripts/setup.sh keeps the .debs */
const DEB_CACHE = '/var/cache/halctl-lab/debs'
const PACKAGES = ['keepalived', 'ipvsadm']
const NODES = ['lb1', 'lb2']
const LOGIN = 'hqops'

/** The machine's side, which the hosts' installs must leave alone. */
function machineState(): Record<string, unknown> {
  const paths = ['/usr/sbin/policy-rc.d', '/var/lib/dpkg/status', '/usr/sbin/keepalived', '/sbin/ipvsadm', '/etc/default/keepalived', '/etc/init.d/keepalived', '/var/lib/dpkg/info/keepalived.list', '/var/cache/apt/archives']
  return {
    dpkg: execFileSync('dpkg-query', ['-W', '-f=${Package} ${Status} ${Version}\\n', ...PACKAGES], {encoding: 'utf8'}),
    mtimes: Object.fromEntries(paths.map((p) => [p, existsSync(p) ? statSync(p).mtimeMs : undefined])),
    archives: readdirSync('/var/cache/apt/archives').sort(),
  }
}

/** `dpkg-query` status of the packages inside a host ('' for a package it does not know). */
async function hostPackages(lab: Lab, node: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const p of PACKAGES) out[p] = (await lab.exec(node, ['dpkg-query', '-W', '-f=${Status}', p])).trim()
  return out
}

/** Purge the packages inside a host (its package root only) and put their .debs in its apt archive. */
async function purgeAndStage(lab: Lab, node: string): Promise<void> {
  const host = lab.hosts.get(node)!
  await execInHost(host, ['env', 'DEBIAN_FRONTEND=noninteractive', 'dpkg', '--purge', ...PACKAGES], {timeoutMs: 120_000})
  await execInHost(host, ['sh', '-c', 'cp -p "$1"/*.deb /var/cache/apt/archives/', 'stage', DEB_CACHE])
}

/** keepalived main processes in a host (the parent of the vrrp/checker children). */
async function keepalivedMains(lab: Lab, node: string): Promise<number[]> {
  const out = await lab.exec(node, ['ps', '-C', 'keepalived', '-o', 'pid=,ppid='])
  const rows = out.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).map(Number))
  const pids = new Set(rows.map((r) => r[0]))
  return rows.filter((r) => !pids.has(r[1])).map((r) => r[0])
}

const purged = Object.fromEntries(PACKAGES.map((p) => [p, '']))
/** keepalived runs a virtual_server only on a kernel with IPVS (this machine's kernel is the hosts') */
const kernelIpvs = existsSync('/proc/net/ip_vs') || existsSync('/sys/module/ip_vs')

describe.runIf(isRoot)(`deploy installs keepalived and ipvsadm with apt on lab hosts with a package root (${PREFIX})`, () => {
  let lab: Lab
  /** the lab spec plus a virtual_server (so ipvsadm is needed too) */
  let vsSpec: string
  /** the spec deployed */
  let spec: string
  let machineBefore: Record<string, unknown>

  beforeAll(async () => {
    const missing = PACKAGES.filter((p) => !existsSync(DEB_CACHE) || !readdirSync(DEB_CACHE).some((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')))
    if (missing.length) throw new Error(`${DEB_CACHE} has no .deb for ${missing.join(', ')}: run scripts/setup.sh as root`)
    machineBefore = machineState()
    // deploy logs in as a user with passwordless sudo: apt-get runs through real sudo as well
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET, packageRoot: true, users: [{name: LOGIN, sudo: 'nopasswd'}]})
    const vip = lab.up.vip.split('/')[0]
    vsSpec = lab.specVariant('lvs', (d) => {
      d.virtualServers = [{address: vip, port: 80, lbKind: 'DR', lbAlgo: 'rr', realServers: [{ip: '10.232.0.21', port: 80}]}]
    })
    for (const n of NODES) await purgeAndStage(lab, n)
  }, 180_000)
  afterAll(async () => {
    await lab?.down()
  })

  it('inside the hosts the packages are gone; the machine still has them, untouched', async () => {
    for (const n of NODES) {
      expect(await hostPackages(lab, n), n).toEqual(purged)
      expect((await lab.exec(n, ['sh', '-c', 'command -v keepalived || echo none'])).trim()).toBe('none')
    }
    expect(machineState()).toEqual(machineBefore)
  })

  it(kernelIpvs ? 'the plan shows the install of keepalived and ipvsadm with apt' : 'the plan shows the install of keepalived and ipvsadm with apt; without kernel IPVS the virtual_server spec is refused before anything is touched', async () => {
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', vsSpec, '--dry-run', '--json'])
    const json = JSON.parse(r.stdout) as DeployCommandResult
    for (const n of json.nodes) expect(n.changes[0], n.node).toEqual({kind: 'install', summary: 'install keepalived, ipvsadm with apt'})
    if (kernelIpvs) expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    else {
      expect(r.exitCode).toBe(4)
      for (const n of json.nodes) expect(n.error?.message, n.node).toMatch(/virtual_servers, but the node's kernel has no IPVS/)
      const real = await runCommand<DeployCommandResult>(Deploy, ['-s', vsSpec, '--json'])
      expect(real.exitCode).toBe(4)
      expect((JSON.parse(real.stdout) as DeployCommandResult).error?.code).toBe('DEPLOY_PREFLIGHT')
    }
    for (const n of NODES) expect(await hostPackages(lab, n)).toEqual(purged)
  })

  it(`deploy: apt-get installs ${kernelIpvs ? 'keepalived and ipvsadm' : 'keepalived (and ipvsadm, its Recommends)'} in each host, config written, keepalived running, one VIP holder; the machine is untouched`, async () => {
    // a kernel without IPVS cannot run a keepalived with a virtual_server: the lab spec (VRRP only) needs keepalived alone
    spec = kernelIpvs ? vsSpec : lab.up.spec
    const pkgs = kernelIpvs ? PACKAGES : ['keepalived']
    // apt-get installs Recommends too: Debian's keepalived recommends ipvsadm, so both are there either way
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const json = JSON.parse(r.stdout) as DeployCommandResult
    expect(json.nodes.map((n) => n.status)).toEqual(['deployed', 'deployed'])
    for (const n of json.nodes) {
      expect(n.changes[0], n.node).toEqual({kind: 'install', summary: `install ${pkgs.join(', ')} with apt`})
      expect(n.steps.find((s) => s.step === 'install'), n.node).toMatchObject({status: 'ok', detail: pkgs.join(', ')})
    }
    const loaded = await lab.load(spec)
    for (const n of loaded.cluster.nodes) {
      expect(await hostPackages(lab, n.name), n.name).toEqual({keepalived: 'install ok installed', ipvsadm: 'install ok installed'})
      expect((await lab.exec(n.name, ['sh', '-c', 'command -v ipvsadm'])).trim()).toMatch(/\/ipvsadm$/)
      expect((await lab.exec(n.name, ['sh', '-c', 'command -v keepalived'])).trim()).toBe('/usr/sbin/keepalived')
      expect(lab.conf(n.name)).toBe(n.text)
      expect(await keepalivedMains(lab, n.name), `${n.name}: one keepalived`).toHaveLength(1)
    }
    expect(await settle(lab, lab.up.vip)).toEqual(['lb1'])
    expect(machineState()).toEqual(machineBefore)
    for (const n of NODES) {
      const log = await lab.exec(n, ['cat', LAB_SUDO_LOG])
      expect(log, n).toMatch(new RegExp(` : ${LOGIN} : .*USER=root ; COMMAND=.* env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkgs.join(' ')}$`, 'm'))
    }
  }, 240_000)

  it('a redeploy installs nothing: "0 changes"', async () => {
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const json = JSON.parse(r.stdout) as DeployCommandResult
    expect(json.changes).toBe(0)
    expect(json.nodes.flatMap((n) => n.steps.map((s) => s.step))).not.toContain('install')
  })

  it('a package whose postinst starts keepalived (the old config is there): deploy reloads that daemon with the new config, no second keepalived', async () => {
    const host = lab.hosts.get('lb2')!
    // lb2 loses its packages but keeps /etc/keepalived/keepalived.conf (no package file): the init script will start it on install
    await execInHost(host, ['sh', '-c', 'kill "$(cat "$1")"; for i in $(seq 50); do pidof keepalived >/dev/null || exit 0; sleep 0.1; done; exit 1', 'stop', pidFiles('lb2').main])
    await purgeAndStage(lab, 'lb2')
    expect(await lab.exec('lb2', ['sh', '-c', 'test -f /etc/keepalived/keepalived.conf && echo kept'])).toBe('kept')
    // without a runlevel, invoke-rc.d starts nothing; a policy that allows every action makes the postinst start keepalived
    // (as on a booted system); the policy file lives in lb2's package root only
    await execInHost(host, ['sh', '-c', "printf '#!/bin/sh\\nexit 0\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"])
    const changed = lab.specVariant('prio', (d) => {
      const base = parse(readFileSync(spec, 'utf8')) as Record<string, any>
      Object.assign(d, base)
      d.nodes[1].priority = 120
    })
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', changed, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const lb2 = (JSON.parse(r.stdout) as DeployCommandResult).nodes.find((n) => n.node === 'lb2')!
    expect(lb2.steps.map((s) => s.step)).toContain('install')
    expect(lb2.steps.find((s) => s.step === 'service')?.detail).toBe('reloaded (started by the package)')
    const mains = await keepalivedMains(lab, 'lb2')
    expect(mains, 'one keepalived on lb2').toHaveLength(1)
    // the one running is the daemon the package's init script started (keepalived wrote its pid file itself), now under halctl's too
    expect(Number(await lab.exec('lb2', ['cat', '/run/keepalived.pid']))).toBe(mains[0])
    expect(Number(await lab.exec('lb2', ['cat', pidFiles('lb2').main]))).toBe(mains[0])
    // the daemon runs the new config: status reads its live data (priority 120)
    const st = await runCommand<StatusCommandResult>(Status, ['-s', changed, '--json'])
    expect(st.exitCode, st.stdout + st.stderr).toBe(0)
    const s = JSON.parse(st.stdout) as StatusCommandResult
    expect(s.nodes.find((n) => n.node === 'lb2')?.instances[0]).toMatchObject({priority: 120})
    expect(await settle(lab, lab.up.vip)).toEqual(['lb1'])
    const again = await runCommand<DeployCommandResult>(Deploy, ['-s', changed, '--json'])
    expect((JSON.parse(again.stdout) as DeployCommandResult).changes).toBe(0)
    expect(await keepalivedMains(lab, 'lb2')).toEqual(mains)
  }, 240_000)

  it('cleanup by name alone (as after a crash) unmounts and removes the package roots; the machine is untouched', async () => {
    for (const n of NODES) expect(await lab.exec(n, ['grep', '-c', ' - overlay halctl-', '/proc/self/mountinfo'])).toBe('3')
    // no lab state, no transport: what `lab down` does for a lab whose process died
    await destroyPrefix(PREFIX)
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    expect(mounts).not.toContain(HOST_PKGROOT_ROOT)
    expect(mounts).not.toMatch(/ - overlay halctl-/)
    for (const n of NODES) expect(existsSync(hostPackageRootDir(`${PREFIX}-${n}`))).toBe(false)
    expect(execFileSync('ip', ['netns', 'list'], {encoding: 'utf8'})).not.toMatch(new RegExp(`^${PREFIX}-`, 'm'))
    expect(machineState()).toEqual(machineBefore)
  })
})
