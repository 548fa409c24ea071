import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {allocateUserIds, LAB_FIRST_ID, parseLabUserFlag, renderKnownHosts, renderLabSpec, renderSshConfig, renderSshdConfig, renderSudoers, renderUserTables, type LabFilePaths} from '../../../src/lab/files.js'
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
    // root reads the lab's key file; a lab login user its own ~/.ssh/authorized_keys
    expect(c).toMatch(/^AuthorizedKeysFile \/a \.ssh\/authorized_keys$/m)
  })

  it('spec and ssh_config log in as the lab login user when there is one', () => {
    expect(parse(renderLabSpec(plan, paths, 'ops')).defaults.ssh.user).toBe('ops')
    expect(renderSshConfig(plan, paths, 'ops')).toContain('\n  User ops\n')
    expect(renderSshConfig(plan, paths)).toContain('\n  User root\n')
  })
})

describe('lab login users', () => {
  const passwd = `root:x:0:0:root:/root:/bin/bash\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nold:x:${LAB_FIRST_ID}:100::/home/old:/bin/sh\n`
  const group = `root:x:0:\nstaff:x:${LAB_FIRST_ID + 1}:\n`

  it('gets uids that are neither a uid nor a gid on the machine', () => {
    expect(allocateUserIds(passwd, group, [{name: 'ops'}, {name: 'guest'}])).toEqual([LAB_FIRST_ID + 2, LAB_FIRST_ID + 3])
  })

  it('refuses names the machine has, duplicates and unusable names', () => {
    for (const bad of [[{name: 'sshd'}], [{name: 'staff'}], [{name: 'root'}], [{name: 'a'}, {name: 'a'}], [{name: 'Ops'}], [{name: 'a b'}], [{name: '../x'}]])
      expect(() => allocateUserIds(passwd, group, bad), JSON.stringify(bad)).toThrow(/LAB_BAD_USER|not usable/)
  })

  it('appends the users to passwd, group and shadow: own group, home in the host, key-only (not locked) password field', () => {
    const t = renderUserTables({passwd, group: 'root:x:0:', shadow: 'root:*:19000:0:99999:7:::\n'}, [{name: 'ops', uid: 4300, sudo: 'nopasswd', home: '/run/home/ops'}], 20000)
    expect(t.passwd).toBe(`${passwd}ops:x:4300:4300:halctl lab user:/run/home/ops:/bin/bash\n`)
    expect(t.group).toBe('root:x:0:\nops:x:4300:\n')
    expect(t.shadow).toBe('root:*:19000:0:99999:7:::\nops:*:20000:0:99999:7:::\n')
  })

  it('sudoers: every user logged, NOPASSWD only for those granted it', () => {
    const text = renderSudoers([
      {name: 'ops', uid: 4300, sudo: 'nopasswd', home: '/run/home/ops'},
      {name: 'guest', uid: 4301, sudo: 'none', home: '/run/home/guest'},
    ])
    expect(text).toMatch(/^Defaults:ops logfile=\/run\/sudo\.log, loglinelen=0$/m)
    expect(text).toMatch(/^Defaults:guest logfile=\/run\/sudo\.log, loglinelen=0$/m)
    expect(text).toMatch(/^ops ALL=\(ALL:ALL\) NOPASSWD: ALL$/m)
    expect(text).not.toMatch(/^guest /m)
  })

  it('--user NAME[:nopasswd|none]: passwordless sudo unless :none', () => {
    expect(parseLabUserFlag('ops')).toEqual({name: 'ops', sudo: 'nopasswd'})
    expect(parseLabUserFlag('ops:nopasswd')).toEqual({name: 'ops', sudo: 'nopasswd'})
    expect(parseLabUserFlag('guest:none')).toEqual({name: 'guest', sudo: 'none'})
    for (const bad of ['', 'Ops', 'ops:all', 'ops:none:x', 'a b']) expect(() => parseLabUserFlag(bad), bad).toThrow(/NAME\[:nopasswd\|none\]/)
  })
})
