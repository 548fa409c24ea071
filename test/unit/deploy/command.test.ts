import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import {setTransportFactory} from '../../../src/deploy/transport.js'
import {FakeTransport} from '../../helpers/fake-transport.js'
import {runCommand} from '../../helpers/run-command.js'

const SPEC = `cluster: web
preset: active-passive
defaults:
  interface: eth0
nodes:
  - name: lb1
    address: 10.0.0.11
  - name: lb2
    address: 10.0.0.12
instances:
  - name: VI_web
    vrid: auto
    vips: [10.0.0.100/24]
    advertInt: 1
    auth: {type: PASS, pass: 'hunter22'}
`

function setup(): {spec: string; t: FakeTransport} {
  const dir = mkdtempSync(join(tmpdir(), 'halctl-deploy-'))
  const spec = join(dir, 'cluster.yaml')
  writeFileSync(spec, SPEC)
  const t = new FakeTransport(['10.0.0.100'])
  t.machine('lb1', '10.0.0.11')
  t.machine('lb2', '10.0.0.12')
  setTransportFactory(() => t)
  return {spec, t}
}

afterEach(() => setTransportFactory(undefined))

describe('halctl deploy', () => {
  it('--json: a stable result shape, then "0 changes" on the second run', async () => {
    const {spec, t} = setup()
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--json', '--converge-timeout', '2'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as DeployCommandResult
    expect(Object.keys(json).sort()).toEqual(['changes', 'cluster', 'dryRun', 'durationMs', 'nodes', 'ok', 'order'])
    expect(json.ok).toBe(true)
    expect(json.order).toEqual(['lb1', 'lb2'])
    expect(Object.keys(json.nodes[0]).sort()).toEqual(['changes', 'node', 'status', 'steps'])
    expect(json.nodes.map((n) => n.steps.map((s) => s.step))).toEqual([
      ['backup', 'upload', 'validate', 'write', 'firewall', 'service', 'converge'],
      ['backup', 'upload', 'validate', 'write', 'firewall', 'service', 'converge'],
    ])
    expect(r.stdout).not.toContain('hunter22')
    expect(t.holders('10.0.0.100')).toEqual(['lb1'])

    const again = await runCommand<DeployCommandResult>(Deploy, ['-s', spec])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toMatch(/applied: 0 changes on 2 node\(s\)/)
    expect(again.stdout).toMatch(/lb1\s+unchanged/)
  })

  it('--dry-run prints diffs with the auth_pass masked and changes nothing', async () => {
    const {spec, t} = setup()
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--dry-run'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('+++ b/etc/keepalived/keepalived.conf')
    expect(r.stdout).toContain('+    priority 150')
    expect(r.stdout).not.toContain('hunter22')
    expect(t.get('lb1').calls.some((c) => c.kind === 'writeFile')).toBe(false)
  })

  it('a failing node: exit 4, per-node report in --json', async () => {
    const {spec, t} = setup()
    t.get('lb1').on(['keepalived', '-t'], {code: 5, stderr: 'bad config'})
    const r = await runCommand<DeployCommandResult>(Deploy, ['-s', spec, '--json'])
    expect(r.exitCode).toBe(4)
    const json = JSON.parse(r.stdout) as DeployCommandResult
    expect(json.error).toMatchObject({code: 'DEPLOY_FAILED', exitCode: 4})
    expect(json.nodes.map((n) => [n.node, n.status])).toEqual([
      ['lb1', 'rolled-back'],
      ['lb2', 'skipped'],
    ])
  })
})
