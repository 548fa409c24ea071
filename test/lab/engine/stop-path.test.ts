/**
 * The engine's stop path cannot be cut: a signal to the engine's whole process
 * group (Ctrl-C, `timeout`) and `systemctl stop` under the host's systemd (which
 * signals the whole cgroup, helpers included) must still send priority 0, remove
 * the VIP and exit. Judged from the kernel's address events (`ip -ts monitor
 * address` in both hosts): the VIP is deleted on the engine's host before the
 * keepalived peer adds it, every round. Short adverts (v3, 100 ms) make the peer
 * take over about 60 ms after the priority-0 advert, so a slow removal shows.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execInHost} from '../../../src/lab/netns.js'
import {halctlRunNodeArgs} from '../../helpers/halctl-entry.js'
import {EngineLab, getJson, sleep, vrrpConf, waitFor} from './lab.js'

const ROUNDS = Number(process.env.HEN_STOP_ROUNDS ?? 20)
const isRoot = process.getuid?.() === 0

/** `ip -ts monitor address` in a netns: the time of the first add / delete of `vip`. */
class AddressWatch {
  private readonly proc: ChildProcess
  private buf = ''
  added?: number
  deleted?: number
  constructor(netns: string, vip: string) {
    this.proc = spawn('ip', ['-n', netns, '-ts', 'monitor', 'address'], {stdio: ['ignore', 'pipe', 'ignore']})
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString()
      const lines = this.buf.split('\n')
      this.buf = lines.pop() ?? ''
      for (const l of lines) {
        const m = /^\[([^\]]+)\] (Deleted )?\d+: \S+\s+inet6? (\S+)\//.exec(l)
        if (!m || m[3] !== vip) continue
        // [2026-12-06T19:35:07.732860]: milliseconds from Date.parse, the microseconds added
        const at = Date.parse(`${m[1].slice(0, 23)}Z`) + Number(m[1].slice(23, 26) || '0') / 1000
        if (m[2]) this.deleted ??= at
        else this.added ??= at
      }
    })
  }
  close(): void {
    this.proc.kill('SIGKILL')
  }
}

/** The engine's processes (itself, its `ip` helpers) still in the host's network namespace. */
async function leftovers(netns: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'pids', netns])
  const out: string[] = []
  for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim()
    if (/ip -force -batch|monitor link|cat$|bin\/run\.js run|run-engine\.ts/.test(cmd)) out.push(`${pid} ${cmd}`)
  }
  return out
}

interface Round {
  how: string
  deletedBeforeTakeover: boolean
  /** ms from the VIP leaving the engine's host to the peer adding it */
  marginMs: number
  exit: number | null
}

async function race(lab: EngineLab, vip: string, kill: () => Promise<void> | void, exited: () => Promise<number | null>, how: string): Promise<Round> {
  const we = new AddressWatch(lab.host('e').netns, vip)
  const wk = new AddressWatch(lab.host('k').netns, vip)
  try {
    await sleep(50) // both monitors subscribed
    await kill()
    await waitFor(async () => wk.added !== undefined && we.deleted !== undefined, 8000)
    const exit = await Promise.race([exited(), sleep(15_000).then(() => -999)])
    const deleted = we.deleted ?? Number.POSITIVE_INFINITY
    const added = wk.added ?? Number.NaN
    return {how, deletedBeforeTakeover: deleted < added, marginMs: Math.round((added - deleted) * 10) / 10, exit}
  } finally {
    we.close()
    wk.close()
  }
}

const VIP = '10.116.1.100'
const conf = (priority: number) => vrrpConf({priority, version: 3, advertInt: 0.1, vrid: 116, vips: [`${VIP}/24`]})

