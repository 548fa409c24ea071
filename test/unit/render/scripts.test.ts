import {execa} from 'execa'
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadSpecText, renderCluster, type RenderedCluster} from '../../../src/spec/index.js'
import {presetSpecText} from '../../../src/spec/presets.js'

/**
 * The scripts halctl writes, run for real with /bin/sh. systemctl, logger and
 * arping are stubs on PATH that record their arguments; the web check talks
 * to an HTTP server on loopback.
 */
let dir: string
let server: Server
let port: number
const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean)

function stub(name: string, body = ''): void {
  const p = join(dir, 'bin', name)
  writeFileSync(p, `#!/bin/sh\necho "${name} $*" >> '${join(dir, 'calls.log')}'\n${body}\n`)
  chmodSync(p, 0o755)
}

/** Run a script with the stubs first on PATH (async: the loopback server must keep answering). */
async function run(script: string, args: string[] = []): Promise<number> {
  const file = join(dir, `s-${Math.random().toString(36).slice(2)}.sh`)
  writeFileSync(file, script, {mode: 0o755})
  const r = await execa('/bin/sh', [file, ...args], {env: {PATH: `${join(dir, 'bin')}:/usr/bin:/bin`}, extendEnv: false, timeout: 20_000, reject: false})
  return r.exitCode ?? -1
}

function render(preset: 'nginx' | 'haproxy', url: string): RenderedCluster {
  process.env.HAL_VRRP_PASS = 'pw'
  const text = presetSpecText(preset)
    .replace(`params: {service: ${preset}, url: 'http://127.0.0.1/'}`, `params: {service: ${preset}, url: '${url}', settle: 0, timeout: 1}`)
    .replace('notify: {template: fence}', 'notify: {template: fence, params: {settle: 0}}')
  return renderCluster(loadSpecText(text, 'x.yaml'))
}
const script = (r: RenderedCluster, node: number, name: string) => r.nodes[node].scripts.find((s) => s.path.endsWith(`/${name}`))!.content

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'halctl-scripts-'))
  execFileSync('mkdir', ['-p', join(dir, 'bin')])
  server = createServer((_req, res) => res.end('ok'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('generated scripts', () => {
  it('all parse as POSIX sh', () => {
    for (const preset of ['nginx', 'haproxy', 'active-passive'] as const) {
      process.env.HAL_VRRP_PASS = 'pw'
      for (const node of renderCluster(loadSpecText(presetSpecText(preset), 'x.yaml')).nodes) {
        for (const s of node.scripts) {
          const r = spawnSync('/bin/sh', ['-n'], {input: s.content})
          expect(r.status, `${s.path}: ${r.stderr}`).toBe(0)
        }
      }
    }
  })

  it('check_web: healthy service exits 0 and touches nothing', async () => {
    writeFileSync(join(dir, 'calls.log'), '')
    stub('systemctl')
    stub('logger')
    expect(await run(script(render('nginx', `http://127.0.0.1:${port}/`), 0, 'check_web.sh'))).toBe(0)
    expect(calls()).toEqual([])
  })

  it('check_web: a dead service is restarted once; still dead, keepalived is stopped and the check fails', async () => {
    writeFileSync(join(dir, 'calls.log'), '')
    stub('systemctl')
    stub('logger')
    expect(await run(script(render('haproxy', 'http://127.0.0.1:1/'), 1, 'check_web.sh'))).toBe(1)
    expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl restart haproxy', 'systemctl --no-block stop keepalived'])
  })

  it('check_web: a restart that brings the service back keeps keepalived running', async () => {
    writeFileSync(join(dir, 'calls.log'), '')
    // the "restart" makes the URL answer: the stub writes a flag the second curl sees
    stub('systemctl', `touch '${join(dir, 'up')}'`)
    stub('logger')
    stub('curl', `[ -e '${join(dir, 'up')}' ]`)
    const status = await run(script(render('nginx', 'http://127.0.0.1:1/'), 0, 'check_web.sh'))
    execFileSync('rm', ['-f', join(dir, 'bin', 'curl'), join(dir, 'up')])
    expect(status).toBe(0)
    expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl restart nginx'])
  })

  it('fence: on split brain only the node that is not the designated master steps down', async () => {
    const r = render('nginx', 'http://127.0.0.1:1/')
    stub('logger')
    stub('systemctl')
    stub('arping', 'exit 1') // another host answers for the VIP
    for (const [node, expected] of [
      [0, []],
      [1, ['systemctl --no-block stop keepalived']],
    ] as const) {
      writeFileSync(join(dir, 'calls.log'), '')
      expect(await run(script(r, node, 'fence.sh'), ['INSTANCE', 'VI_web', 'MASTER', '100'])).toBe(0)
      expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(expected)
      expect(calls()).toContain('arping -D -q -c 2 -w 3 -I eth0 10.0.0.100')
    }
    // no split brain, or not becoming MASTER: nothing happens
    stub('arping', 'exit 0')
    writeFileSync(join(dir, 'calls.log'), '')
    expect(await run(script(r, 1, 'fence.sh'), ['INSTANCE', 'VI_web', 'MASTER', '100'])).toBe(0)
    expect(await run(script(r, 1, 'fence.sh'), ['INSTANCE', 'VI_web', 'BACKUP', '100'])).toBe(0)
    expect(calls().filter((c) => !c.startsWith('arping'))).toEqual([])
  })

  it('notify: records the state of each instance', async () => {
    process.env.HAL_VRRP_PASS = 'pw'
    const stateDir = join(dir, 'state')
    const text = presetSpecText('active-passive').replace('notify: {template: notify}', `notify: {template: notify, params: {stateDir: '${stateDir}'}}`)
    const s = renderCluster(loadSpecText(text, 'x.yaml')).nodes[0].scripts[0]
    stub('logger')
    writeFileSync(join(dir, 'calls.log'), '')
    expect(await run(s.content, ['INSTANCE', 'VI_web', 'MASTER', '150'])).toBe(0)
    expect(readFileSync(join(stateDir, 'VI_web.state'), 'utf8')).toMatch(/^MASTER 150 INSTANCE \d{4}-\d\d-\d\dT/)
    expect(calls()).toEqual(['logger -t halctl-notify lb1: INSTANCE VI_web is now MASTER (priority 150)'])
  })
})
