import {Config, type Command} from '@oclif/core'
import {join} from 'node:path'
import {format} from 'node:util'

const root = join(import.meta.dirname, '..', '..')
let config: Config | undefined

export interface CommandOutput<T> {
  result?: T
  stdout: string
  stderr: string
  /** process exit code the command asked for (0 when it returned normally) */
  exitCode: number
  error?: Error
}

/**
 * Run an oclif command class in-process (no build needed), capturing what it
 * writes and the exit code it sets, as `halctl <argv>` would.
 */
export async function runCommand<T>(
  Cmd: new (argv: string[], config: Config) => Command,
  argv: string[],
): Promise<CommandOutput<T>> {
  config ??= await Config.load({root})
  const out: string[] = []
  const err: string[] = []
  const origOut = process.stdout.write.bind(process.stdout)
  const origErr = process.stderr.write.bind(process.stderr)
  const prevExit = process.exitCode
  process.exitCode = undefined
  const origLog = console.log
  const origError = console.error
  // oclif writes through console.log/console.error; ink and others write to the streams
  console.log = (...a: unknown[]) => void out.push(format(...a) + '\n')
  console.error = (...a: unknown[]) => void err.push(format(...a) + '\n')
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write
  let result: T | undefined
  let error: Error | undefined
  let exitCode = 0
  try {
    const cmd = new Cmd(argv, config)
    // _run: oclif's own entry (parse, init, run, catch, finally), protected on Command
    result = (await (cmd as unknown as {_run(): Promise<unknown>})._run()) as T
    exitCode = Number(process.exitCode ?? 0)
  } catch (e) {
    error = e as Error
    const oclif = (e as {oclif?: {exit?: number}}).oclif
    exitCode = oclif?.exit ?? 1
  } finally {
    console.log = origLog
    console.error = origError
    process.stdout.write = origOut
    process.stderr.write = origErr
    process.exitCode = prevExit
  }
  return {result, stdout: out.join(''), stderr: err.join(''), exitCode, error}
}
