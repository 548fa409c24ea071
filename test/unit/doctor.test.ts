import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import Doctor, {type DoctorResult} from '../../src/commands/doctor.js'
import {setTransportFactory} from '../../src/deploy/transport.js'
import {requirementsFor} from '../../src/doctor/nodes.js'
import {loadSpec, renderCluster} from '../../src/spec/index.js'
import {FakeTransport} from '../helpers/fake-transport.js'
import {runCommand} from '../helpers/run-command.js'
import {MINIMAL_SPEC} from '../helpers/specs.js'

const SPEC = `${MINIMAL_SPEC.replace('    vips: [10.0.0.100/24]\n', '    vips: [10.0.0.100/24]\n    trackScripts: [chk_web]\n')}scripts:
  chk_web:
    script: {template: check_web, params: {service: nginx, url: 'http://127.0.0.1/'}}
    interval: 2
logging: {file: /var/log/keepalived.log, facility: 3}
defaults:
  ssh: {user: ops}
`

function specFile(): {path: string; done: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'halctl-doctor-'))
  const path = join(dir, 'cluster.yaml')
  writeFileSync(path, SPEC)
  return {path, done: () => rmSync(dir, {recursive: true, force: true})}
}

afterEach(() => setTransportFactory(undefined))

describe('halctl doctor', () => {
  it('returns a typed --json payload listing the tools of this machine, libpcap too', async () => {
    const r = await runCommand<DoctorResult>(Doctor, ['--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as DoctorResult
    expect(Object.keys(json).sort()).toEqual(['root', 'tools'])
    expect(json.tools.map((t) => t.name)).toEqual(['keepalived', 'ip', 'tcpdump', 'nft', 'iptables', 'sshd', 'firewall-cmd', 'arping', 'curl', 'rsyslogd', 'libpcap'])
    for (const t of json.tools) expect(typeof t.found).toBe('boolean')
  })

  it('derives what a node needs from its rendered config and scripts', async () => {
    const {path, done} = specFile()
    try {
      const node = renderCluster(await loadSpec(path)).nodes[0]
      const reqs = requirementsFor(node)
      const need = reqs.map((r) => r.need)
      expect(need).toEqual(expect.arrayContaining(['ip', 'sysctl', 'a firewall tool', 'tcpdump', 'sudo', 'rsyslog', 'curl']))
      expect(reqs.find((r) => r.need === 'curl')?.why).toMatch(/called by \/.*check_web\.sh/)
      expect(reqs.find((r) => r.need === 'rsyslog')?.why).toContain('local3')
    } finally {
      done()
    }
  })

  it('-s checks every node over SSH: missing programs with their package (exit 5), unreachable nodes with the reason (exit 4)', async () => {
    const {path, done} = specFile()
    const fake = new FakeTransport()
    const have = ['keepalived', 'ip', 'sysctl', 'nft', 'tcpdump', 'sudo', 'rsyslogd', 'logger', 'pidof', 'systemctl']
    fake.machine('lb1', '10.0.0.11').on((argv) => argv[0] === 'sh', (argv) => ({code: 0, stdout: argv[2].match(/for p in ([^;]+);/)![1].trim().split(' ').map((p) => `${p}=${have.includes(p) ? `/usr/bin/${p}` : ''}`).join('\n')}))
    fake.machine('lb2', '10.0.0.12').unreachable = 'ECONNREFUSED'
    setTransportFactory(() => fake)
    try {
      const r = await runCommand<DoctorResult>(Doctor, ['-s', path])
      expect(r.stdout).toMatch(/node lb1[\s\S]*ok\s+ip\s+\/usr\/bin\/ip/)
      expect(r.stdout).toMatch(/missing curl\s+called by .*check_web\.sh; install: apt-get install curl/)
      expect(r.stdout).toMatch(/node lb2\n {2}unreachable: .*ECONNREFUSED/)
      expect(r.exitCode).toBe(4)
      fake.get('lb2').unreachable = undefined
      fake.get('lb2').on((argv) => argv[0] === 'sh', {code: 0, stdout: have.map((p) => `${p}=/usr/bin/${p}`).join('\n')})
      const j = await runCommand<DoctorResult>(Doctor, ['-s', path, '--json'])
      expect(j.exitCode).toBe(5)
      const json = JSON.parse(j.stdout) as DoctorResult
      expect(json.nodes?.map((n) => [n.node, n.reachable, n.checks.filter((c) => !c.found).map((c) => c.need)])).toEqual([
        ['lb1', true, ['curl']],
        ['lb2', true, ['curl']],
      ])
    } finally {
      done()
    }
  })
})
