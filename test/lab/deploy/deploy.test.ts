import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import Status, {type StatusCommandResult} from '../../../src/commands/status.js'
import {KEEPALIVED_CONF} from '../../../src/host/paths.js'
import {execInHost} from '../../../src/lab/netns.js'
import type {ExecOptions, RemoteHost, SshTarget, Transport} from '../../../src/remote/types.js'
import {StatusReader} from '../../../src/status/status.js'
import {runCommand} from '../../helpers/run-command.js'
import {deployCli, otherHostKey, settle, startLab, type Lab} from './lab-fixture.js'

const isRoot = process.getuid?.() === 0

/** Every node: a keepalived that runs, the VRRP rule in its own nftables, its config as rendered. */
async function expectHealthy(lab: Lab, vip: string, master: string): Promise<void> {
  expect(await settle(lab, vip)).toEqual([master])
  for (const name of lab.hosts.keys()) {
    expect(await lab.keepalivedPid(name), `${name} keepalived`).toBeGreaterThan(0)
    const ruleset = await lab.exec(name, ['nft', 'list', 'ruleset'])
    expect(ruleset).toContain('table inet halctl')
    expect(ruleset).toMatch(/ip daddr 224\.0\.0\.18 ip protocol vrrp accept/)
  }
}

describe.runIf(isRoot)('deploy + status on a 2-node lab (real sshd, keepalived, nftables)', () => {
  let lab: Lab
  let vip: string

  beforeAll(async () => {
    lab = await startLab(2)
    vip = lab.up.vip.split('/')[0]
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('deploys from a fresh lab: configs written, firewall opened, keepalived started, one VIP holder', async () => {
    const json = await deployCli(lab)
    expect(json.nodes.map((n) => n.status)).toEqual(['deployed', 'deployed'])
    const loaded = await lab.load()
    for (const n of loaded.cluster.nodes) expect(lab.conf(n.name)).toBe(n.text)
    // installs nothing twice: keepalived was there, no install step ran
    expect(json.nodes.flatMap((n) => n.steps.map((s) => s.step))).not.toContain('install')
    await expectHealthy(lab, vip, 'lb1')
    expect(readFileSync('/etc/netns/hdp-lb1/nftables.conf', 'utf8')).toContain('include "/etc/keepalived/halctl/vrrp.nft"')
  })

  it('status shows exactly one holder per VIP, matching ip addr on the nodes', async () => {
    const r = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as StatusCommandResult
    expect(s.instances[0].vips[0].holders).toEqual(await lab.holders(vip))
    expect(s.instances[0].holder).toBe('lb1')
    expect(s.nodes.map((n) => [n.node, n.running, n.firewall, n.drift.length, n.instances[0].state, n.instances[0].source])).toEqual([
      ['lb1', true, true, 0, 'MASTER', 'keepalived'],
      ['lb2', true, true, 0, 'BACKUP', 'keepalived'],
    ])
  })

  it('a second deploy is a no-op: 0 changes, fast, keepalived not touched', async () => {
    const pids = [await lab.keepalivedPid('lb1'), await lab.keepalivedPid('lb2')]
    const t0 = Date.now()
    const r = await lab.deploy(await lab.load())
    expect(r.ok).toBe(true)
    expect(r.changes).toBe(0)
    expect(r.nodes.map((n) => n.status)).toEqual(['unchanged', 'unchanged'])
    expect(Date.now() - t0).toBeLessThan(5000)
    expect([await lab.keepalivedPid('lb1'), await lab.keepalivedPid('lb2')]).toEqual(pids)
  })

  it('a changed priority redeploys with a reload (same pid) and the VIP does not move', async () => {
    const spec = lab.specVariant('prio', (d) => void (d.nodes[1].priority = 120))
    // --dry-run first: the plan shows the diff against the node's real file and changes nothing
    const confBefore = lab.conf('lb2')
    const dry = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/-\s+priority 100\n\s*\+\s+priority 120/)
    expect(dry.stdout).toMatch(/reload keepalived \(SIGHUP\)/)
    expect(lab.conf('lb2')).toBe(confBefore)
    const pid = await lab.keepalivedPid('lb2')
    const seen = new Set<string>()
    let watching = true
    const watcher = (async () => {
      for (let i = 0; watching && i < 400; i++) {
        for (const h of await lab.holders(vip)) seen.add(h)
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    const r = await lab.deploy(await lab.load(spec))
    await new Promise((r2) => setTimeout(r2, 3000))
    watching = false
    await watcher
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    const lb2 = r.nodes.find((n) => n.node === 'lb2')
    expect(lb2?.status).toBe('deployed')
    expect(lb2?.changes.map((c) => c.kind)).toEqual(['config', 'service'])
    expect(lb2?.steps.find((s) => s.step === 'service')?.detail).toBe('reloaded')
    expect(r.nodes.find((n) => n.node === 'lb1')?.status).toBe('unchanged')
    expect(await lab.keepalivedPid('lb2')).toBe(pid)
    expect(lab.conf('lb2')).toMatch(/priority 120/)
    // the previous config was kept in a timestamped backup on the node
    expect(lb2?.backup).toMatch(/^\/etc\/keepalived\/\.halctl-backups\/\d{8}T\d{6}Z$/)
    expect(readFileSync(`/etc/netns/hdp-lb2${lb2?.backup?.replace('/etc', '')}/keepalived.conf`, 'utf8')).toBe(confBefore)
    expect([...seen]).toEqual(['lb1'])
    const st = await new StatusReader((await lab.load(spec)).cluster, lab.transport, {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts}).read()
    expect(st.nodes[1].instances[0]).toMatchObject({state: 'BACKUP', priority: 120, effectivePriority: 120})
  })

  describe('faults leave every node with its working previous config', () => {
    let before: Record<string, string | undefined>
    let spec: string

    beforeAll(async () => {
      spec = lab.specVariant('base', (d) => void (d.nodes[1].priority = 120))
      const r = await lab.deploy(await lab.load(spec))
      expect(r.ok, JSON.stringify(r.error)).toBe(true)
      expect(await settle(lab, vip)).toEqual(['lb1'])
      before = {lb1: lab.conf('lb1'), lb2: lab.conf('lb2')}
    })

    async function unchangedAndHealthy(): Promise<void> {
      expect({lb1: lab.conf('lb1'), lb2: lab.conf('lb2')}).toEqual(before)
      for (const name of ['lb1', 'lb2']) {
        const left = await lab.exec(name, ['sh', '-c', 'ls -a /etc/keepalived | grep -c halctl-stage || true'])
        expect(left.trim(), `${name} staging left behind`).toBe('0')
      }
      await expectHealthy(lab, vip, 'lb1')
    }

    it('a config that fails keepalived -t on the target: rejected before it is written, clear report', async () => {
      const bad = lab.specVariant('bad', (d) => {
        d.nodes[1].priority = 110
        d.instances[0].raw = ['bogus_keyword 1']
      })
      const r = await lab.deploy(await lab.load(bad))
      expect(r.ok).toBe(false)
      expect(r.error?.exitCode).toBe(4)
      // lb1 holds the VIP: lb2 goes first, fails, and lb1 is never touched
      expect(r.nodes.map((n) => [n.node, n.status])).toEqual([
        ['lb1', 'skipped'],
        ['lb2', 'rolled-back'],
      ])
      const lb2 = r.nodes[1]
      expect(lb2.error?.step).toBe('validate')
      expect(lb2.error?.message).toMatch(/keepalived -t on the node rejected the new config \(exit \d+\).*bogus_keyword/)
      await unchangedAndHealthy()
    })

    it('an SSH connection cut mid-deploy: the node is restored after reconnecting', async () => {
      const changed = lab.specVariant('cut', (d) => void (d.nodes[1].priority = 111))
      const cut = cuttingTransport(lab, 'lb2')
      const r = await lab.deploy(await lab.load(changed), {callTimeoutMs: 10_000}, cut)
      expect(r.ok).toBe(false)
      const lb2 = r.nodes.find((n) => n.node === 'lb2')
      expect(lb2?.status, JSON.stringify(lb2)).toBe('rolled-back')
      expect(lb2?.error?.step).toBe('write')
      expect(lb2?.rollback?.join('; ')).toMatch(/after reconnecting/)
      expect(r.nodes.find((n) => n.node === 'lb1')?.status).toBe('unchanged')
      await unchangedAndHealthy()
    })

    it('a changed host key: refused before anything is touched', async () => {
      const kh = lab.up.knownHosts
      const orig = readFileSync(kh, 'utf8')
      const other = otherHostKey(lab.dir)
      writeFileSync(kh, orig.split('\n').map((l) => (l.startsWith('lb2,') ? `${l.split(' ')[0]} ${other}` : l)).join('\n'))
      try {
        const r = await lab.deploy(await lab.load(lab.specVariant('hk', (d) => void (d.nodes[1].priority = 112))))
        expect(r.ok).toBe(false)
        expect(r.error?.code).toBe('DEPLOY_PREFLIGHT')
        expect(r.nodes.find((n) => n.node === 'lb2')?.error?.message).toMatch(/host key/i)
        expect(r.nodes.find((n) => n.node === 'lb1')?.status).toBe('skipped')
      } finally {
        writeFileSync(kh, orig)
      }
      await unchangedAndHealthy()
    })

    it('an unreachable node: refused before anything is touched', async () => {
      const loaded = await lab.load(lab.specVariant('unreach', (d) => void (d.nodes[1].priority = 113)))
      loaded.cluster.nodes[1].ssh.host = '10.205.0.77'
      const r = await lab.deploy(loaded, {connectTimeoutMs: 3000})
      expect(r.ok).toBe(false)
      expect(r.error?.code).toBe('DEPLOY_PREFLIGHT')
      expect(r.nodes.map((n) => n.status)).toEqual(['skipped', 'failed'])
      await unchangedAndHealthy()
    })

    it("a node without the spec's interface: refused before anything is touched", async () => {
      const r = await lab.deploy(await lab.load(lab.specVariant('iface', (d) => void (d.nodes[1].interface = 'eth7'))))
      expect(r.ok).toBe(false)
      expect(r.nodes.find((n) => n.node === 'lb2')?.error?.message).toMatch(/interface eth7 does not exist on the node \(it has: lo, eth0\)/)
      await unchangedAndHealthy()
    })
  })

  it('spec values hostile to a shell reach the node as data, never as shell syntax', async () => {
    const marker = `/tmp/hdp-pwned-${process.pid}`
    const loaded = await lab.load(lab.specVariant('base2', (d) => void (d.nodes[1].priority = 120)))
    const evil = `/etc/keepalived/scripts/x';touch ${marker}-a;'$(touch ${marker}-b)\`touch ${marker}-c\`"; touch ${marker}-d".sh`
    for (const n of loaded.cluster.nodes) n.scripts.push({path: evil, content: '#!/bin/sh\nexit 0\n', mode: 0o755})
    const r = await lab.deploy(loaded)
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    for (const s of ['a', 'b', 'c', 'd']) expect(existsSync(`${marker}-${s}`), `${marker}-${s}`).toBe(false)
    expect((await lab.exec('lb2', ['cat', evil])).trim()).toBe('#!/bin/sh\nexit 0')
  })
})

/**
 * The real transport, except that the first write of keepalived.conf to
 * `node` happens after the node's sshd has dropped every session (its
 * per-connection processes are killed by pid inside the lab host).
 */
function cuttingTransport(lab: Lab, node: string): Transport {
  let done = false
  return {
    async connect(target: SshTarget): Promise<RemoteHost> {
      const real = await lab.transport.connect(target)
      if (target.name !== node) return real
      const wrapped: RemoteHost = {
        name: real.name,
        address: real.address,
        isRoot: real.isRoot,
        exec: (argv: string[], opts?: ExecOptions) => real.exec(argv, opts),
        stream: (argv, on, opts) => real.stream(argv, on, opts),
        readFile: (p, o) => real.readFile(p, o),
        async writeFile(p, content, o) {
          if (p === KEEPALIVED_CONF && !done) {
            done = true
            const host = lab.hosts.get(node)
            const pidFile = JSON.parse(readFileSync(`${lab.up.stateDir}/state.json`, 'utf8')).hosts.find((h: {name: string}) => h.name === node).sshdPidFile
            // the per-connection sshd processes and their privilege-separated children, by pid
            const script = 'kids=$(pgrep -P "$(cat "$1")"); grand=$(for k in $kids; do pgrep -P "$k"; done); [ -n "$kids" ] && kill -9 $kids $grand'
            await execInHost(host!, ['sh', '-c', script, 'cut', pidFile], {reject: false})
            await new Promise((r) => setTimeout(r, 300))
          }
          return real.writeFile(p, content, o)
        },
        close: () => real.close(),
      }
      return wrapped
    },
  }
}

describe.runIf(isRoot)('deploy on a 3-node lab', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(3)
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('fresh deploy: each node configured and firewalled, one holder, status agrees with ip addr; redeploy is a no-op', async () => {
    const vip = lab.up.vip.split('/')[0]
    const r = await lab.deploy(await lab.load(), {parallel: 2})
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    expect(r.order).toEqual(['lb1', 'lb2', 'lb3'])
    for (const n of (await lab.load()).cluster.nodes) expect(lab.conf(n.name)).toBe(n.text)
    await expectHealthy(lab, vip, 'lb1')
    const st = await new StatusReader((await lab.load()).cluster, lab.transport, {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts}).read()
    expect(st.ok).toBe(true)
    expect(st.instances[0].vips[0].holders).toEqual(await lab.holders(vip))
    expect(st.nodes.map((n) => n.instances[0].state)).toEqual(['MASTER', 'BACKUP', 'BACKUP'])
    const again = await lab.deploy(await lab.load())
    expect(again.changes).toBe(0)
  })

  it('status flags a split brain loudly (exit 3) when VRRP is blocked between the nodes', async () => {
    // drop VRRP on lb2 ahead of halctl's accept (a firewall halctl does not own): it stops hearing lb1
    const block = 'table inet hdpblock {\n  chain input {\n    type filter hook input priority -50; policy accept;\n    ip protocol vrrp drop\n  }\n}\n'
    await execInHost(lab.hosts.get('lb2')!, ['nft', '-f', '-'], {input: block})
    try {
      const vip = lab.up.vip.split('/')[0]
      const deadline = Date.now() + 15_000
      while ((await lab.holders(vip)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
      const r = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec])
      expect(r.exitCode).toBe(3)
      expect(r.stdout).toMatch(/!! SPLIT BRAIN: VI_hdp: 10\.205\.0\.\d+\/24 is on lb1 AND lb2/)
    } finally {
      await execInHost(lab.hosts.get('lb2')!, ['nft', 'delete', 'table', 'inet', 'hdpblock'], {reject: false})
    }
  })
})

describe.runIf(isRoot)('deploy with iptables on a 2-node lab', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(2)
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('--firewall iptables: halctl chain with the VRRP rule and one INPUT jump per node; status checks it; redeploy is a no-op', async () => {
    await deployCli(lab, ['--firewall', 'iptables'])
    for (const name of ['lb1', 'lb2']) {
      const rules = await lab.exec(name, ['iptables', '-S'])
      expect(rules).toContain('-A HALCTL-VRRP -d 224.0.0.18/32 -p vrrp -j ACCEPT')
      expect(rules.split('\n').filter((l) => l === '-A INPUT -j HALCTL-VRRP')).toHaveLength(1)
    }
    expect(await settle(lab, lab.up.vip.split('/')[0])).toEqual(['lb1'])
    const s = await runCommand<StatusCommandResult>(Status, ['-s', lab.up.spec, '--firewall', 'iptables', '--json'])
    expect((JSON.parse(s.stdout) as StatusCommandResult).nodes.map((n) => n.firewall)).toEqual([true, true])
    expect((await deployCli(lab, ['--firewall', 'iptables'])).changes).toBe(0)
    for (const name of ['lb1', 'lb2']) expect((await lab.exec(name, ['iptables', '-S'])).split('\n').filter((l) => l === '-A INPUT -j HALCTL-VRRP')).toHaveLength(1)
  })
})
