import {readFileSync} from 'node:fs'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {registerSecret} from '../lib/redact.js'

/**
 * The value of a secret reference: `env:VAR`, `file:PATH` (first line, trimmed)
 * or the value inline. Resolved values are registered for redaction.
 */
export function resolveSecret(ref: string, where: string): string {
  let value: string
  if (ref.startsWith('env:')) {
    const name = ref.slice(4)
    const v = process.env[name]
    if (v === undefined || v === '') {
      throw new HalError('SECRET_MISSING', `${where}: environment variable ${name} is not set`, {
        hint: `export ${name}=... before running halctl, or give the secret as file:PATH`,
        exitCode: ExitCode.BadInput,
      })
    }
    value = v
  } else if (ref.startsWith('file:')) {
    const path = ref.slice(5)
    try {
      value = readFileSync(path, 'utf8').split('\n')[0].trim()
    } catch (e) {
      throw new HalError('SECRET_MISSING', `${where}: cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        hint: 'create the file (one line: the secret) or give the secret as env:VAR',
        exitCode: ExitCode.BadInput,
        cause: e,
      })
    }
    if (!value) throw new HalError('SECRET_MISSING', `${where}: secret file ${path} is empty`, {exitCode: ExitCode.BadInput})
  } else {
    value = ref
  }
  registerSecret(value)
  return value
}
