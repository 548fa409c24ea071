import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

/**
 * `halctl init --preset nginx` as a person runs it: the built binary in a real
 * terminal (tmux), keys sent with send-keys, the screen read with capture-pane.
 */
const root = join(import.meta.dirname, '..', '..', '..')
const socket = `halctl-init-${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'halctl-tmux-'))
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
const screen = () => tmux('capture-pane', '-p', '-t', 'init')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Poll the screen (bounded: `ms`) until it matches. */
async function waitFor(re: RegExp, ms = 60_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const s = screen()
    if (re.test(s) || Date.now() > end) return s
    await sleep(200)
  }
}

afterAll(() => {
  spawnSync('tmux', ['-L', socket, 'kill-server'])
  rmSync(dir, {recursive: true, force: true})
})

describe('halctl init --preset in a real terminal (tmux)', {timeout: 180_000}, () => {
  it('echoes typed text once, Backspace deletes the default, Enter accepts; the spec is written', async () => {
    const out = join(dir, 'web.yaml')
    const cmd = `env -u CI ${process.execPath} ${join(root, 'bin', 'run.js')} init --preset nginx -o ${out}; echo "EXIT=$?"; sleep 600`
    tmux('new-session', '-d', '-s', 'init', '-x', '160', '-y', '30', '-e', 'NO_COLOR=1', cmd)
    expect(await waitFor(/cluster name: web/)).toContain('cluster name: web')
    // Backspace three times (one read, as a held key delivers them) deletes "web"; then a name
    tmux('send-keys', '-t', 'init', 'BSpace', 'BSpace', 'BSpace')
    await waitFor(/cluster name: \s*$/m, 10_000)
    tmux('send-keys', '-t', 'init', '-l', 'shop')
    let s = await waitFor(/cluster name: shop/)
    expect(s).toMatch(/cluster name: shop\s*$/m)
    expect(s.match(/shop/g)).toHaveLength(1)
    tmux('send-keys', '-t', 'init', 'Enter')
    s = await waitFor(/nodes \(NAME=ADDRESS/)
    expect(s).not.toMatch(/letters, digits/)
    // keep the default nodes, then the VIPs
    tmux('send-keys', '-t', 'init', 'Enter')
    await waitFor(/VIPs/)
    tmux('send-keys', '-t', 'init', 'Enter')
    s = await waitFor(/EXIT=\d+/)
    expect(s).toContain('EXIT=0')
    expect(s).toContain(`wrote ${out}`)
    expect(existsSync(out)).toBe(true)
    expect(readFileSync(out, 'utf8')).toMatch(/^cluster: shop$/m)
  })

  it('never prompts without a terminal: the defaults are used', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'init', '--preset', 'nginx'], {encoding: 'utf8', input: ''})
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^cluster: web$/m)
    expect(r.stdout).not.toContain('cluster name:')
  })
})