describe.runIf(isRoot)('engine stop path: signals to the whole process group', () => {
  let lab: EngineLab
  beforeAll(async () => {
    lab = await EngineLab.create(['e', 'k'], {prefix: 'x16a', net: '10.116.1'})
    await lab.startKeepalived('k', conf(100))
    expect(await lab.waitHolder(VIP, 'k', 5000)).toBeGreaterThan(0)
  }, 60_000)
  afterAll(async () => {
    await lab?.destroy()
  })

  it(`SIGTERM and SIGINT to the group: VIP gone before the keepalived peer takes over, ${ROUNDS} of ${ROUNDS}`, async () => {
    const rounds: Round[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const sig = i % 2 === 0 ? 'SIGTERM' : 'SIGINT'
      const e = await lab.startEngine('e', conf(200), [], {detached: true})
      expect(await lab.waitHolder(VIP, 'e', 5000), `round ${i}: engine takes the VIP`).toBeGreaterThan(0)
      rounds.push(await race(lab, VIP, () => void process.kill(-e.child.pid!, sig), () => e.exited, sig))
      const r = rounds.at(-1)!
      expect(r, `round ${i}: ${JSON.stringify(r)}\n${e.log()}`).toMatchObject({deletedBeforeTakeover: true, exit: sig === 'SIGINT' ? 130 : 0})
      expect(await lab.holders(VIP)).toEqual(['k'])
      // nothing of the engine's left running in its host (its helpers end with it)
      await waitFor(async () => (await leftovers(lab.host('e').netns)).length === 0, 3000)
      expect(await leftovers(lab.host('e').netns)).toEqual([])
    }
    console.log(`group signals: ${rounds.length} rounds, VIP deleted before takeover in ${rounds.filter((r) => r.deletedBeforeTakeover).length}; margin ms: ${rounds.map((r) => r.marginMs).join(' ')}`)
  }, 180_000)
  it('loss of the terminal (SIGHUP, the terminal gone): the same stop, 3 of 3', async () => {
    const launcher = halctlRunNodeArgs()
    const file = join(lab.dir, 'e-tty.conf')
    const socket = join(lab.dir, 'e-tty.sock')
    await writeFile(file, conf(200))
    const q = (a: string) => `'${a.replaceAll("'", "'\\''")}'`
    for (let i = 0; i < 3; i++) {
      // `script` gives the engine a terminal of its own; killing it hangs that terminal up.
      // Nobody reads the terminal either (script's output is never drained): a stalled
      // terminal must not stop the adverts (the live view writes to it every 500 ms).
      const cmd = [process.execPath, ...launcher, '-f', file, '--json-status', socket].map(q).join(' ')
      const env = {...process.env}
      delete env.VITEST
      const term = spawn('ip', ['netns', 'exec', lab.host('e').netns, 'script', '-qfec', cmd, '/dev/null'], {stdio: ['pipe', 'pipe', 'pipe'], env, cwd: process.cwd()})
      const termExited = new Promise((r) => term.on('exit', r))
      term.stdout.resume()
      term.stderr.resume()
      term.stdout.resume()
      term.stderr.resume()
      try {
        expect(await waitFor(async () => (await getJson(socket).catch(() => undefined)) !== undefined, 20_000), `round ${i}: engine status socket`).toBe(true)
        expect(await lab.waitHolder(VIP, 'e', 5000), `round ${i}: engine takes the VIP`).toBeGreaterThan(0)
        // past the live view's start (its first renders can stall a loaded host's event loop for
        // longer than the peer's Master_Down_Interval; that is advert timing, not the stop path)
        await sleep(1500)
        expect(await lab.holders(VIP), `round ${i}: only the engine holds the VIP before the hang-up`).toEqual(['e'])
        const r = await race(
          lab,
          VIP,
          () => void term.kill('SIGKILL'),
          async () => ((await waitFor(async () => (await leftovers(lab.host('e').netns)).length === 0, 15_000)) ? 0 : -1),
          'hangup',
        )
        expect(r, `round ${i}: ${JSON.stringify(r)}`).toMatchObject({deletedBeforeTakeover: true, exit: 0})
        expect(await lab.holders(VIP)).toEqual(['k'])
      } finally {
        term.kill('SIGKILL')
        await termExited
      }
    }
  }, 120_000)

  it('an uncaught error: the same stop, then exit 1 with a typed error, 3 of 3', async () => {
    // a fault injected from outside the product: the first SIGUSR2 throws from a signal listener
    const fault = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected fault")})'
    for (let i = 0; i < 3; i++) {
      const e = await lab.startEngine('e', conf(200), [], {detached: true, nodeArgs: ['--import', fault]})
      expect(await lab.waitHolder(VIP, 'e', 5000), `round ${i}: engine takes the VIP`).toBeGreaterThan(0)
      const r = await race(lab, VIP, () => void e.child.kill('SIGUSR2'), () => e.exited, 'uncaught error')
      expect(r, `round ${i}: ${JSON.stringify(r)}\n${e.log()}`).toMatchObject({deletedBeforeTakeover: true, exit: 1})
      expect(e.log()).toContain('ENGINE_INTERNAL')
      expect(e.log()).toContain('injected fault')
      expect(await lab.holders(VIP)).toEqual(['k'])
    }
  }, 120_000)
})

