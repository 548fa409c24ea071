import {readFileSync} from 'node:fs'
import {wordProblem} from '../keepalived/lexer.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {registerSecret} from '../lib/redact.js'
import {MAX_AUTH_PASS_BYTES} from '../keepalived/limits.js'

export {MAX_AUTH_PASS_BYTES} from '../keepalived/limits.js'

/**
 * Why keepalived cannot carry this secret exactly as auth_pass, or undefined.
 * The message never contains the secret.
 */
export function secretProblem(value: string): string | undefined {
  if (value === '') return 'the secret is empty'
  if (/[\n\r]/.test(value)) return 'the secret contains a line break; keepalived reads one line'
  if (value.includes('"')) return 'the secret contains a double quote ("), which keepalived cannot read in auth_pass; choose a password without it'
  const w = wordProblem(value)
  if (w) return `the secret cannot be written to keepalived.conf exactly: ${w.replace(/^it /, 'it ')}`
  if (Buffer.byteLength(value) > MAX_AUTH_PASS_BYTES) {
    return `the secret is longer than ${MAX_AUTH_PASS_BYTES} bytes; keepalived would cut it to its first ${MAX_AUTH_PASS_BYTES} (peers with another cut would not match); use at most ${MAX_AUTH_PASS_BYTES}`
  }
  return undefined
}

/**
 * The value of a secret reference: `env:VAR`, `file:PATH` (first line, trimmed)
 * or the value inline. Resolved values are registered for redaction (also a
 * value that is then refused, and each of its lines), and checked: a value
 * keepalived cannot carry exactly is refused with a message without it.
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
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (e) {
      throw new HalError('SECRET_MISSING', `${where}: cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
        hint: 'create the file (one line: the secret) or give the secret as env:VAR',
        exitCode: ExitCode.BadInput,
      })
    }
    registerSecret(text.trim())
    value = text.split('\n')[0].trim()
    if (!value) throw new HalError('SECRET_MISSING', `${where}: secret file ${path} is empty`, {exitCode: ExitCode.BadInput})
  } else {
    value = ref
  }
  registerSecret(value)
  const problem = secretProblem(value)
  if (problem) {
    throw new HalError('SECRET_INVALID', `${where}: ${problem}`, {
      hint: `a VRRP password is 1..${MAX_AUTH_PASS_BYTES} bytes on one line, without double quotes, backslashes or control characters`,
      exitCode: ExitCode.BadInput,
    })
  }
  return value
}
