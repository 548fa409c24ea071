import {describe, expect, it} from 'vitest'
import {classifySshError, remoteCommandLine} from '../../../src/remote/ssh.js'
import {resolveSshTargetWith} from '../../../src/remote/ssh-config.js'

const t = resolveSshTargetWith({name: 'lb1', host: '10.0.0.11', user: 'deploy', identityFile: '/k', knownHostsFile: '/kh'}, undefined)

describe('ssh command lines and errors', () => {
  it('quotes every argv element and adds sudo -n only for a non-root login that asks for it', () => {
    expect(remoteCommandLine(['echo', "a'b; $(id)"], {isRoot: true})).toBe(`echo 'a'\\''b; $(id)'`)
    expect(remoteCommandLine(['cat', '/etc/x y'], {sudo: true, isRoot: false})).toBe(`sudo -n -- cat '/etc/x y'`)
    expect(remoteCommandLine(['cat', '/etc/x'], {sudo: true, isRoot: true})).toBe('cat /etc/x')
  })

  it('turns network errors into exit-4 errors with a hint', () => {
    const e = classifySshError(Object.assign(new Error('connect EHOSTUNREACH'), {code: 'EHOSTUNREACH'}), t)
    expect(e.code).toBe('SSH_UNREACHABLE')
    expect(e.exitCode).toBe(4)
    expect(e.where).toBe('lb1 (deploy@10.0.0.11:22)')
    expect(e.hint).toBeTruthy()
    expect(classifySshError(new Error('Timed out while waiting for handshake'), t).code).toBe('SSH_UNREACHABLE')
    const auth = classifySshError(Object.assign(new Error('All configured authentication methods failed'), {level: 'client-authentication'}), t)
    expect(auth.code).toBe('SSH_AUTH_FAILED')
    expect(auth.hint).toContain('/k')
  })
})
