/**
 * deploy against hosts whose firewall is a running firewalld (Debian's, with
 * its nftables backend and default zone "public", which rejects VRRP): each
 * lab host gets its own D-Bus system bus and firewalld, with /etc/firewalld
 * private to the host. The truth is read from the hosts: firewall-cmd
 * (runtime and permanent), the zone file firewalld persists, nft list ruleset.
 */
import {execFileSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Status, {type StatusCommandResult} from '../../../src/commands/status.js'
import {execInHost} from '../../../src/lab/netns.js'
import {runCommand} from '../../helpers/run-command.js'
import {deployCli, settle, startLab, type Lab} from './lab-fixture.js'

const hasFirewalld = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v firewalld && command -v firewall-cmd && command -v dbus-daemon'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

const RULE = 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'
const NODES = ['lb1', 'lb2']

/** In the host's mount namespace: a private /etc/firewalld, a system bus in the host's /run, firewalld (daemonized, pid in /run). */
const START_FIREWALLD = `set -e
mkdir -p /run/halctl-test-firewalld
cp -a /etc/firewalld/. /run/halctl-test-firewalld/
mount --bind /run/halctl-test-firewalld /etc/firewalld
mkdir -p /run/dbus
dbus-daemon --system --fork
firewalld
i=0; while [ $i -lt 100 ]; do firewall-cmd --state >/dev/null 2>&1 && exit 0; sleep 0.1; i=$((i+1)); done
echo "firewalld did not come up" >&2; exit 1`

/** run in a lab host; rejects (with its stderr) unless it exits 0 */
const execOk = async (lab: Lab, name: string, argv: string[]): Promise<void> => void (await execInHost(lab.hosts.get(name)!, argv, {timeoutMs: 30_000}))

describe.runIf(process.getuid?.() === 0 && hasFirewalld)('deploy with a running firewalld on a 2-node lab', () => {
  let lab: Lab
  let vip: string

  beforeAll(async () => {
    lab = await startLab(2, {prefix: 'hfw', subnet: '10.217.0.0/24'})
    vip = lab.up.vip.split('/')[0]
    for (const name of NODES) await execOk(lab, name, ['sh', '-c', START_FIREWALLD])
  }, 60_000)
  afterAll(async () => {
    await lab?.down()
  })

  it('detects firewalld and adds the VRRP rich rule to the zone, runtime and permanent; one VIP holder; status agrees; redeploy is a no-op', async () => {
    for (const name of NODES) expect(await lab.exec(name, ['firewall-cmd', '--get-default-zone'])).toBe('public')
    const r = await deployCli(lab)
    for (const n of r.nodes) expect(n.changes.map((c) => c.summary), n.node).toContain('firewalld rich rules in zone public: ipv4 vrrp to 224.0.0.18')
    for (const name of NODES) {
      expect(await lab.exec(name, ['firewall-cmd', '--zone=public', '--list-rich-rules'])).toBe(RULE)
      expect(await lab.exec(name, ['firewall-cmd', '--permanent', '--zone=public', '--list-rich-rules'])).toBe(RULE)
      expect(await lab.exec(name, ['cat', '/etc/firewalld/zones/public.xml'])).toMatch(/<rule family="ipv4">\s*<destination address="224.0.0.18"\/>\s*<protocol value="vrrp"\/>\s*<accept\/>\s*<\/rule>/)
      // in firewalld's own nftables chains, before their final reject
      expect(await lab.exec(name, ['nft', 'list', 'table', 'inet', 'firewalld'])).toContain('ip daddr 224.0.0.18 meta l4proto vrrp accept')
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    const s = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec, '--json'])
    expect(s.exitCode, s.stdout + s.stderr).toBe(0)
    expect((JSON.parse(s.stdout) as StatusCommandResult).nodes.map((n) => n.firewall)).toEqual([true, true])
    expect((await deployCli(lab)).changes).toBe(0)
    for (const name of NODES) expect(await lab.exec(name, ['firewall-cmd', '--zone=public', '--list-rich-rules'])).toBe(RULE)
  })

  it('without the rule firewalld rejects VRRP (both nodes take the VIP: status exits 3); a redeploy puts the rule back and one holder remains', async () => {
    for (const name of NODES) {
      await execOk(lab, name, ['firewall-cmd', '--permanent', '--zone=public', `--remove-rich-rule=${RULE}`])
      await execOk(lab, name, ['firewall-cmd', '--reload'])
    }
    const deadline = Date.now() + 15_000
    let holders = await lab.holders(vip)
    while (holders.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
      holders = await lab.holders(vip)
    }
    expect(holders).toEqual(NODES)
    const s = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec, '--json'])
    expect(s.exitCode).toBe(3)
    expect((JSON.parse(s.stdout) as StatusCommandResult).nodes.map((n) => n.firewall)).toEqual([false, false])

    const r = await deployCli(lab)
    expect(r.changes).toBeGreaterThan(0)
    for (const name of NODES) expect(await lab.exec(name, ['firewall-cmd', '--zone=public', '--list-rich-rules'])).toBe(RULE)
    expect(await settle(lab, vip)).toEqual(['lb1'])
  })
})
