import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

/**
 * Installable as users expect: `npm pack`, then `npm install -g` of the tarball
 * into an empty prefix gives a working halctl with its manifest, templates, the
 * pcap native addon (built at install: --allow-scripts=pcap) and man pages.
 * Needs the build (scripts/test.sh builds first) and the npm registry or cache.
 */
const root = join(import.meta.dirname, '..', '..', '..')
const work = mkdtempSync(join(tmpdir(), 'halctl-pack-'))
const prefix = join(work, 'prefix')
afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('npm pack and npm install -g', {timeout: 900_000}, () => {
  it('gives a working halctl: commands, templates, native addon, man pages', () => {
    if (!existsSync(join(root, 'man', 'halctl.1'))) execFileSync(process.execPath, [join(root, 'scripts', 'build-man.mjs')], {cwd: root})
    // the build is there already: pack without running prepack's build again
    const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], {cwd: root, encoding: 'utf8'}).trim().split('\n').at(-1)!
    const files = execFileSync('tar', ['tzf', join(work, tgz)], {encoding: 'utf8'}).split('\n')
    expect(files).toContain('package/oclif.manifest.json')
    expect(files).toContain('package/templates/keepalived.conf.hbs')
    expect(files).toContain('package/man/halctl-deploy.1')
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false)
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--allow-scripts=pcap', '--prefer-offline', '--no-audit', '--no-fund', join(work, tgz)], {cwd: work, stdio: 'pipe'})
    const halctl = (...argv: string[]) => spawnSync(join(prefix, 'bin', 'halctl'), argv, {cwd: work, encoding: 'utf8', env: {...process.env, NO_COLOR: '1', HAL_VRRP_PASS: 'x'}})
    expect(halctl('--version').stdout).toMatch(/^halctl\/\d+\.\d+\.\d+ /)
    expect(halctl('help').stdout).toMatch(/failover-test[\s\S]*sniff/)
    // templates: a preset spec, then the configs rendered from it
    const spec = halctl('init', '--preset', 'nginx', '-o', join(work, 'web.yaml'))
    expect(spec.status).toBe(0)
    const render = halctl('init', '-s', join(work, 'web.yaml'), '-o', join(work, 'out'))
    expect(render.status).toBe(0)
    expect(readFileSync(join(work, 'out', 'lb1', 'keepalived.conf'), 'utf8')).toContain('vrrp_instance')
    // the native addon loads from the installed tree
    const doctor = JSON.parse(halctl('doctor', '--json').stdout) as {tools: Array<{name: string; found: boolean}>}
    expect(doctor.tools.find((t) => t.name === 'libpcap')?.found).toBe(true)
    // one man page per command, where man looks for them
    const man = readdirSync(join(prefix, 'share', 'man', 'man1'))
    expect(man.sort()).toEqual(readdirSync(join(root, 'man')).sort())
    expect(man).toEqual(expect.arrayContaining(['halctl.1', 'halctl-deploy.1', 'halctl-lab-up.1', 'halctl-sniff.1']))
    expect(readFileSync(join(prefix, 'share', 'man', 'man1', 'halctl-deploy.1'), 'utf8')).toMatch(/^\.SH FLAGS$/m)
  })
})
