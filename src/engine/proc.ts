/**
 * A child process run to its end, with node:child_process alone: the engine's
 * `ip` queries, vrrp_script checks and notify scripts. (execa costs a daemon
 * start-up time and memory it has no use for.)
 */
import {spawn} from 'node:child_process'

export interface ProcResult {
  /** exit code; null when it ended on a signal or could not start */
  exitCode: number | null
  stdout: string
  timedOut: boolean
}

/** Run `file args`; never rejects. With `timeoutMs`, the child gets `killSignal` (default SIGTERM) when time is up. */
export function runProcess(file: string, args: readonly string[], opts: {timeoutMs?: number; killSignal?: NodeJS.Signals; stdout?: boolean} = {}): Promise<ProcResult> {
  return new Promise((resolve) => {
    let stdout = ''
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    const child = spawn(file, args, {stdio: ['ignore', opts.stdout ? 'pipe' : 'ignore', 'ignore']})
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    const done = (exitCode: number | null) => {
      clearTimeout(timer)
      resolve({exitCode, stdout, timedOut})
    }
    child.on('error', () => done(null))
    child.on('close', (code) => done(code))
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true
        child.kill(opts.killSignal ?? 'SIGTERM')
      }, opts.timeoutMs)
    }
  })
}
