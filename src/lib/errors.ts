import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {redact} from './redact.js'

/**
 * A failure the user can act on. Commands never show a stack trace for these:
 * they print the message, where it happened, and the hint.
 */
export class HalError extends Error {
  readonly code: string
  readonly hint?: string
  readonly exitCode: ExitCodeValue
  /** file:line or host/step the error refers to, when known */
  readonly where?: string

  constructor(
    code: string,
    message: string,
    opts: {hint?: string; exitCode?: ExitCodeValue; where?: string; cause?: unknown} = {},
  ) {
    super(redact(message), opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'HalError'
    this.code = code
    this.hint = opts.hint === undefined ? undefined : redact(opts.hint)
    this.exitCode = opts.exitCode ?? ExitCode.BadInput
    this.where = opts.where
  }

  toJSON(): {code: string; message: string; hint?: string; where?: string; exitCode: number} {
    return {code: this.code, message: this.message, hint: this.hint, where: this.where, exitCode: this.exitCode}
  }
}

export function isHalError(e: unknown): e is HalError {
  return e instanceof HalError
}

/** One-line rendering used by commands: "where: message\n  hint: ..." */
export function formatHalError(e: HalError): string {
  const head = e.where ? `${e.where}: ${e.message}` : e.message
  return e.hint ? `${head}\n  hint: ${e.hint}` : head
}

/** Any error as a typed one: HalErrors as they are, anything else as INTERNAL (a bug). */
export function asHalError(err: unknown): HalError {
  if (isHalError(err)) return err
  const message = (err instanceof Error && err.message) || String(err)
  return new HalError('INTERNAL', message, {
    exitCode: ExitCode.Warnings,
    hint: 'this is a bug in halctl; run again with HALCTL_DEBUG=1 for a stack trace and report it',
  })
}
