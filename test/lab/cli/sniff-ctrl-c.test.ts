import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

/**
 * `sudo halctl sniff -i IFACE` on a terminal, stopped with Ctrl-C as a person
 * does: the terminal sends SIGINT to the whole foreground process group (halctl
 * and its capture helper). The summary is printed and the exit code is the
 * diagnosis (0 healthy), not 130. Real binary in tmux, under script(1) so the
 * output and exit status are recorded; live capture on loopback (root).
 */
const root = join(import.meta.dirname, '..', '..', '..')
const socket = `halctl-sniff-${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'halctl-sniff-tty-'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
afterAll(() => {
  spawnSync('tmux', ['-L', socket, 'kill-server'])
  rmSync(dir, {recursive: true, force: true})
})

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!ok() && Date.now() < end) await sleep(200)
}

describe('sniff -i on a terminal', {timeout: 180_000}, () => {
  it('Ctrl-C (SIGINT to the process group) prints the summary and exits 0', async () => {
    const log = join(dir, 'typescript')
    const cmd = `env -u CI script -q -e -f -c '${process.execPath} ${join(root, 'bin', 'run.js')} sniff -i lo' ${log}; echo "EXIT=$?" >> ${log}; sleep 600`
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'sniff', '-x', '150', '-y', '30', cmd])
    const text = () => (existsSync(log) ? readFileSync(log, 'utf8') : '')
    await until(() => text().includes('Ctrl-C for the summary'), 90_000)
    expect(text()).toContain('Ctrl-C for the summary')
    execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'sniff', 'C-c'])
    await until(() => /EXIT=\d+/.test(text()), 30_000)
    const out = text()
    expect(out).toContain('lo: 0 packets')
    expect(out).toContain('status: healthy (exit 0)')
    expect(out).toMatch(/EXIT=0/)
  })
})
