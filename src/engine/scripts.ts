/**
 * vrrp_script runners and notify scripts. keepalived runs both without a
 * shell: the configured line is split into words (quotes group words) and
 * executed directly.
 */
import {runProcess} from './proc.js'
import type {NotifyScripts} from '../keepalived/model.js'
import type {EngineScript} from './config.js'
import {foldScriptResult, initialScriptStatus, type ScriptStatus} from './tracking.js'

/** Split a keepalived command line into argv: whitespace separates, quotes group, backslash escapes. */
export function splitCommand(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: string | undefined
  let have = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      quote = c
      have = true
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]
      have = true
    } else if (/\s/.test(c)) {
      if (have) out.push(cur)
      cur = ''
      have = false
    } else {
      cur += c
      have = true
    }
  }
  if (have) out.push(cur)
  return out
}

/** Run a command line; true when it exits 0 within the timeout. */
export async function runCheck(line: string, timeoutMs: number): Promise<boolean> {
  const [file, ...args] = splitCommand(line)
  if (!file) return false
  const r = await runProcess(file, args, {timeoutMs, killSignal: 'SIGKILL'})
  return r.exitCode === 0 && !r.timedOut
}

/** Runs every vrrp_script on its interval and reports when its rise/fall-filtered result changes. */
export class ScriptRunner {
  private readonly status = new Map<string, ScriptStatus>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private stopped = false

  constructor(
    private readonly scripts: readonly EngineScript[],
    private readonly onChange: (name: string, ok: boolean) => void,
    private readonly check: (line: string, timeoutMs: number) => Promise<boolean> = runCheck,
  ) {}

  start(): void {
    for (const s of this.scripts) {
      if (!this.status.has(s.name)) this.status.set(s.name, s.initFail ? {ok: false, streak: 0} : initialScriptStatus)
      this.loop(s)
    }
  }

  /** carry the results of scripts that keep their name over a reload */
  seed(prev: ScriptRunner): void {
    for (const s of this.scripts) {
      const st = prev.status.get(s.name)
      if (st) this.status.set(s.name, st)
    }
  }

  result(name: string): boolean | undefined {
    return this.status.get(name)?.ok
  }

  private loop(s: EngineScript): void {
    if (this.stopped) return
    const started = Date.now()
    void this.check(s.script, s.timeoutMs).then((ok) => {
      if (this.stopped) return
      const prev = this.status.get(s.name) ?? initialScriptStatus
      const next = foldScriptResult(prev, ok, s.rise, s.fall)
      this.status.set(s.name, next)
      if (next.ok !== prev.ok && next.ok !== undefined) this.onChange(s.name, next.ok)
      const wait = Math.max(0, s.intervalMs - (Date.now() - started))
      this.timers.set(s.name, setTimeout(() => this.loop(s), wait))
    })
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }
}

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'

/**
 * The notify command lines keepalived runs for a state change, in its order:
 * the state's own script (notify_master ...) as written, then `notify` with
 * TYPE NAME STATE PRIORITY appended.
 */
export function notifyCommands(n: NotifyScripts, kind: 'INSTANCE' | 'GROUP', name: string, state: NotifyState, priority: number): string[][] {
  const own = {MASTER: n.notifyMaster, BACKUP: n.notifyBackup, FAULT: n.notifyFault, STOP: n.notifyStop}[state]
  const out: string[][] = []
  if (own) out.push(splitCommand(own))
  if (n.notify) out.push([...splitCommand(n.notify), kind, name, state, String(priority)])
  return out.filter((a) => a.length > 0)
}

/** Runs notify commands one after another, in the order they were queued. */
export class NotifyQueue {
  private chain: Promise<void> = Promise.resolve()
  failures = 0

  enqueue(commands: string[][], timeoutMs = 30_000): void {
    for (const [file, ...args] of commands) {
      this.chain = this.chain.then(async () => {
        const r = await runProcess(file, args, {timeoutMs})
        if (r.exitCode !== 0) this.failures++
      })
    }
  }

  /** resolves when everything queued so far has run */
  idle(): Promise<void> {
    return this.chain
  }
}
