import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import LabDown from '../../../src/commands/lab/down.js'
import LabExec, {type LabExecResult} from '../../../src/commands/lab/exec.js'
import LabStatus from '../../../src/commands/lab/status.js'
import LabUp from '../../../src/commands/lab/up.js'
import type {LabDownResult, LabStatusResult, LabUpResult} from '../../../src/lab/lab.js'
import {runCommand} from '../../helpers/run-command.js'

const NAME = 'x120c'
const SUBNET = '10.120.2.0/24'

describe('halctl lab up/status/exec/down (real namespaces, real sshd)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'x120c-lab-'))
  const dir = join(tmp, 'state')
  let up: LabUpResult

  const ssh = (node: string, cmd: string) =>
    execa('ssh', ['-F', up.sshConfig, '-o', 'BatchMode=yes', node, cmd], {reject: false, timeout: 15_000})

  beforeAll(async () => {
    await runCommand(LabDown, ['--name', NAME, '--dir', dir, '--json'])
    const r = await runCommand<LabUpResult>(LabUp, ['--name', NAME, '--subnet', SUBNET, '-n', '2', '--dir', dir, '--json'])
    if (r.exitCode !== 0) throw new Error(`lab up failed: ${r.stdout} ${r.stderr}`)
    up = JSON.parse(r.stdout) as LabUpResult
  })

  afterAll(async () => {
    await runCommand(LabDown, ['--name', NAME, '--dir', dir, '--json'])
    rmSync(tmp, {recursive: true, force: true})
  })

  it('returns a stable --json shape and writes the spec, ssh_config and known_hosts', () => {
    expect(Object.keys(up).sort()).toEqual(
      ['control', 'engine', 'hosts', 'identityFile', 'knownHosts', 'name', 'spec', 'sshConfig', 'stateDir', 'subnet', 'vip'].sort(),
    )
    expect(up.hosts.map((h) => h.address)).toEqual(['10.120.2.11', '10.120.2.12'])
    for (const f of [up.spec, up.sshConfig, up.knownHosts, up.identityFile]) expect(existsSync(f)).toBe(true)
    expect(readFileSync(up.spec, 'utf8')).toContain('10.120.2.100/24')
    expect(existsSync(`/run/halctl-lab/${NAME}.json`)).toBe(true)
  })

  it('lets OpenSSH in with the lab key and known_hosts; each host has its own hostname, /etc/keepalived and nft ruleset', async () => {
    const h1 = await ssh('lb1', 'hostname')
    expect(h1.stderr).toBe('')
    expect(h1.stdout.trim()).toBe('lb1')
    expect((await ssh('lb2', 'hostname')).stdout.trim()).toBe('lb2')
    expect((await ssh('lb1', 'echo lb1-only > /etc/keepalived/keepalived.conf && cat /etc/keepalived/keepalived.conf')).stdout.trim()).toBe('lb1-only')
    expect((await ssh('lb2', 'test -e /etc/keepalived/keepalived.conf; echo $?')).stdout.trim()).toBe('1')
    expect(existsSync('/etc/keepalived/keepalived.conf') && readFileSync('/etc/keepalived/keepalived.conf', 'utf8').includes('lb1-only')).toBe(false)
    expect((await ssh('lb1', 'nft add table inet hlt_fw && nft list tables')).stdout).toContain('hlt_fw')
    expect((await ssh('lb2', 'nft list tables')).stdout).not.toContain('hlt_fw')
  })

  it('refuses a second lab on a subnet that overlaps an existing route', async () => {
    const r = await runCommand(LabUp, ['--name', 'x120g', '--subnet', '10.120.2.128/25', '--dir', join(tmp, 'other'), '--json'])
    expect(r.exitCode).toBe(2)
    const e = JSON.parse(r.stdout).error
    expect(e.code).toBe('LAB_SUBNET_IN_USE')
    expect(e.message).toContain('x120c-br')
  })

  it('refuses to bring the same lab up twice', async () => {
    const r = await runCommand(LabUp, ['--name', NAME, '--subnet', '10.120.3.0/24', '--dir', dir, '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error.code).toBe('LAB_EXISTS')
  })

  it('runs commands on a host with lab exec and passes the exit code through', async () => {
    const r = await runCommand<LabExecResult>(LabExec, ['--name', NAME, '--dir', dir, '--json', 'lb2', '--', 'sh', '-c', 'hostname; exit 3'])
    const out = JSON.parse(r.stdout) as LabExecResult
    expect(out.node).toBe('lb2')
    expect(out.stdout?.trim()).toBe('lb2')
    expect(out.exitCode).toBe(3)
    expect(r.exitCode).toBe(3)
  })

  it('reports hosts, sshd, keepalived and VIPs in lab status --json', async () => {
    await execa('ip', ['-n', 'x120c-lb2', 'addr', 'add', '10.120.2.100/24', 'dev', 'eth0'])
    const r = await runCommand<LabStatusResult>(LabStatus, ['--name', NAME, '--dir', dir, '--json'])
    expect(r.exitCode).toBe(0)
    const s = JSON.parse(r.stdout) as LabStatusResult
    expect(s.hosts.map((h) => [h.name, h.present, h.sshd, h.keepalived])).toEqual([
      ['lb1', true, 'up', false],
      ['lb2', true, 'up', false],
    ])
    expect(s.hosts[1].vips).toEqual(['10.120.2.100/24'])
    expect(s.hosts[0].vips).toEqual([])
    const text = await runCommand(LabStatus, ['--name', NAME, '--dir', dir])
    expect(text.stdout).toMatch(/lb2\s+10\.120\.2\.12\s+present\s+up\s+-\s+10\.120\.2\.100\/24/)
  })

  it('lab down removes everything, and is safe twice', async () => {
    const sshdBefore = (await execa('pgrep', ['-f', `${dir}/hosts/lb1/sshd_config`], {reject: false})).stdout.trim()
    expect(sshdBefore).not.toBe('')
    const d1 = await runCommand<LabDownResult>(LabDown, ['--name', NAME, '--dir', dir, '--json'])
    expect(d1.exitCode).toBe(0)
    expect(JSON.parse(d1.stdout)).toMatchObject({name: NAME, found: true, removedHosts: ['x120c-lb1', 'x120c-lb2']})
    const d2 = await runCommand<LabDownResult>(LabDown, ['--name', NAME, '--dir', dir, '--json'])
    expect(d2.exitCode).toBe(0)
    expect(JSON.parse(d2.stdout)).toMatchObject({found: false, removedHosts: []})
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/\bx120c-/)
    expect((await execa('ip', ['-br', 'link'])).stdout).not.toMatch(/\bx120c-/)
    expect((await execa('pgrep', ['-f', `${dir}/hosts/`], {reject: false})).stdout.trim()).toBe('')
    expect(existsSync('/etc/netns/x120c-lb1')).toBe(false)
    expect(existsSync(dir)).toBe(false)
    expect(existsSync(`/run/halctl-lab/${NAME}.json`)).toBe(false)
    const st = await runCommand(LabStatus, ['--name', NAME, '--dir', dir, '--json'])
    expect(JSON.parse(st.stdout).error.code).toBe('LAB_NOT_FOUND')
  })
})
