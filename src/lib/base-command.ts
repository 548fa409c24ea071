import {Command} from '@oclif/core'
import {asHalError, formatHalError, HalError, isHalError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {redact, redactDeep} from './redact.js'

/**
 * Base of every halctl command: `--json` on, typed errors rendered as
 * "where: message / hint" (or as JSON with --json) with their own exit code,
 * secrets masked in both.
 */
function isNonExistentFlags(err: unknown): err is Error & {flags: string[]} {
  return err instanceof Error && err.constructor.name === 'NonExistentFlagsError' && Array.isArray((err as {flags?: unknown}).flags)
}

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
    // an unknown flag: name the closest one instead of printing the whole help
    if (isNonExistentFlags(err)) return this.catch(await this.unknownFlagError(err.flags))
    // a flag oclif could not parse, with --json: a typed error with exit 2 like every other bad input, not INTERNAL
    if (err.oclif?.exit === ExitCode.BadInput && this.jsonEnabled() && !isHalError(err) && (err as {code?: string}).code !== 'EEXIT') return this.catch(this.badFlagError(err))
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

  /** oclif's "Parsing --x \n\tExpected ...\nSee more help with --help" as one line naming the flag, with the help to read. */
  private badFlagError(err: Error): HalError {
    const lines = err.message.split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l))
    const id = (this.id ?? '').replaceAll(':', ' ')
    return new HalError('BAD_FLAG', lines.join(': '), {hint: `"${[this.config.bin, id].filter(Boolean).join(' ')} --help" lists every flag and its values`, exitCode: ExitCode.BadInput})
  }

  /** "--dryrun" -> did you mean --dry-run?, from this command's flags and their visible aliases. */
  private async unknownFlagError(typed: string[]): Promise<HalError> {
    const {suggest} = await import('../spec/issues.js')
    const flags = Object.entries((this.constructor as typeof Command).flags ?? {})
    const known = flags.filter(([, f]) => !f.hidden).flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])])
    const guesses = typed.map((t) => {
      const name = t.split('=')[0]
      const near = name.startsWith('--') ? suggest(name.slice(2), known.filter((k) => k.startsWith('--')).map((k) => k.slice(2))) : undefined
      return near ? `${typed.length > 1 ? `${name}: ` : ''}did you mean --${near}?` : undefined
    })
    const id = (this.id ?? '').replaceAll(':', ' ')
    const hint = [...guesses.filter(Boolean), `"${this.config.bin} ${id} --help" lists every flag`].join('; ')
    return new HalError('UNKNOWN_FLAG', `unknown flag${typed.length > 1 ? 's' : ''} ${typed.join(', ')}`, {hint, exitCode: ExitCode.BadInput})
  }

  /**
   * The signals that stop this command's service at its next step: `signal` is aborted by the first
   * of `signals` (SIGINT and SIGTERM unless told). The listeners stay
   * until release() (process.on, not once: with halctl's listener gone, ink's exit handler re-raises
   * the signal and the command's summary is lost); `once` removes each after its first signal, so a
   * second one ends the process as usual.
   */
  protected abortOnSignals(opts: {signals?: NodeJS.Signals[]; once?: boolean} = {}): {signal: AbortSignal; release(): void} {
    const ac = new AbortController()
    const signals = opts.signals ?? ['SIGINT', 'SIGTERM']
    const onSignal = (): void => ac.abort()
    for (const sig of signals) process[opts.once ? 'once' : 'on'](sig, onSignal)
    return {signal: ac.signal, release: () => signals.forEach((sig) => process.removeListener(sig, onSignal))}
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    const r = await super.finally(err)
    if (!err && this.resultExitCode !== 0) process.exitCode = this.resultExitCode
    return r
  }
}
