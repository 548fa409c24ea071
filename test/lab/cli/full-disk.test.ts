import {execa} from 'execa'
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Deploy from '../../../src/commands/deploy.js'
import Init from '../../../src/commands/init.js'
import {labDown, labUp, type LabUpResult} from '../../../src/lab/lab.js'
import {execInHost, findHost, type LabHost} from '../../../src/lab/netns.js'
import {runCommand} from '../../helpers/run-command.js'

/**
 * A full disk, locally (init into a small tmpfs this test mounts) and on a node (deploy to a lab
 * host whose /etc/keepalived is a full tmpfs in the host's own mount namespace): the error names
 * the file and what to do, the exit code is non-zero, and nothing is half-written.
 */
const NAME = 'x120f'
const SUBNET = '10.120.1.0/24'
const root = join(import.meta.dirname, '..', '..', '..')
const tmp = mkdtempSync(join(tmpdir(), 'x120f-'))
const mnt = join(tmp, 'mnt')

/** Every file under dir (relative path -> content), hidden ones included. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string): void => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out[relative(dir, p)] = readFileSync(p, 'latin1')
    }
  }
  walk(dir)
  return out
}

/** Fill the file system of dir to the last byte. */
async function fill(dir: string, name = '.filler'): Promise<void> {
  await execa('dd', ['if=/dev/zero', `of=${join(dir, name)}`, 'bs=1024'], {reject: false})
  expect(Number((await execa('df', ['-Pk', dir])).stdout.split('\n')[1].trim().split(/\s+/)[3])).toBe(0)
}

afterAll(async () => {
  await execa('umount', [mnt], {reject: false})
  rmSync(tmp, {recursive: true, force: true})
})

describe('a full disk on this machine', () => {
  beforeAll(async () => {
    mkdirSync(mnt)
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', mnt])
  })

  it('init -o into a full file system: exit 5, the file and df named, the output as it was and no temp file left', async () => {
    process.env.HAL_VRRP_PASS ??= 'testpass'
    const spec = join(tmp, 'cluster.yaml')
    copyFileSync(join(root, 'examples', 'active-passive.yaml'), spec)
    const out = join(mnt, 'out')
    const first = await runCommand(Init, ['-s', spec, '-o', out])
    expect(first.exitCode).toBe(0)
    const before = tree(out)
    expect(Object.keys(before).length).toBeGreaterThan(1)
    await fill(mnt)
    // a spec change that rewrites files
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('advertInt: 1 ', 'advertInt: 2 '))
    const r = await runCommand(Init, ['-s', spec, '-o', out])
    expect(r.exitCode).toBe(5)
    expect(r.stderr).toMatch(new RegExp(`no space left on device writing ${out}/\\S+; nothing was replaced`))
    expect(r.stderr).toContain(`df -h ${out}`)
    expect(r.stderr).toContain('give -o another path')
    expect(r.stderr).not.toMatch(/this is a bug|INTERNAL|Failure/)
    expect(tree(out)).toEqual(before)

    const preset = join(mnt, 'new.yaml')
    const p = await runCommand(Init, ['--preset', 'nginx', '--cluster', 'web', '--node', 'lb1=10.0.0.11', '--node', 'lb2=10.0.0.12', '--vip', '10.0.0.100/24', '-o', preset])
    expect(p.exitCode).toBe(5)
    expect(p.stderr).toContain(`no space left on device writing ${preset}`)
    expect(readdirSync(mnt).sort()).toEqual(['.filler', 'out'])
  })
})

describe('a full disk on a node', () => {
  let lab: LabUpResult
  let lb1: LabHost

  beforeAll(async () => {
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
    lab = await labUp({name: NAME, hosts: 2, subnet: SUBNET, engine: 'keepalived', stateDir: join(tmp, 'lab')})
    lb1 = (await findHost(NAME, 'lb1'))!
    // a small tmpfs over /etc/keepalived in lb1's own mount namespace, holding an old config, then filled
    await execInHost(lb1, ['mount', '-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', '/etc/keepalived'])
    const here = (await execa('findmnt', ['-n', '-o', 'FSTYPE', '/etc/keepalived'], {reject: false})).stdout.trim()
    expect(here).not.toBe('tmpfs')
    // the filler is named like halctl's own entries, which backups skip; .pad keeps one page to free later
    await execInHost(lb1, ['sh', '-c', 'echo "# the config before" > /etc/keepalived/keepalived.conf && head -c 4096 /dev/zero > /etc/keepalived/.pad && dd if=/dev/zero of=/etc/keepalived/.halctl-filler bs=1024 2>/dev/null; true'])
  }, 120_000)

  afterAll(async () => {
    await labDown({name: NAME, stateDir: join(tmp, 'lab')})
  }, 60_000)

  it('deploy: exit 4, the node and directory named with df, the node\'s files as they were', async () => {
    // everything but halctl's backups (a backup is made before any change, and kept)
    const listing = async () => (await execInHost(lb1, ['sh', '-c', 'cd /etc/keepalived && find . -path ./.halctl-backups -prune -o \\( -type f -o -type d ! -name . \\) -printf "%p %s %m\\n" | sort'])).stdout
    const check = async (before: string): Promise<string> => {
      const r = await runCommand(Deploy, ['-s', lab.spec, '--node', 'lb1', '--yes'])
      expect(r.exitCode).toBe(4)
      const text = `${r.stdout}\n${r.stderr}`
      expect(text).toMatch(/no space left on device on lb1:\/etc\/keepalived/)
      expect(text).toMatch(/free space in \/etc\/keepalived\S* on lb1 \(df -h \/etc\/keepalived/)
      expect(text).not.toMatch(/: Failure\b/)
      expect(await listing()).toBe(before)
      expect((await execInHost(lb1, ['cat', '/etc/keepalived/keepalived.conf'])).stdout.trim()).toBe('# the config before')
      return text
    }
    // not even room for the backup
    const full = await listing()
    expect(await check(full)).toContain('backup of /etc/keepalived failed')
    // room for the backup (one page), none for the new config: the upload fails, the stage goes
    await execInHost(lb1, ['rm', '/etc/keepalived/.pad'])
    const upload = await check(await listing())
    expect(upload).toMatch(/upload/)
  }, 120_000)
})