describe.runIf(isRoot)('engine stop path: systemctl stop (KillMode=control-group)', () => {
  let lab: EngineLab
  beforeAll(async () => {
    lab = await EngineLab.create(['e', 'k'], {prefix: 'x16b', net: '10.116.2', init: 'systemd'})
  }, 90_000)
  afterAll(async () => {
    if (lab) await execInHost(lab.host('e'), ['systemctl', 'stop', 'x16-engine'], {reject: false})
    await lab?.destroy()
  })

  it(`systemctl stop: VIP gone before the keepalived peer takes over, ${ROUNDS} of ${ROUNDS}`, async () => {
    const vip = '10.116.2.100'
    const c = (priority: number) => vrrpConf({priority, version: 3, advertInt: 0.1, vrid: 116, vips: [`${vip}/24`]})
    await lab.startKeepalived('k', c(100))
    expect(await lab.waitHolder(vip, 'k', 5000)).toBeGreaterThan(0)
    const file = join(lab.dir, 'e-engine.conf')
    const socket = join(lab.dir, 'e-engine.sock')
    await writeFile(file, c(200))
    const e = lab.host('e')
    const launcher = halctlRunNodeArgs()
    const rounds: Round[] = []
    for (let i = 0; i < ROUNDS; i++) {
      await execInHost(e, ['systemctl', 'reset-failed', 'x16-engine'], {reject: false})
      await execInHost(e, [
        'systemd-run',
        '--unit=x16-engine',
        '--property=KillMode=control-group',
        '--property=TimeoutStopSec=20',
        `--working-directory=${process.cwd()}`,
        '--',
        process.execPath,
        ...launcher,
        '-f',
        file,
        '--json-status',
        socket,
        '--json',
      ])
      expect(await waitFor(async () => (await getJson(socket).catch(() => undefined)) !== undefined, 20_000), `round ${i}: engine status socket`).toBe(true)
      expect(await lab.waitHolder(vip, 'e', 5000), `round ${i}: engine takes the VIP`).toBeGreaterThan(0)
      const state = async () => (await execInHost(e, ['systemctl', 'show', '-p', 'ActiveState,ExecMainStatus,ExecMainCode', 'x16-engine'], {reject: false})).stdout
      const r = await race(
        lab,
        vip,
        async () => void (await execInHost(e, ['systemctl', 'stop', 'x16-engine'])),
        async () => {
          await waitFor(async () => /ActiveState=(inactive|failed)/.test(await state()), 15_000, 50)
          return /ExecMainStatus=0/.test(await state()) ? 0 : -1
        },
        'systemctl stop',
      )
      rounds.push(r)
      expect(r, `round ${i}: ${JSON.stringify(r)}\n${await state()}`).toMatchObject({deletedBeforeTakeover: true, exit: 0})
      expect(await lab.holders(vip)).toEqual(['k'])
      await waitFor(async () => (await leftovers(e.netns)).length === 0, 3000)
      expect(await leftovers(e.netns)).toEqual([])
    }
    console.log(`systemctl stop: ${rounds.length} rounds, VIP deleted before takeover in ${rounds.filter((r) => r.deletedBeforeTakeover).length}; margin ms: ${rounds.map((r) => r.marginMs).join(' ')}`)
  }, 240_000)
})
