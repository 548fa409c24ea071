import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {SshTransport} from '../../../src/remote/ssh.js'

/** Key problems are told before any connection is tried, naming the spec key to set. */
const dir = mkdtempSync(join(tmpdir(), 'halctl-keys-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

async function connectError(identityFile: string | undefined): Promise<{code?: string; message: string; hint?: string}> {
  const config = join(dir, 'ssh_config')
  writeFileSync(config, '')
  const agent = process.env.SSH_AUTH_SOCK
  const home = process.env.HOME
  delete process.env.SSH_AUTH_SOCK
  // no ~/.ssh/id_* defaults from the machine running the test
  process.env.HOME = dir
  try {
    // port 9 (discard) on loopback: never reached, the key check comes first
    await new SshTransport().connect({name: 'lb1', host: '127.0.0.1', port: 9, user: 'ops', identityFile, sshConfigFile: config, knownHostsFile: join(dir, 'known_hosts')})
    return {message: 'connected'}
  } catch (e) {
    return e as {code?: string; message: string; hint?: string}
  } finally {
    if (agent !== undefined) process.env.SSH_AUTH_SOCK = agent
    process.env.HOME = home
  }
}

describe('SSH keys', () => {
  it('an encrypted key without an agent is reported as such, with what to do', async () => {
    const key = join(dir, 'id_enc')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-passphrase', '-f', key])
    const e = await connectError(key)
    expect(e.code).toBe('SSH_KEY_ENCRYPTED')
    expect(e.message).toContain(`SSH key ${key} has a passphrase and no ssh-agent is running`)
    expect(e.hint).toContain(`ssh-add ${key}`)
    expect(e.hint).toContain('defaults.ssh.identityFile')
    expect(JSON.stringify(e)).not.toContain('secret-passphrase')
  })

  it('no key at all names the spec keys and the ssh config to set', async () => {
    const none = await connectError(undefined)
    expect(none.code).toBe('SSH_NO_KEY')
    expect(none.message).toContain('no SSH key to log in to 127.0.0.1 as ops')
    expect(none.hint).toContain('defaults.ssh.identityFile')
    expect(none.hint).toContain('ssh.configFile')
  })
})
