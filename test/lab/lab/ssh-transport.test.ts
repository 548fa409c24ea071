import {execa} from 'execa'
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {labDown, labUp, type LabUpResult} from '../../../src/lab/lab.js'
import {HalError} from '../../../src/lib/errors.js'
import {SshRemoteHost, SshTransport} from '../../../src/remote/ssh.js'
import type {SshTarget} from '../../../src/remote/types.js'

const NAME = 'hlt'
const SUBNET = '10.202.0.0/24'

async function refusal(p: Promise<unknown>): Promise<HalError> {
  try {
    await p
  } catch (e) {
    if (e instanceof HalError) return e
    throw e
  }
  throw new Error('expected a HalError')
}

describe('ssh2 transport against the lab sshd', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hlt-ssh-'))
  let lab: LabUpResult
  let transport: SshTransport
  const target = (node: string, extra: Partial<SshTarget> = {}): SshTarget => ({
    name: node,
    host: node,
    sshConfigFile: lab.sshConfig,
    ...extra,
  })

  beforeAll(async () => {
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    lab = await labUp({name: NAME, hosts: 2, subnet: SUBNET, engine: 'none', stateDir: join(tmp, 'lab')})
    transport = new SshTransport()
  })

  afterAll(async () => {
    await transport?.closeAll()
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    rmSync(tmp, {recursive: true, force: true})
  })

  it('logs in with the lab key via ssh_config; hostnames and /etc/keepalived differ per host', async () => {
    const a = await transport.connect(target('lb1'))
    const b = await transport.connect(target('lb2'))
    expect(a.isRoot).toBe(true)
    expect(a.address).toBe('10.202.0.11')
    expect((await a.exec(['hostname'])).stdout.trim()).toBe('lb1')
    expect((await b.exec(['hostname'])).stdout.trim()).toBe('lb2')
    await a.writeFile('/etc/keepalived/keepalived.conf', 'global_defs {\n}\n', {mode: 0o640})
    expect((await a.readFile('/etc/keepalived/keepalived.conf'))?.toString()).toBe('global_defs {\n}\n')
    expect(await b.readFile('/etc/keepalived/keepalived.conf')).toBeUndefined()
    expect((await a.exec(['stat', '-c', '%a %U', '/etc/keepalived/keepalived.conf'])).stdout.trim()).toBe('640 root')
    // no temporary file left beside it
    expect((await a.exec(['ls', '-A', '/etc/keepalived'])).stdout.trim()).toBe('keepalived.conf')
    expect((await b.exec(['nft', 'list', 'tables'])).code).toBe(0)
  })

  it('quotes argv so shell syntax reaches the remote command as data', async () => {
    const a = await transport.connect(target('lb1'))
    const evil = `x'; touch /tmp/hlt-pwned; echo $(id) \`id\` "q" > /tmp/hlt-pwned2 #`
    const r = await a.exec(['echo', evil])
    expect(r.stdout).toBe(`${evil}\n`)
    expect((await a.exec(['sh', '-c', 'ls /tmp/hlt-pwned /tmp/hlt-pwned2 2>/dev/null; true'])).stdout).toBe('')
    const viaStdin = await a.exec(['cat'], {stdin: 'from stdin'})
    expect(viaStdin.stdout).toBe('from stdin')
    expect((await a.exec(['sh', '-c', 'exit 7'])).code).toBe(7)
  })

  it('reuses one connection per host and runs many channels on it', async () => {
    const a1 = await transport.connect(target('lb1'))
    const a2 = await transport.connect(target('lb1'))
    expect(a2).toBe(a1)
    const outs = await Promise.all(Array.from({length: 24}, (_, i) => a1.exec(['echo', String(i)])))
    expect(outs.map((o) => o.stdout.trim())).toEqual(Array.from({length: 24}, (_, i) => String(i)))
    const sshds = await a1.exec(['sh', '-c', 'ps -eo args | grep -c "^sshd: root@notty"'])
    expect(Number(sshds.stdout.trim())).toBe(1)
  })

  it('writes atomically through the sh -c path when SFTP is not used', async () => {
    const t = new SshTransport({sftp: false})
    try {
      const a = await t.connect(target('lb1'))
      await a.writeFile('/etc/keepalived/shell.conf', "via 'sh'\n", {mode: 0o600})
      expect((await a.readFile('/etc/keepalived/shell.conf'))?.toString()).toBe("via 'sh'\n")
      expect(await a.readFile('/etc/keepalived/none.conf')).toBeUndefined()
      expect((await a.exec(['stat', '-c', '%a', '/etc/keepalived/shell.conf'])).stdout.trim()).toBe('600')
      // an existing file keeps its mode when none is given
      await a.writeFile('/etc/keepalived/shell.conf', 'again\n')
      expect((await a.exec(['stat', '-c', '%a', '/etc/keepalived/shell.conf'])).stdout.trim()).toBe('600')
      expect((await a.exec(['sh', '-c', 'ls -A /etc/keepalived | grep -c halctl || true'])).stdout.trim()).toBe('0')
    } finally {
      await t.closeAll()
    }
  })

  it('streams a long-running command and stops it', async () => {
    const b = await transport.connect(target('lb2'))
    let seen = ''
    const h = await b.stream(['ip', 'monitor', 'address'], (c) => (seen += c.toString()))
    // the login shell may take a moment before ip monitor subscribes
    await expect.poll(async () => (await b.exec(['pgrep', '-x', 'ip'])).code, {timeout: 5000}).toBe(0)
    await new Promise((r) => setTimeout(r, 100))
    await execa('ip', ['-n', 'hlt-lb2', 'addr', 'add', '10.202.0.77/24', 'dev', 'eth0'])
    const deadline = Date.now() + 5000
    while (!seen.includes('10.202.0.77') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(seen).toContain('10.202.0.77')
    await h.stop()
    const done = await h.done
    expect(done.code).toBe(143) // ended by TERM
    expect((await b.exec(['sh', '-c', 'pgrep -x ip || true'])).stdout.trim()).toBe('')
  })

  it('times out a command, and survives a connection cut: in-flight exec gets -1, next connect() reconnects', async () => {
    const t = new SshTransport()
    try {
      const a = await t.connect(target('lb1'))
      const e = await refusal(a.exec(['sleep', '30'], {timeoutMs: 500}))
      expect(e.code).toBe('SSH_TIMEOUT')
      expect(e.exitCode).toBe(4)
      // the remote command does not outlive the timeout
      await expect.poll(async () => (await a.exec(['sh', '-c', 'pgrep -x sleep -a | grep -c "sleep 30" || true'])).stdout.trim(), {timeout: 5000}).toBe('0')
      const inflight = a.exec(['sleep', '30'])
      await new Promise((r) => setTimeout(r, 500))
      // cut every SSH session of this host (the listener stays)
      await execa('sh', ['-c', 'for p in $(ip netns pids hlt-lb1); do case "$(cat /proc/$p/cmdline | tr "\\0" " ")" in "sshd: root@notty"*) kill -9 $p;; esac; done'])
      const r = await inflight
      expect(r.code).toBe(-1)
      // and the cut connection took its remote command with it
      await expect.poll(async () => (await execa('sh', ['-c', 'ip netns pids hlt-lb1 | xargs -r ps -o args= -p | grep -c "^sleep 30" || true'])).stdout.trim(), {timeout: 5000}).toBe('0')
      const after = await refusal(a.exec(['true']))
      expect(after.code).toBe('SSH_CONNECTION_LOST')
      const again = await t.connect(target('lb1'))
      expect(again).not.toBe(a)
      expect((await again.exec(['hostname'])).stdout.trim()).toBe('lb1')
    } finally {
      await t.closeAll()
    }
  })

  it('logs in through ssh-agent when the key file is encrypted, and says what it tried when there is no agent', async () => {
    const enc = join(tmp, 'id_encrypted')
    copyFileSync(lab.identityFile, enc)
    await execa('ssh-keygen', ['-q', '-p', '-N', 'lab-passphrase', '-f', enc])
    const sock = join(tmp, 'agent.sock')
    const agent = await execa('ssh-agent', ['-a', sock, '-s'])
    const agentPid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]
    const saved = process.env.SSH_AUTH_SOCK
    const t = new SshTransport()
    try {
      await execa('ssh-add', ['-q', lab.identityFile], {env: {SSH_AUTH_SOCK: sock}})
      process.env.SSH_AUTH_SOCK = sock
      const h = await t.connect({name: 'lb1', host: '10.202.0.11', user: 'root', identityFile: enc, knownHostsFile: lab.knownHosts})
      expect((await h.exec(['hostname'])).stdout.trim()).toBe('lb1')
      delete process.env.SSH_AUTH_SOCK
      const e = await refusal(new SshTransport().connect({name: 'lb2', host: '10.202.0.12', user: 'root', identityFile: enc, knownHostsFile: lab.knownHosts}))
      // the encrypted key is named, with what to do; neither the key nor its passphrase is shown
      expect(e.code).toBe('SSH_KEY_ENCRYPTED')
      expect(e.message).toContain(`SSH key ${enc} has a passphrase and no ssh-agent is running`)
      expect(e.hint).toMatch(/ssh-add/)
      expect(JSON.stringify({message: e.message, hint: e.hint})).not.toMatch(/PRIVATE KEY|lab-passphrase/)
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK
      else process.env.SSH_AUTH_SOCK = saved
      await t.closeAll()
      if (agentPid) process.kill(Number(agentPid), 'SIGTERM')
    }
  })

  it('goes through a ProxyJump host', async () => {
    const t = new SshTransport()
    try {
      const b = await t.connect({name: 'lb2', host: '10.202.0.12', user: 'root', identityFile: lab.identityFile, knownHostsFile: lab.knownHosts, proxyJump: 'root@10.202.0.11', sshConfigFile: lab.sshConfig})
      expect((await b.exec(['hostname'])).stdout.trim()).toBe('lb2')
      // the jump host saw the forwarded connection come from itself
      expect((await b.exec(['sh', '-c', 'echo $SSH_CLIENT'])).stdout.split(' ')[0]).toBe('10.202.0.11')
    } finally {
      await t.closeAll()
    }
  })

  it('refuses an unknown host without acceptNew, and records it with acceptNew', async () => {
    const kh = join(tmp, 'known_hosts_new')
    const t = new SshTransport()
    try {
      const base = {name: 'lb1', host: '10.202.0.11', user: 'root', identityFile: lab.identityFile, knownHostsFile: kh}
      const e = await refusal(t.connect(base))
      expect(e.code).toBe('SSH_HOST_KEY_UNKNOWN')
      expect(e.exitCode).toBe(4)
      expect(e.message).toMatch(/SHA256:/)
      expect(existsSync(kh)).toBe(false)
      const h = await t.connect({...base, acceptNew: true})
      expect((await h.exec(['hostname'])).stdout.trim()).toBe('lb1')
      const lab1 = readFileSync(lab.knownHosts, 'utf8').split('\n')[0].split(' ').slice(1).join(' ')
      expect(readFileSync(kh, 'utf8')).toBe(`10.202.0.11 ${lab1}\n`)
    } finally {
      await t.closeAll()
    }
  })

  it('always refuses a changed host key, naming the known_hosts file and line, even with acceptNew', async () => {
    const kh = join(tmp, 'known_hosts_changed')
    const lines = readFileSync(lab.knownHosts, 'utf8').trim().split('\n')
    const lb2Key = lines[1].split(' ').slice(1).join(' ')
    writeFileSync(kh, `# lab\n10.202.0.11 ${lb2Key}\n`)
    const t = new SshTransport()
    try {
      const e = await refusal(t.connect({name: 'lb1', host: '10.202.0.11', user: 'root', identityFile: lab.identityFile, knownHostsFile: kh, acceptNew: true}))
      expect(e.code).toBe('SSH_HOST_KEY_CHANGED')
      expect(e.where).toBe(`${kh}:2`)
      expect(e.hint).toContain('remove line 2')
      expect(readFileSync(kh, 'utf8')).toBe(`# lab\n10.202.0.11 ${lb2Key}\n`)
    } finally {
      await t.closeAll()
    }
  })

  it('accepts hashed known_hosts entries', async () => {
    const kh = join(tmp, 'known_hosts_hashed')
    copyFileSync(lab.knownHosts, kh)
    await execa('ssh-keygen', ['-H', '-f', kh])
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/)
    const t = new SshTransport()
    try {
      const h = await t.connect({name: 'lb2', host: '10.202.0.12', user: 'root', identityFile: lab.identityFile, knownHostsFile: kh})
      expect((await h.exec(['hostname'])).stdout.trim()).toBe('lb2')
    } finally {
      await t.closeAll()
    }
  })

  it('fails fast with a clear error for an unreachable address', async () => {
    const t = new SshTransport()
    const started = Date.now()
    const e = await refusal(t.connect({name: 'ghost', host: '10.202.0.99', user: 'root', identityFile: lab.identityFile, knownHostsFile: lab.knownHosts, readyTimeoutMs: 4000}))
    expect(Date.now() - started).toBeLessThan(8000)
    expect(e.code).toBe('SSH_UNREACHABLE')
    expect(e.exitCode).toBe(4)
    expect(e.hint).toMatch(/host is up/)
    const refused = await refusal(t.connect({name: 'lb1', host: '10.202.0.11', port: 2222, user: 'root', identityFile: lab.identityFile, knownHostsFile: lab.knownHosts}))
    expect(refused.code).toBe('SSH_UNREACHABLE')
    expect(refused.message).toContain('ECONNREFUSED')
  })

  it('reports a refused login clearly, without key material', async () => {
    const key = join(tmp, 'other_key')
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    const t = new SshTransport()
    const e = await refusal(t.connect({name: 'lb1', host: '10.202.0.11', user: 'root', identityFile: key, knownHostsFile: lab.knownHosts}))
    expect(e.code).toBe('SSH_AUTH_FAILED')
    expect(e.exitCode).toBe(4)
    const privateKey = readFileSync(key, 'utf8')
    expect(JSON.stringify(e.toJSON())).not.toContain(privateKey.split('\n')[1])
  })
})
