import {Command} from '@oclif/core'
import {asHalError, formatHalError, isHalError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {redact, redactDeep} from './redact.js'

/**
 * Base of every halctl command: `--json` on, typed errors rendered as
 * "where: message / hint" (or as JSON with --json) with their own exit code,
 * secrets masked in both.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Exit code to use after a successful run() that still wants a non-zero status (lint, sniff). */
  protected resultExitCode = 0

  protected override toSuccessJson(result: unknown): unknown {
    return redactDeep(result)
  }

  protected override toErrorJson(err: unknown): unknown {
    if (isHalError(err)) return {error: err.toJSON()}
    const message = err instanceof Error ? err.message : String(err)
    return {error: {code: 'INTERNAL', message: redact(message), exitCode: ExitCode.Warnings}}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own exit() and flag parsing errors keep their behaviour
    if (err.oclif?.exit !== undefined && !isHalError(err)) return super.catch(err)
    if (isHalError(err)) {
      if (this.jsonEnabled()) this.logJson(this.toErrorJson(err))
      else this.logToStderr(formatHalError(err))
      this.exit(err.exitCode)
    }
    if (process.env.HALCTL_DEBUG) this.logToStderr(redact(err.stack ?? String(err)))
    const wrapped = asHalError(err)
    if (this.jsonEnabled()) this.logJson(this.toErrorJson(wrapped))
    else this.logToStderr(formatHalError(wrapped))
    this.exit(wrapped.exitCode)
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    const r = await super.finally(err)
    if (!err && this.resultExitCode !== 0) process.exitCode = this.resultExitCode
    return r
  }
}
