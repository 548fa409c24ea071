import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import Init, {type InitRenderResult, type InitSpecResult} from '../../../src/commands/init.js'
import {runCommand} from '../../helpers/run-command.js'

const root = join(import.meta.dirname, '..', '..', '..')
const example = (name: string) => join(root, 'examples', name)

beforeAll(() => {
  process.env.HAL_VRRP_PASS = 'cmd-pw1'
})

describe('halctl init -s spec -o out/', () => {
  it('writes keepalived.conf and scripts per node, with a pinned --json shape', async () => {
    const out = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    const r = await runCommand<InitRenderResult>(Init, ['-s', example('nginx.yaml'), '-o', out, '--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as InitRenderResult
    expect(Object.keys(json).sort()).toEqual(['changed', 'cluster', 'dryRun', 'mode', 'nodes', 'outDir', 'spec'])
    expect(json).toMatchObject({mode: 'render', cluster: 'web', outDir: out, dryRun: false, changed: 6})
    expect(Object.keys(json.nodes[0]).sort()).toEqual(['address', 'files', 'instances', 'name'])
    expect(json.nodes[0].instances).toEqual([{name: 'VI_web', state: 'MASTER', priority: 150, vrid: 79, vips: ['10.0.0.100/24']}])
    expect(json.nodes[1].instances[0]).toMatchObject({state: 'BACKUP', priority: 100, vrid: 79})
    expect(json.nodes[0].files).toEqual([
      {path: 'lb1/keepalived.conf', target: '/etc/keepalived/keepalived.conf', mode: '0600', action: 'create'},
      {path: 'lb1/scripts/etc/keepalived/scripts/check_web.sh', target: '/etc/keepalived/scripts/check_web.sh', mode: '0755', action: 'create'},
      {path: 'lb1/scripts/etc/keepalived/scripts/fence.sh', target: '/etc/keepalived/scripts/fence.sh', mode: '0755', action: 'create'},
    ])
    const conf = readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')
    expect(conf).toContain('auth_pass cmd-pw1')
    expect(r.stdout).not.toContain('cmd-pw1')
    expect(statSync(join(out, 'lb2', 'scripts', 'etc', 'keepalived', 'scripts', 'check_web.sh')).mode & 0o777).toBe(0o755)
    expect(existsSync(join(out, '.halctl-manifest.json'))).toBe(true)

    // a second run changes nothing
    const again = await runCommand<InitRenderResult>(Init, ['-s', example('nginx.yaml'), '-o', out, '--json'])
    expect(JSON.parse(again.stdout).changed).toBe(0)
  })

  it('prints the summary table', async () => {
    const out = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    const r = await runCommand(Init, ['-s', example('active-active.yaml'), '-o', out])
    expect(r.exitCode).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^node\s+instance\s+state\s+priority\s+VRID\s+VIPs/)
    expect(lines.some((l) => /^lb1\s+VI_web_1\s+MASTER\s+150\s+\d+\s+10\.0\.0\.100\/24/.test(l))).toBe(true)
    expect(lines.some((l) => /^lb2\s+VI_web_2\s+MASTER\s+150\s+\d+\s+10\.0\.0\.101\/24/.test(l))).toBe(true)
    expect(r.stdout).toContain(`4 file(s) written to ${out}`)
  })

  it('never overwrites a file edited since halctl wrote it, unless --force', async () => {
    const out = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    await runCommand(Init, ['-s', example('active-passive.yaml'), '-o', out])
    const conf = join(out, 'lb2', 'keepalived.conf')
    writeFileSync(conf, readFileSync(conf, 'utf8') + '! local edit\n')
    const spec = join(out, 'spec.yaml')
    writeFileSync(spec, readFileSync(example('active-passive.yaml'), 'utf8').replace('advertInt: 1 ', 'advertInt: 2 '))
    const r = await runCommand(Init, ['-s', spec, '-o', out])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('lb2/keepalived.conf')
    expect(r.stderr).toContain('--force')
    expect(readFileSync(conf, 'utf8')).toContain('! local edit')
    expect(readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')).toContain('advert_int 1') // nothing written
    const forced = await runCommand<InitRenderResult>(Init, ['-s', spec, '-o', out, '--force', '--json'])
    expect(forced.exitCode).toBe(0)
    const files = JSON.parse(forced.stdout).nodes.flatMap((n: InitRenderResult['nodes'][number]) => n.files)
    expect(files.find((f: {path: string}) => f.path === 'lb2/keepalived.conf').action).toBe('overwrite')
    expect(files.find((f: {path: string}) => f.path === 'lb1/keepalived.conf').action).toBe('update')
    expect(readFileSync(conf, 'utf8')).not.toContain('! local edit')
  })

  it('--dry-run prints a unified diff with secrets masked and writes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    await runCommand(Init, ['-s', example('active-passive.yaml'), '-o', out])
    const spec = join(out, 'spec.yaml')
    writeFileSync(spec, readFileSync(example('active-passive.yaml'), 'utf8').replace('10.0.0.100/24', '10.0.0.150/24'))
    const before = readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')
    const r = await runCommand(Init, ['-s', spec, '-o', out, '--dry-run'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('--- a/lb1/keepalived.conf')
    expect(r.stdout).toContain('-        10.0.0.100/24')
    expect(r.stdout).toContain('+        10.0.0.150/24')
    expect(r.stdout).not.toContain('cmd-pw1')
    expect(r.stdout).toContain('nothing written')
    expect(readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')).toBe(before)
    const j = await runCommand<InitRenderResult>(Init, ['-s', spec, '-o', out, '--dry-run', '--json'])
    const json = JSON.parse(j.stdout) as InitRenderResult
    expect(Object.keys(json).sort()).toEqual(['changed', 'cluster', 'diff', 'dryRun', 'mode', 'nodes', 'outDir', 'spec'])
    expect(json).toMatchObject({dryRun: true, changed: 2})
    expect(json.diff).toContain('+        10.0.0.150/24')
    expect(json.diff).not.toContain('cmd-pw1')
    expect(readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')).toBe(before)
  })

  it('a bad spec exits 2 with file:line and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    const spec = join(dir, 'bad.yaml')
    writeFileSync(spec, 'cluster: web\nnodes:\n  - name: lb1\n    address: 10.0.0.11\ninstances:\n  - name: VI_1\n    vrid: 0\n    vips: [10.0.0.100/24]\n')
    const r = await runCommand(Init, ['-s', spec, '-o', join(dir, 'out')])
    expect(r.exitCode).toBe(2)
    expect(r.stderr.trim().split('\n')[0]).toBe(`${spec}:7:11: instances[0].vrid: must be 1..255 or "auto"`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(dir, 'out'))).toBe(false)
    const j = await runCommand(Init, ['-s', spec, '-o', join(dir, 'out'), '--json'])
    expect(j.exitCode).toBe(2)
    expect(JSON.parse(j.stdout)).toEqual({
      error: {code: 'SPEC_INVALID', message: 'instances[0].vrid: must be 1..255 or "auto"', where: `${spec}:7:11`, hint: expect.any(String), exitCode: 2},
    })
  })
})

describe('halctl init --preset', () => {
  it('lvs presets: real servers, sorry server and the NAT gateway follow the flags; bad values exit 2', async () => {
    const nat = await runCommand<InitSpecResult>(Init, [
      '--preset', 'lvs-nat', '--cluster', 'shop', '--node', 'd1=172.20.0.11', '--node', 'd2=172.20.0.12', '--vip', '172.20.0.100/24',
      '--gateway-vip', '10.77.0.1/24', '--internal-interface', 'ens4', '--real-server', '10.77.0.51:8081', '--real-server', '10.77.0.52', '--sorry-server', '10.77.0.99:80', '--json',
    ])
    expect(nat.exitCode, nat.stderr).toBe(0)
    const text = (JSON.parse(nat.stdout) as InitSpecResult).text
    expect(text).toContain('interface: ens4 ')
    expect(text).toContain('vips: [10.77.0.1/24]')
    expect(text).toMatch(/- ip: 10\.77\.0\.51\n\s+port: 8081/)
    expect(text).toMatch(/- ip: 10\.77\.0\.52\n\s+port: 8080/)
    expect(text).toMatch(/sorryServer:\n\s+ip: 10\.77\.0\.99/)
    expect(text).not.toMatch(/192\.168\.10\.|10\.0\.0\./)
    // NAT without the gateway, once the user names addresses of their own: refused, not guessed
    const noGw = await runCommand(Init, ['--preset', 'lvs-nat', '--node', 'd1=172.20.0.11', '--node', 'd2=172.20.0.12', '--vip', '172.20.0.100/24', '--cluster', 'shop'])
    expect(noGw.exitCode).toBe(2)
    expect(noGw.stderr).toContain('--gateway-vip')
    const bad = await runCommand(Init, ['--preset', 'lvs-dr', '--cluster', 'x', '--node', 'a=10.1.0.1', '--node', 'b=10.1.0.2', '--vip', '10.1.0.100/24', '--real-server', '10.1.0.300'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('--real-server 10.1.0.300: expected ADDRESS or ADDRESS:PORT')
  })

  it('writes a commented starter spec from flags, without prompting off a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    const out = join(dir, 'db.yaml')
    const r = await runCommand<InitSpecResult>(Init, ['--preset', 'active-passive', '--cluster', 'db', '--node', 'db1=10.1.0.11', '--node', 'db2=10.1.0.12', '--vip', '10.1.0.100/24', '-o', out, '--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as InitSpecResult
    expect(Object.keys(json).sort()).toEqual(['cluster', 'mode', 'nodes', 'path', 'preset', 'text', 'vips'])
    expect(json).toMatchObject({mode: 'spec', preset: 'active-passive', path: out, cluster: 'db', vips: ['10.1.0.100/24']})
    expect(json.nodes).toEqual([
      {name: 'db1', address: '10.1.0.11'},
      {name: 'db2', address: '10.1.0.12'},
    ])
    const text = readFileSync(out, 'utf8')
    expect(text).toMatch(/^# halctl cluster spec/)
    expect(text).toContain('cluster: db ')
    // the starter renders
    const render = await runCommand<InitRenderResult>(Init, ['-s', out, '-o', join(dir, 'out'), '--json'])
    expect(JSON.parse(render.stdout).nodes.map((n: {name: string}) => n.name)).toEqual(['db1', 'db2'])
    // and is not replaced without --force
    const again = await runCommand(Init, ['--preset', 'nginx', '-o', out])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('already exists')
  })

  it('prints the spec to stdout without -o', async () => {
    const r = await runCommand(Init, ['--preset', 'lvs-dr'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(readFileSync(example('lvs-dr.yaml'), 'utf8'))
  })

  it('rejects bad flags with exit 2', async () => {
    const r = await runCommand(Init, ['--preset', 'active-active', '--vip', '10.0.0.100/24'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('needs 2 VIPs')
    const n = await runCommand(Init, ['--preset', 'nginx', '--node', 'lb1:10.0.0.1'])
    expect(n.exitCode).toBe(2)
    expect((await runCommand(Init, [])).exitCode).toBe(2)
  })
})

describe('halctl init output errors', () => {
  it('an output path that is a file is exit 2, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-init-'))
    const out = join(dir, 'out')
    writeFileSync(out, 'not a directory')
    const r = await runCommand(Init, ['-s', example('active-passive.yaml'), '-o', out])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`cannot write into ${out}`)
  })
})
