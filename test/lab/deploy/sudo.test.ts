/**
 * deploy and status logging in as a non-root user with real sudo: a 2-node
 * lab whose hosts have two login users, one with NOPASSWD sudo and one
 * without any sudo rights. Truth is read inside the hosts (stat, nft, ip,
 * pidof, sudo's own log), never from halctl.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import Status, {type StatusCommandResult} from '../../../src/commands/status.js'
import {sshTargetFor} from '../../../src/host/connect.js'
import {LAB_SUDO_LOG} from '../../../src/lab/files.js'
import {runCommand} from '../../helpers/run-command.js'
import {deployCli, settle, startLab, type Lab} from './lab-fixture.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'hsj'
const SUBNET = '10.231.0.0/24'
const OPS = 'hjops'
const GUEST = 'hjguest'
const NODES = ['lb1', 'lb2']

/** owner uid and octal mode of a path inside the host */
async function owner(lab: Lab, node: string, path: string): Promise<string> {
  return (await lab.exec(node, ['stat', '-c', '%u %a', path])).trim()
}

/** What deploy may change on a node, read inside it: files, firewall, running daemon, backups. */
async function snapshot(lab: Lab): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const n of NODES) {
    out[n] = {
      conf: lab.conf(n),
      ruleset: await lab.exec(n, ['nft', 'list', 'ruleset']),
      pid: await lab.keepalivedPid(n),
      etc: await lab.exec(n, ['sh', '-c', 'find /etc/keepalived /etc/sysctl.d /etc/nftables.conf -printf "%p %s %T@\\n" | sort']),
    }
  }
  return out
}

