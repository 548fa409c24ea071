import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import Import, {type ImportCommandResult} from '../../../src/commands/import.js'
import {StatusReader} from '../../../src/status/status.js'
import {settle, startLab, type Lab} from '../deploy/lab-fixture.js'
import {runCommand} from '../../helpers/run-command.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'x122a'
const SUBNET = '10.122.0.0/24'

/**
 * Adopting a cluster set up by hand, the way tutorials do it: Debian's
 * keepalived package under SysV init, one keepalived.conf per node written by
 * hand (unicast peers, auth, a check script, comments and its own layout),
 * DAEMON_ARGS in /etc/default/keepalived, `service keepalived start`. Then
 * `halctl import` over SSH, and `deploy --dry-run` on the imported spec must
 * find nothing to change (the config says the same keyword by keyword; the
 * nodes' own firewall and sysctls are left alone); status reads the cluster
 * from the imported spec.
 */
const handWritten = (me: {name: string; address: string}, peer: {address: string}, vip: string, master: boolean): string => `! Configuration File for keepalived (written by hand)
global_defs {
   router_id ${me.name}
}

vrrp_script chk_true {
    script "/bin/true"
    interval 2
    weight -20
}

vrrp_instance VI_1 {
    state ${master ? 'MASTER' : 'BACKUP'}       # the other node is ${master ? 'BACKUP' : 'MASTER'}
    interface eth0
    virtual_router_id 122
    priority ${master ? 150 : 100}
    advert_int 1
    unicast_src_ip ${me.address}
    unicast_peer {
        ${peer.address}
    }
    authentication {
        auth_type PASS
        auth_pass s3cr3t
    }
    virtual_ipaddress {
        ${vip}
    }
    track_script {
        chk_true
    }
}
`

describe.runIf(isRoot)('import adopts a hand-written 2-node cluster over SSH (real sshd, keepalived, SysV init)', () => {
  let lab: Lab
  let vip: string
  let out: string

  beforeAll(async () => {
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET, init: 'sysv'})
    vip = lab.up.vip.split('/')[0]
    out = join(lab.dir, 'adopted.yaml')
    const [a, b] = lab.up.hosts
    for (const [me, peer, master] of [
      [a, b, true],
      [b, a, false],
    ] as const) {
      // by hand on the node: the config (0600, it holds auth_pass), the daemon's options, the service
      const conf = handWritten(me, peer, lab.up.vip, master)
      await lab.exec(me.name, ['sh', '-c', `umask 077; printf '%s' "$1" > /etc/keepalived/keepalived.conf; printf 'DAEMON_ARGS="-D"\\n' > /etc/default/keepalived`, 'sh', conf])
      await lab.exec(me.name, ['service', 'keepalived', 'start'])
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
  }, 120_000)
  afterAll(async () => {
    await lab?.down()
  })

  it('imports both nodes over SSH: one spec, round trip on both, nothing in raw, the secret in a 0600 env file', async () => {
    const r = await runCommand<ImportCommandResult>(Import, ['-s', lab.up.spec, '--cluster', 'adopted', '-o', out, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const res = JSON.parse(r.stdout) as ImportCommandResult
    expect(res.roundTrip).toEqual([
      {node: 'lb1', equal: true},
      {node: 'lb2', equal: true},
    ])
    expect(res.raw).toEqual([])
    expect(res.summary).toMatchObject({nodes: 2, instances: 1, raw: 0, errors: 0, roundTrip: true})
    expect(res.sources?.map((s) => [s.node, s.configFile, s.configFrom, s.running])).toEqual([
      ['lb1', '/etc/keepalived/keepalived.conf', 'default', true],
      ['lb2', '/etc/keepalived/keepalived.conf', 'default', true],
    ])
    expect(res.instances).toEqual([{name: 'VI_1', vrid: 122, interface: 'eth0', nodes: ['lb1', 'lb2'], inRaw: false}])
    expect(res.scripts.map((s) => [s.node, s.path])).toEqual([
      ['lb1', '/bin/true'],
      ['lb2', '/bin/true'],
    ])
    const spec = parse(readFileSync(out, 'utf8')) as Record<string, any>
    expect(spec.nodes.map((n: {name: string; address: string}) => [n.name, n.address])).toEqual(lab.up.hosts.map((h) => [h.name, h.address]))
    expect(spec.instances[0]).toMatchObject({vrid: 122, unicast: true, priorities: {lb1: 150, lb2: 100}, auth: {type: 'PASS', pass: 'env:HAL_VRRP_PASS'}})
    expect(spec.ssh).toMatchObject({configFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts})
    // the hand-set nodes' nftables let VRRP in and halctl never set their sysctls: deploy leaves both alone
    expect(spec.manage).toEqual({firewall: false, sysctls: false})
    expect(res.sources?.map((s) => s.firewall)).toEqual([
      {kind: 'nftables', halctlRules: false, letsVrrpIn: true},
      {kind: 'nftables', halctlRules: false, letsVrrpIn: true},
    ])
    expect(readFileSync(out, 'utf8')).not.toContain('s3cr3t')
    expect(statSync(res.envFile!).mode & 0o777).toBe(0o600)
    expect(readFileSync(res.envFile!, 'utf8')).toBe("export HAL_VRRP_PASS='s3cr3t'\n")
  })

  it('deploy --dry-run of the imported spec changes nothing; status reads the cluster from it', async () => {
    process.env.HAL_VRRP_PASS = 's3cr3t'
    try {
      const r = await runCommand<DeployCommandResult>(Deploy, ['-s', out, '--dry-run', '--json'])
      const res = JSON.parse(r.stdout) as DeployCommandResult
      expect(r.exitCode, r.stdout + r.stderr).toBe(0)
      expect(res.nodes.map((n) => [n.node, n.changes.map((c) => c.summary)])).toEqual([
        ['lb1', []],
        ['lb2', []],
      ])
      expect(res.changes).toBe(0)
      const reader = new StatusReader((await lab.load(out)).cluster, lab.transport, {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts})
      try {
        const s = await reader.read()
        expect(s.instances.map((i) => [i.name, i.holder])).toEqual([['VI_1', 'lb1']])
        // the hand-written configs say what the spec says: no drift
        expect(s.nodes.map((n) => [n.node, n.running, n.drift])).toEqual([
          ['lb1', true, []],
          ['lb2', true, []],
        ])
        expect(s.findings).toEqual([])
      } finally {
        await reader.close()
      }
    } finally {
      delete process.env.HAL_VRRP_PASS
    }
  })
})
