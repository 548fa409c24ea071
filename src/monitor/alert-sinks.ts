/**
 * Where `halctl monitor` sends its deduplicated alert events (side effects at the edge):
 * - `--on-finding CMD`: `sh -c CMD` with the alert event as JSON on stdin and
 *   HALCTL_ALERT_STATUS (firing|resolved|event), HALCTL_FINDING_CODE, HALCTL_VRID in its
 *   environment; killed after 30 s
 * - `--webhook URL`: the alert event as JSON in a POST (10 s timeout)
 * The command's output goes to stderr (stdout stays the --json log).
 * Events go out one at a time, in order; a failure is logged and does not stop the monitor.
 *
 * Exports: `AlertSinkOptions`, `alertSinks(opts) -> {send(event), drain()}`.
 */
import {spawn} from 'node:child_process'
import type {AlertEvent} from './alerts.js'

export interface AlertSinkOptions {
  command?: string
  webhook?: string
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void
}

const COMMAND_TIMEOUT_MS = 30_000
const WEBHOOK_TIMEOUT_MS = 10_000

export function alertSinks(opts: AlertSinkOptions): {send(a: AlertEvent): void; drain(): Promise<void>} {
  let chain = Promise.resolve()
  const deliver = async (a: AlertEvent) => {
    const body = JSON.stringify(a)
    if (opts.command) {
      const r = await runCommand(opts.command, body, {HALCTL_ALERT_STATUS: a.status, HALCTL_FINDING_CODE: a.finding.code, HALCTL_VRID: String(a.finding.vrid ?? '')})
      if (r !== 0) opts.log('warn', `--on-finding command ended with status ${r}`, {alert: a.key, status: a.status})
    }
    if (opts.webhook) {
      try {
        const res = await fetch(opts.webhook, {method: 'POST', headers: {'content-type': 'application/json'}, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)})
        if (!res.ok) opts.log('warn', `webhook answered HTTP ${res.status}`, {alert: a.key, status: a.status})
      } catch (e) {
        // the URL may carry a token: name the error, not the URL
        opts.log('warn', `webhook failed: ${(e as Error).name === 'TimeoutError' ? 'no answer in 10 s' : ((e as {cause?: {code?: string}}).cause?.code ?? (e as Error).message)}`, {alert: a.key, status: a.status})
      }
    }
  }
  return {
    send(a) {
      if (!opts.command && !opts.webhook) return
      chain = chain.then(() => deliver(a)).catch((e) => opts.log('warn', `alert not delivered: ${(e as Error).message}`))
    },
    drain: () => chain,
  }
}

function runCommand(cmd: string, stdin: string, env: Record<string, string>): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], {stdio: ['pipe', 2, 2], env: {...process.env, ...env}})
    const t = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS)
    child.on('error', (e) => {
      clearTimeout(t)
      resolve(e.message)
    })
    child.on('close', (code, sig) => {
      clearTimeout(t)
      resolve(code ?? String(sig))
    })
    child.stdin!.on('error', () => undefined)
    child.stdin!.end(stdin)
  })
}