describe.runIf(isRoot)(`deploy as a non-root login user through real sudo (2-node lab ${PREFIX})`, () => {
  let lab: Lab
  let vip: string

  beforeAll(async () => {
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET, users: [{name: OPS, sudo: 'nopasswd'}, {name: GUEST, sudo: 'none'}]})
    vip = lab.up.vip.split('/')[0]
  })
  afterAll(async () => {
    await lab?.down()
  })

  it(`the lab spec logs in as ${OPS}, whose login shell is not root and whose sudo -n is`, async () => {
    const loaded = await lab.load()
    expect(loaded.cluster.nodes.map((n) => n.ssh.user)).toEqual([OPS, OPS])
    const host = await lab.transport.connect(sshTargetFor(loaded.cluster.nodes[0], {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts}))
    try {
      expect(host.isRoot).toBe(false)
      expect((await host.exec(['id', '-un'])).stdout.trim()).toBe(OPS)
      expect((await host.exec(['id', '-u'])).stdout.trim()).not.toBe('0')
      expect((await host.exec(['id', '-u'], {sudo: true})).stdout.trim()).toBe('0')
    } finally {
      await host.close()
    }
  })

  it('deploys: root-owned configs with the right modes, firewall rules, keepalived running, one VIP holder; every command went through sudo', async () => {
    const json = await deployCli(lab)
    expect(json.nodes.map((n) => n.status)).toEqual(['deployed', 'deployed'])
    const loaded = await lab.load()
    for (const n of loaded.cluster.nodes) expect(lab.conf(n.name)).toBe(n.text)
    expect(await settle(lab, vip)).toEqual(['lb1'])
    for (const n of NODES) {
      expect(await owner(lab, n, '/etc/keepalived/keepalived.conf'), `${n} keepalived.conf`).toBe('0 600')
      expect(await owner(lab, n, '/etc/keepalived/halctl/vrrp.nft'), `${n} vrrp.nft`).toBe('0 644')
      const ruleset = await lab.exec(n, ['nft', 'list', 'ruleset'])
      expect(ruleset).toContain('table inet halctl')
      expect(ruleset).toMatch(/ip daddr 224\.0\.0\.18 ip protocol vrrp accept/)
      expect(await lab.keepalivedPid(n), `${n} keepalived`).toBeGreaterThan(0)
      // keepalived runs as root although the login user is not
      const pid = String(await lab.keepalivedPid(n))
      expect((await lab.exec(n, ['ps', '-o', 'uid=', '-p', pid])).trim()).toBe('0')
      // sudo's own log on the node: the facts, the validation and the start all ran as root for OPS
      const log = await lab.exec(n, ['cat', LAB_SUDO_LOG])
      const mine = log.split('\n').filter((l) => l.includes(` : ${OPS} : `))
      expect(mine.every((l) => l.includes('USER=root ; COMMAND='))).toBe(true)
      expect(mine.some((l) => l.includes('halctl-facts'))).toBe(true)
      expect(mine.some((l) => /COMMAND=.*[ /]keepalived -t -f \/etc\/keepalived\/\.halctl-stage-/.test(l))).toBe(true)
      expect(mine.some((l) => /COMMAND=.* nft -f \/etc\/keepalived\/halctl\/vrrp\.nft/.test(l))).toBe(true)
      expect(mine.some((l) => /COMMAND=.*[ /]keepalived -f \/etc\/keepalived\/keepalived\.conf -p /.test(l))).toBe(true)
    }
  })

  it('a redeploy is "0 changes" and touches nothing', async () => {
    const before = await snapshot(lab)
    const json = await deployCli(lab)
    expect(json.changes).toBe(0)
    expect(json.nodes.map((n) => n.status)).toEqual(['unchanged', 'unchanged'])
    expect(await snapshot(lab)).toEqual(before)
  })

  it(`halctl status works as ${OPS}: both nodes running, lb1 holds the VIP, no drift`, async () => {
    const r = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as StatusCommandResult
    expect(s.instances[0].holder).toBe('lb1')
    expect(s.instances[0].vips[0].holders).toEqual(await lab.holders(vip))
    expect(s.nodes.map((n) => [n.node, n.running, n.firewall, n.drift.length, n.instances[0].state])).toEqual([
      ['lb1', true, true, 0, 'MASTER'],
      ['lb2', true, true, 0, 'BACKUP'],
    ])
  })

  it(`as ${GUEST} (no sudo rights): deploy fails with exit 4, names each node and the need for passwordless sudo, and changes nothing`, async () => {
    const spec = lab.specVariant('guest', (d) => {
      d.defaults.ssh.user = GUEST
      d.nodes[1].priority = 120
    })
    const before = await snapshot(lab)
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(4)
    const json = JSON.parse(r.stdout) as DeployCommandResult
    expect(json.ok).toBe(false)
    expect(json.error?.code).toBe('DEPLOY_PREFLIGHT')
    expect(json.nodes.map((n) => [n.node, n.status, n.error?.code])).toEqual([
      ['lb1', 'failed', 'SUDO_REFUSED'],
      ['lb2', 'failed', 'SUDO_REFUSED'],
    ])
    for (const n of json.nodes) expect(n.error?.message).toMatch(new RegExp(`^${n.node}: the SSH login user is not root and halctl needs passwordless sudo there \\(sudo -n said: a password is required\\)`))
    expect(json.error?.message).toMatch(/lb1.*passwordless sudo.*lb2.*passwordless sudo/)
    // the human-readable form says it too
    const text = await runCommand(Deploy, ['-s', spec])
    expect(text.exitCode).toBe(4)
    expect(text.stdout + text.stderr).toMatch(/passwordless sudo/)
    expect(await snapshot(lab)).toEqual(before)
    // sudo refused GUEST on the node itself (its log says so), and nothing ran as root for GUEST
    const log = await lab.exec('lb2', ['cat', LAB_SUDO_LOG])
    const guest = log.split('\n').filter((l) => l.includes(` : ${GUEST} : `))
    expect(guest.length).toBeGreaterThan(0)
    expect(guest.every((l) => l.includes('a password is required'))).toBe(true)
  })
})
