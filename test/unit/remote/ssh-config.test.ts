import {homedir, userInfo} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {expandPath, parseJumpSpec, resolveSshTargetWith} from '../../../src/remote/ssh-config.js'

const CONFIG = `
Host lb1
  HostName 10.0.0.11
  User deploy
  Port 2222
  IdentityFile ~/.ssh/lab_key
  ProxyJump bastion@jump.example:2200

Host lb2
  HostName %h.internal
  IdentityFile /keys/a
  IdentityFile /keys/b
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/lab_known_hosts
  ConnectTimeout 3

Host *
  User ops
`

describe('ssh_config resolution', () => {
  it('applies Host blocks: HostName, User, Port, IdentityFile, ProxyJump', () => {
    const t = resolveSshTargetWith({name: 'web1', host: 'lb1'}, CONFIG, '/cfg')
    expect(t).toMatchObject({
      alias: 'lb1',
      hostname: '10.0.0.11',
      user: 'deploy',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh/lab_key')],
      proxyJump: ['bastion@jump.example:2200'],
      configFile: '/cfg',
    })
  })

  it('lets explicit target fields win over the config', () => {
    const t = resolveSshTargetWith({name: 'web1', host: 'lb1', user: 'root', port: 22, identityFile: '/k', proxyJump: 'none'}, CONFIG)
    expect(t).toMatchObject({hostname: '10.0.0.11', user: 'root', port: 22, identityFiles: ['/k'], identitiesOnly: true, proxyJump: []})
  })

  it('expands %h, keeps every IdentityFile, reads UserKnownHostsFile and ConnectTimeout', () => {
    const t = resolveSshTargetWith({name: 'n', host: 'lb2'}, CONFIG)
    expect(t.hostname).toBe('lb2.internal')
    expect(t.user).toBe('ops')
    expect(t.identityFiles).toEqual(['/keys/a', '/keys/b'])
    expect(t.identitiesOnly).toBe(true)
    expect(t.knownHostsFile).toBe(join(homedir(), '.ssh/lab_known_hosts'))
    expect(t.readyTimeoutMs).toBe(3000)
  })

  it('falls back to the address, port 22, the local user and ~/.ssh/known_hosts without a config', () => {
    const t = resolveSshTargetWith({name: 'n', host: '192.0.2.9', knownHostsFile: '/kh', acceptNew: true}, undefined)
    expect(t).toMatchObject({hostname: '192.0.2.9', port: 22, user: userInfo().username, knownHostsFile: '/kh', acceptNew: true, proxyJump: []})
    expect(t.configFile).toBeUndefined()
  })

  it('parses ProxyJump hops and expands paths', () => {
    expect(parseJumpSpec('u@h:2200')).toEqual({user: 'u', host: 'h', port: 2200})
    expect(parseJumpSpec('h')).toEqual({user: undefined, host: 'h', port: undefined})
    expect(parseJumpSpec('[fd00::1]:22')).toEqual({user: undefined, host: 'fd00::1', port: 22})
    expect(parseJumpSpec('ssh://a@b')).toEqual({user: 'a', host: 'b', port: undefined})
    expect(resolveSshTargetWith({name: 'n', host: 'x', proxyJump: 'a@j1, j2:2'}, undefined).proxyJump).toEqual(['a@j1', 'j2:2'])
    expect(expandPath('~/x/%h-%p', {host: 'h', port: 2})).toBe(join(homedir(), 'x/h-2'))
    expect(expandPath('/a/%%')).toBe('/a/%')
  })

  it('reports a broken config as a bad-input error naming the file', () => {
    expect(() => resolveSshTargetWith({name: 'n', host: 'x'}, 'Host "unterminated\n', '/bad/config')).toThrow(/\/bad\/config/)
  })
})
