import {execa} from 'execa'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {labDown} from '../../../src/lab/lab.js'

const NAME = 'x120d'
const child = join(import.meta.dirname, 'fixtures', 'lab-up-child.ts')

async function leftovers(): Promise<string[]> {
  const out: string[] = []
  if (/\bx120d-/.test((await execa('ip', ['netns', 'list'])).stdout)) out.push('netns')
  if (/\bx120d-/.test((await execa('ip', ['-br', 'link'])).stdout)) out.push('links')
  if (existsSync('/etc/netns/x120d-lb1')) out.push('/etc/netns')
  if (existsSync(`/run/halctl-lab/${NAME}.json`)) out.push('record')
  if ((await execa('pgrep', ['-f', 'x120d-crash-'], {reject: false})).stdout.trim()) out.push('processes')
  return out
}

describe('lab down after a crash', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'x120d-crash-'))
  afterAll(async () => {
    await labDown({name: NAME, stateDir: join(tmp, 'a')})
    await labDown({name: NAME, stateDir: join(tmp, 'b')})
    rmSync(tmp, {recursive: true, force: true})
  })

  it('cleans up a lab whose `lab up` was killed half-way', async () => {
    const dir = join(tmp, 'a')
    const p = execa(process.execPath, ['--import', 'tsx', child, NAME, '10.120.5.0/24', '8', dir], {reject: false, cwd: join(import.meta.dirname, '..', '..', '..')})
    // wait until some hosts exist, then kill the process without any chance to clean up
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && !/x120d-lb2/.test((await execa('ip', ['netns', 'list'])).stdout)) await new Promise((r) => setTimeout(r, 50))
    p.kill('SIGKILL')
    await p
    expect(await leftovers()).not.toEqual([])
    const r = await labDown({name: NAME})
    expect(r.found).toBe(true)
    expect(await leftovers()).toEqual([])
    expect(existsSync(dir)).toBe(false)
  })

  it('cleans up by name alone when the state files are gone too', async () => {
    const dir = join(tmp, 'b')
    const p = await execa(process.execPath, ['--import', 'tsx', child, NAME, '10.120.5.0/24', '2', dir], {cwd: join(import.meta.dirname, '..', '..', '..')})
    expect(p.stdout).toContain('UP')
    rmSync(dir, {recursive: true, force: true})
    rmSync(`/run/halctl-lab/${NAME}.json`, {force: true})
    const r = await labDown({name: NAME})
    expect(r.found).toBe(false)
    expect(r.removedHosts).toEqual(['x120d-lb1', 'x120d-lb2'])
    expect(await leftovers()).toEqual([])
  })
})
