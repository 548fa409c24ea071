import {execa} from 'execa'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {labDown, labStatus, labUp, type LabUpResult} from '../../../src/lab/lab.js'
import {SshTransport} from '../../../src/remote/ssh.js'

const NAME = 'hlk'

const conf = (prio: number) => `global_defs {
  router_id hlk_${prio}
}
vrrp_instance VI_hlk {
  state BACKUP
  interface eth0
  virtual_router_id 202
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    10.202.1.100/24
  }
}
`

describe('lab hosts run real keepalived peers over SSH, and ssh-agent logins work', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hlk-ka-'))
  let lab: LabUpResult
  const transport = new SshTransport()

  beforeAll(async () => {
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    lab = await labUp({name: NAME, hosts: 2, subnet: '10.202.1.0/24', engine: 'keepalived', stateDir: join(tmp, 'lab')})
  })

  afterAll(async () => {
    await transport.closeAll()
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    rmSync(tmp, {recursive: true, force: true})
  })

  it('starts keepalived on each host with per-host pid files; exactly one holds the VIP; lab status shows it', async () => {
    for (const [node, prio] of [
      ['lb1', 150],
      ['lb2', 100],
    ] as const) {
      const h = await transport.connect({name: node, host: node, sshConfigFile: lab.sshConfig})
      await h.writeFile('/etc/keepalived/keepalived.conf', conf(prio), {mode: 0o644})
      const r = await h.exec(['keepalived', '-f', '/etc/keepalived/keepalived.conf'])
      expect(r.code).toBe(0)
      expect((await h.exec(['test', '-s', '/run/keepalived.pid'])).code).toBe(0)
    }
    await expect
      .poll(async () => (await labStatus({name: NAME})).hosts.map((x) => [x.name, x.keepalived, x.vips.join(',')]), {timeout: 15_000, interval: 500})
      .toEqual([
        ['lb1', true, '10.202.1.100/24'],
        ['lb2', true, ''],
      ])
    // the machine's own /run has no keepalived pid file from the lab
    const machine = await execa('test', ['-e', '/run/keepalived.pid'], {reject: false})
    expect(machine.exitCode).not.toBe(0)
  })

  it('logs in through ssh-agent when no key file is given', async () => {
    const sock = join(tmp, 'agent.sock')
    const agent = await execa('ssh-agent', ['-a', sock, '-s'])
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1])
    const prev = process.env.SSH_AUTH_SOCK
    try {
      await execa('ssh-add', [lab.identityFile], {env: {SSH_AUTH_SOCK: sock}})
      process.env.SSH_AUTH_SOCK = sock
      const t = new SshTransport()
      try {
        const emptyConfig = join(tmp, 'empty_ssh_config')
        writeFileSync(emptyConfig, '')
        const h = await t.connect({name: 'lb2', host: '10.202.1.12', user: 'root', knownHostsFile: lab.knownHosts, sshConfigFile: emptyConfig})
        expect((await h.exec(['hostname'])).stdout.trim()).toBe('lb2')
      } finally {
        await t.closeAll()
      }
    } finally {
      if (prev === undefined) delete process.env.SSH_AUTH_SOCK
      else process.env.SSH_AUTH_SOCK = prev
      if (pid > 0) process.kill(pid)
    }
  })

  it('lab down stops the keepalived peers too', async () => {
    await transport.closeAll()
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    const ps = await execa('pgrep', ['-f', 'keepalived -f /etc/keepalived/keepalived.conf'], {reject: false})
    // other labs on this machine may run keepalived; none of ours is left in a hlk- namespace
    for (const p of ps.stdout.split('\n').filter(Boolean)) {
      const ns = await execa('ip', ['netns', 'identify', p], {reject: false})
      expect(ns.stdout.trim().startsWith('hlk-')).toBe(false)
    }
  })
})
