/**
 * The lean start of `halctl sniff -r FILE ...` from bin/run.js, without loading the CLI framework
 * (loading it costs more than decoding a million packets). Only plain invocations reading a file
 * are handled here; anything else (help, a live or remote capture, the live table, a flag it does
 * not know, a flag given twice, a bad value) is left to the oclif command, which gives its usual
 * messages. Output, JSON, errors and exit codes are those of the command (BaseCommand).
 *
 * Exports: `parseSniffArgv(argv) -> {flags, json} | undefined`, `runSniffFromArgv(argv) -> boolean`.
 */
import {parseArgs} from 'node:util'
import {asHalError, formatHalError, isHalError} from '../lib/errors.js'
import {redact, redactDeep} from '../lib/redact.js'
import {sniffCommand} from './command.js'
import {SNIFF_FLAGS, type SniffFlags} from './flags.js'

type Options = Record<string, {type: 'string' | 'boolean'; short?: string}>

/** Flags from argv, or undefined when the oclif command should handle it. */
export function parseSniffArgv(argv: string[], stdoutIsTty = Boolean(process.stdout.isTTY)): {flags: SniffFlags; json: boolean} | undefined {
  if (argv.some((a) => a === '-h' || a === '--help')) return undefined
  const options: Options = {json: {type: 'boolean'}}
  for (const [name, f] of Object.entries(SNIFF_FLAGS)) options[name] = {type: f.kind === 'boolean' ? 'boolean' : 'string', ...('char' in f ? {short: f.char} : {})}
  let values: Record<string, string | boolean | undefined>
  try {
    const r = parseArgs({args: argv, options, strict: true, allowPositionals: false, tokens: true})
    const names = r.tokens.filter((t) => t.kind === 'option').map((t) => (t as {name: string}).name)
    if (new Set(names).size !== names.length) return undefined
    values = r.values
  } catch {
    return undefined
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined)
  const bool = (k: string) => values[k] === true
  const int = (k: 'count' | 'flap-count'): number | undefined | null => {
    const v = str(k)
    if (v === undefined) return undefined
    return /^\d+$/.test(v) && Number(v) >= SNIFF_FLAGS[k].min ? Number(v) : null
  }
  const read = str('read')
  const format = str('format')
  const json = bool('json')
  const count = int('count')
  const flapCount = int('flap-count')
  if (read === undefined || read === '' || count === null || flapCount === null) return undefined
  if (['interface', 'node', 'spec', 'remote-interface'].some((k) => values[k] !== undefined)) return undefined
  if (format !== undefined && !(SNIFF_FLAGS.format.options as readonly string[]).includes(format)) return undefined
  // the live table (ink) is the command's
  if (format === 'table' || (!json && format === undefined && !bool('summary') && stdoutIsTty)) return undefined
  return {
    flags: {
      read,
      format,
      verbose: bool('verbose'),
      'show-auth': bool('show-auth'),
      summary: bool('summary'),
      count,
      duration: str('duration'),
      write: str('write'),
      'flap-count': flapCount ?? SNIFF_FLAGS['flap-count'].default,
      'flap-window': str('flap-window') ?? SNIFF_FLAGS['flap-window'].default,
    },
    json,
  }
}

/** Run sniff for argv (after "sniff"); false when the oclif command should handle it instead. */
export async function runSniffFromArgv(argv: string[]): Promise<boolean> {
  const parsed = parseSniffArgv(argv)
  if (!parsed) return false
  const {json} = parsed
  try {
    const {summary, exitCode} = await sniffCommand(parsed.flags, {json, log: (line) => void process.stdout.write(`${line}\n`)})
    if (json) process.stdout.write(`${JSON.stringify(redactDeep(summary))}\n`)
    process.exitCode = exitCode
  } catch (e) {
    if (process.env.HALCTL_DEBUG && !isHalError(e)) process.stderr.write(`${redact(e instanceof Error ? (e.stack ?? String(e)) : String(e))}\n`)
    const err = asHalError(e)
    if (json) process.stdout.write(`${JSON.stringify({error: err.toJSON()})}\n`)
    else process.stderr.write(`${formatHalError(err)}\n`)
    process.exitCode = err.exitCode
  }
  return true
}
