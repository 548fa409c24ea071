import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import Init from '../../../src/commands/init.js'
import {loadSpec, renderCluster} from '../../../src/spec/index.js'
import {runCommand} from '../../helpers/run-command.js'

const LAB = `cluster: x20a
defaults:
  interface: eth1
  ssh: {user: ops, port: 2222, identityFile: ./id_ed25519}
ssh:
  configFile: ./ssh_config
  knownHostsFile: ./known_hosts
nodes:
  - name: lb1
    address: 10.120.3.11
  - name: lb2
    address: 10.120.3.12
instances:
  - name: VI_1
    vips: [10.120.3.100/24]
`

describe('init --preset --ssh-from', () => {
  it("takes a lab's ssh block, login, nodes and interface into the starter spec (absolute paths); flags still win", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-sshfrom-'))
    try {
      writeFileSync(join(dir, 'lab.yaml'), LAB)
      const out = join(dir, 'web.yaml')
      const r = await runCommand(Init, ['--preset', 'nginx', '--ssh-from', join(dir, 'lab.yaml'), '--vip', '10.120.3.100/24', '--cluster', 'shop', '-o', out])
      expect(r.exitCode).toBe(0)
      const text = readFileSync(out, 'utf8')
      expect(text).toContain(`ssh:                            # ssh_config and known_hosts (from ${join(dir, 'lab.yaml')})`)
      process.env.HAL_VRRP_PASS ??= 'x'
      const spec = await loadSpec(out)
      expect(spec.ssh).toEqual({configFile: join(dir, 'ssh_config'), knownHostsFile: join(dir, 'known_hosts')})
      expect(spec.defaults?.ssh).toEqual({user: 'ops', port: 2222, identityFile: join(dir, 'id_ed25519')})
      const nodes = renderCluster(spec).nodes
      expect(nodes.map((n) => [n.name, n.address, n.interface, n.ssh.user])).toEqual([
        ['lb1', '10.120.3.11', 'eth1', 'ops'],
        ['lb2', '10.120.3.12', 'eth1', 'ops'],
      ])
      // a flag wins over the lab's value
      const r2 = await runCommand(Init, ['--preset', 'nginx', '--ssh-from', join(dir, 'lab.yaml'), '--vip', '10.120.3.100/24', '-i', 'eth9'])
      expect(r2.stdout).toMatch(/^ {2}interface: eth9\b/m)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
