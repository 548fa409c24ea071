import {execa} from 'execa'
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {loadSpecText, renderCluster, type RenderedCluster} from '../../../src/spec/index.js'
import {presetSpecText} from '../../../src/spec/presets.js'

/**
 * The scripts halctl writes, run for real with /bin/sh. systemctl, logger, arping,
 * tcpdump and ip are stubs on PATH that record their arguments; the web check talks
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
    .replace(`params: {service: ${preset}, url: 'http://127.0.0.1/'}`, `params: {service: ${preset}, url: '${url}', timeout: 1}`)
    .replace('notify: {template: fence}', 'notify: {template: fence, params: {settle: 0}}')
  return renderCluster(loadSpecText(text, 'x.yaml'))
}
const script = (r: RenderedCluster, node: number, name: string) => r.nodes[node].scripts.find((s) => s.path.endsWith(`/${name}`))!.content
/** the script as it runs on a systemd host (the detection itself reads /run/systemd and PID 1; the lab tests run it for real) */
const systemd = (text: string): string => text.replace(/service_manager\(\) \{\n[\s\S]*?\n\}/, 'service_manager() { echo systemd; }')

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

  it('check_web: a dead service fails the check (keepalived lowers the priority); it is restarted at most once a minute, keepalived left alone', async () => {
    writeFileSync(join(dir, 'calls.log'), '')
    stub('systemctl')
    stub('logger')
    const text = systemd(script(render('haproxy', 'http://127.0.0.1:1/'), 1, 'check_web.sh')).replaceAll('/run/halctl/', `${dir}/run/`).replace('mkdir -p /run/halctl', `mkdir -p '${dir}/run'`)
    expect(await run(text)).toBe(1)
    expect(await run(text)).toBe(1)
    expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl --no-block restart haproxy'])
    expect(calls().filter((c) => c.startsWith('logger')).at(-1)).toMatch(/haproxy is down on lb2; keepalived lowers this node's priority/)
  })

  it('check_web: onFail=stop also stops keepalived through the service manager; bad choices are refused', async () => {
    writeFileSync(join(dir, 'calls.log'), '')
    stub('systemctl')
    stub('logger')
    process.env.HAL_VRRP_PASS = 'pw'
    const spec = (params: string) => presetSpecText('nginx').replace("params: {service: nginx, url: 'http://127.0.0.1/'}", `params: {service: nginx, url: 'http://127.0.0.1:1/', restart: false, ${params}}`)
    const text = systemd(script(renderCluster(loadSpecText(spec('onFail: stop'), 'x.yaml')), 0, 'check_web.sh'))
    expect(await run(text)).toBe(1)
    expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl --no-block stop keepalived'])
    expect(() => renderCluster(loadSpecText(spec('onFail: reboot'), 'x.yaml'))).toThrow(/params.onFail/)
  })

  it('check_web: SysV hosts restart through service, hosts without an init system are not restarted', () => {
    const text = script(render('nginx', 'http://127.0.0.1:1/'), 0, 'check_web.sh')
    expect(text).toContain('sysv) (service "$2" "$1" </dev/null >/dev/null 2>&1 &) ;;')
    expect(text).toContain('[ "$(cat /proc/1/comm 2>/dev/null)" = init ] && command -v service')
    expect(text).toMatch(/none\)\n\s+if \[ "\$1 \$2" = "stop keepalived" \]; then\n\s+for f in '\/run\/halctl-keepalived-lb1\.pid' \/run\/keepalived\.pid; do/)
  })

  describe('fence', () => {
    const FLAVOURS = {
      iputils: {version: 'arping from iputils 20221126', answer: 1, silence: 0},
      habets: {version: 'ARPing 2.23, by Thomas Habets <thomas@habets.se>', answer: 0, silence: 1},
    }
    /** an arping of the flavour whose probes get an answer (another host holds the VIP) or not */
    const arping = (flavour: keyof typeof FLAVOURS, answered: boolean): void => {
      const f = FLAVOURS[flavour]
      const versionFlag = flavour === 'iputils' ? '-V' : '--help'
      stub('arping', `case "$1" in ${versionFlag}) echo '${f.version}'; exit 0 ;; -V|--help) echo 'usage: arping'; exit 2 ;; esac\nexit ${answered ? f.answer : f.silence}`)
    }
    /** tcpdump hears another router's advert for the VRID, or nothing */
    const heard = (prio?: number, src = '10.0.0.11'): void => stub('tcpdump', prio === undefined ? '' : `echo '19:40:00.000000 IP ${src} > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio ${prio}, authtype simple, intvl 1s, length 20'`)
    const holds = (yes: boolean): void => stub('ip', yes ? "echo '2: eth0    inet 10.0.0.100/24 scope global secondary eth0'" : "echo '2: eth0    inet 10.0.0.12/24 scope global eth0'")
    const fence = (node: number): string => systemd(script(render('nginx', 'http://127.0.0.1:1/'), node, 'fence.sh'))
    const stops = (): string[] => calls().filter((c) => c.startsWith('systemctl'))
    const become = async (node: number, prio: number): Promise<number> => {
      writeFileSync(join(dir, 'calls.log'), '')
      return run(fence(node), ['INSTANCE', 'VI_web', 'MASTER', String(prio)])
    }
    beforeEach(() => {
      stub('logger')
      stub('systemctl')
      holds(true)
    })

    it.each(['iputils', 'habets'] as const)('%s arping: another master with a higher priority that answers for the VIP: this node steps down; the higher one stays', async (flavour) => {
      arping(flavour, true)
      heard(150)
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual(['systemctl --no-block stop keepalived'])
      expect(calls()).toContain(flavour === 'iputils' ? 'arping -D -q -c 2 -w 3 -I eth0 10.0.0.100' : 'arping -0 -q -c 2 -w 3 -i eth0 10.0.0.100')
      expect(calls().find((c) => c.startsWith('tcpdump'))).toMatch(/ip proto 112 and ip\[21\] = \d+ and ip\[22\] != 0 and not src host 10\.0\.0\.12/)
      heard(100, '10.0.0.12')
      expect(await become(0, 150)).toBe(0)
      expect(stops()).toEqual([])
      expect(calls().filter((c) => c.startsWith('logger')).at(-1)).toMatch(/with priority 100 \(ours 150\): it steps down, not lb1/)
    })

    it.each(['iputils', 'habets'] as const)('%s arping: after a legitimate takeover (old master stopped or killed: no adverts) nothing happens, even if its stale VIP answers', async (flavour) => {
      arping(flavour, true)
      heard(undefined)
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual([])
      // adverts but nobody else answers for the VIP: no split brain either
      arping(flavour, false)
      heard(150)
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual([])
    })

    it('equal priorities: the higher address wins, as in VRRP; a node that already let go of the VIP does nothing', async () => {
      arping('iputils', true)
      heard(100, '10.0.0.11')
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual([])
      heard(100, '10.0.0.13')
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual(['systemctl --no-block stop keepalived'])
      holds(false)
      expect(await become(1, 100)).toBe(0)
      expect(stops()).toEqual([])
    })

    it('no arping, an unknown arping, or no tcpdump: says so and does nothing; not becoming MASTER: not even that', async () => {
      heard(150)
      const noArping = fence(1).replace('command -v arping >/dev/null 2>&1 ||', 'false ||')
      writeFileSync(join(dir, 'calls.log'), '')
      expect(await run(noArping, ['INSTANCE', 'VI_web', 'MASTER', '100'])).toBe(0)
      expect(calls()).toEqual([expect.stringMatching(/^logger -t halctl-fence\[VI_web\] arping is not installed: cannot check VI_web for split brain \(install iputils-arping\)$/)])
      stub('arping', 'echo "arping 0.1 (busybox)"; exit 1')
      expect(await become(1, 100)).toBe(0)
      expect(calls().filter((c) => !c.startsWith('arping'))).toEqual([expect.stringMatching(/is neither iputils' nor Habets': cannot read its answers/)])
      arping('iputils', true)
      const noTcpdump = fence(1).replace('command -v tcpdump >/dev/null 2>&1 ||', 'false ||')
      writeFileSync(join(dir, 'calls.log'), '')
      expect(await run(noTcpdump, ['INSTANCE', 'VI_web', 'MASTER', '100'])).toBe(0)
      expect(stops()).toEqual([])
      expect(calls().filter((c) => c.startsWith('logger'))).toEqual([expect.stringMatching(/tcpdump is not installed/)])
      writeFileSync(join(dir, 'calls.log'), '')
      expect(await run(fence(1), ['INSTANCE', 'VI_web', 'BACKUP', '100'])).toBe(0)
      expect(calls()).toEqual([])
    })
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
