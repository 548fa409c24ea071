import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {renderKnownHosts, renderLabSpec, renderSshConfig, renderSshdConfig, type LabFilePaths} from '../../../src/lab/files.js'
import {planLab} from '../../../src/lab/plan.js'

const plan = planLab({name: 'hlt', subnet: '10.202.0.0/24', hosts: 2, engine: 'keepalived'})
const paths: LabFilePaths = {
  stateDir: '/x/.lab/hlt',
  spec: '/x/.lab/hlt/lab.yaml',
  sshConfig: '/x/.lab/hlt/ssh_config',
  knownHosts: '/x/.lab/hlt/known_hosts',
  identityFile: '/x/.lab/hlt/id_ed25519',
  authorizedKeys: '/x/.lab/hlt/authorized_keys',
}

describe('lab files', () => {
  it('writes a cluster spec in the agreed shape', async () => {
    const text = renderLabSpec(plan, paths)
    const spec = parse(text)
    expect(spec).toMatchObject({
      cluster: 'hlt',
      defaults: {interface: 'eth0', ssh: {user: 'root', port: 22, identityFile: paths.identityFile}},
      ssh: {configFile: paths.sshConfig, knownHostsFile: paths.knownHosts},
      nodes: [
        {name: 'lb1', address: '10.202.0.11'},
        {name: 'lb2', address: '10.202.0.12'},
      ],
      instances: [{name: 'VI_hlt', vrid: 'auto', vips: ['10.202.0.100/24']}],
    })
    // when the spec loader is present, the lab spec must pass it
    const loader = (await import('../../../src/spec/load.js').catch(() => undefined)) as
      | {loadSpecText: (t: string, f: string) => {nodes: unknown[]}}
      | undefined
    if (loader) expect(loader.loadSpecText(text, paths.spec).nodes).toHaveLength(2)
  })

  it('writes an ssh_config and known_hosts that name each host and its address', () => {
    const cfg = renderSshConfig(plan, paths)
    expect(cfg).toContain('Host lb1 10.202.0.11\n  HostName 10.202.0.11')
    expect(cfg).toContain(`UserKnownHostsFile ${paths.knownHosts}`)
    expect(cfg).toContain('StrictHostKeyChecking yes')
    const kh = renderKnownHosts([{name: 'lb1', address: '10.202.0.11', publicKey: 'ssh-ed25519 AAAAkey halctl-lab lb1'}])
    expect(kh).toBe('lb1,10.202.0.11 ssh-ed25519 AAAAkey\n')
  })

  it('writes a key-only sshd_config bound to the lab address', () => {
    const c = renderSshdConfig('10.202.0.11', {config: '/c', hostKey: '/k', pidFile: '/p', logFile: '/l'}, '/a')
    expect(c).toMatch(/^ListenAddress 10\.202\.0\.11$/m)
    expect(c).toMatch(/^PasswordAuthentication no$/m)
    expect(c).toMatch(/^PidFile \/p$/m)
    expect(c).toMatch(/^AuthorizedKeysFile \/a$/m)
  })
})
