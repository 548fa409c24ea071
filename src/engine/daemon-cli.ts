/**
 * The daemon's lean start: `halctl run ...` from bin/run.js without loading
 * the CLI framework (it costs the daemon most of its start-up time and a third
 * of its memory). Only plain invocations are handled here; anything else (help,
 * a flag it does not know, a bad value) is left to the oclif command, which
 * gives its usual messages.
 */
import {parseArgs} from 'node:util'
import {asHalError, formatHalError} from '../lib/errors.js'
import {redactDeep} from '../lib/redact.js'
import {runDaemon, type DaemonFlags} from './daemon.js'
import {RUN_FLAGS} from './run-flags.js'

/** Flags from argv, or undefined when the oclif command should handle it. */
export function parseRunArgv(argv: string[]): {flags: DaemonFlags; json: boolean} | undefined {
  if (argv.some((a) => a === '-h' || a === '--help')) return undefined
  let values: Record<string, string | boolean | undefined>
  try {
    const options: Record<string, {type: 'string' | 'boolean'; short?: string}> = {json: {type: 'boolean'}}
    for (const [name, f] of Object.entries(RUN_FLAGS)) options[name] = {type: 'string', ...('char' in f ? {short: f.char} : {})}
    // -s is -f's alias (the input file in every other command); node's parser takes one letter per option
    const args = argv.map((a) => (a === '-s' ? '-f' : a.startsWith('-s') && !a.startsWith('--') ? `-f${a.slice(2)}` : a))
    const r = parseArgs({args, options, strict: true, allowPositionals: false})
    values = r.values
  } catch {
    return undefined
  }
  const str = (k: keyof typeof RUN_FLAGS) => (typeof values[k] === 'string' ? (values[k] as string) : undefined)
  const int = (k: 'status-port' | 'duration'): number | undefined | null => {
    const v = str(k)
    if (v === undefined) return undefined
    const n = Number(v)
    const f = RUN_FLAGS[k]
    if (!/^\d+$/.test(v) || n < f.min || ('max' in f && n > f.max)) return null
    return n
  }
  const port = int('status-port')
  const duration = int('duration')
  if (port === null || duration === null) return undefined
  if (str('json-status') !== undefined && port !== undefined) return undefined
  return {
    flags: {'use-file': str('use-file') ?? RUN_FLAGS['use-file'].default, 'config-id': str('config-id'), 'json-status': str('json-status'), 'status-port': port, duration},
    json: values.json === true,
  }
}

/**
 * Run the daemon for argv (after "run"); false when the oclif command should handle it instead.
 * Otherwise the process ends once the result is written: the stop path is complete by then, and
 * a closed capture that libpcap only releases on its next frame (a backup's or a faulty
 * instance's: no own advert wakes it) must not keep the process alive.
 */
export async function runFromArgv(argv: string[], end: (code: number) => void = (code) => process.exit(code)): Promise<boolean> {
  const parsed = parseRunArgv(argv)
  if (!parsed) return false
  const line = (stream: NodeJS.WriteStream) => (l: string) => void stream.write(`${l}\n`)
  let code: number
  let out = ''
  try {
    const {result, exitCode} = await runDaemon(parsed.flags, {json: parsed.json, log: line(process.stdout), logToStderr: line(process.stderr)})
    if (parsed.json) out = `${JSON.stringify(redactDeep(result), null, 2)}\n`
    code = exitCode
  } catch (e) {
    const err = asHalError(e)
    if (parsed.json) out = `${JSON.stringify({error: err.toJSON()}, null, 2)}\n`
    else process.stderr.write(`${formatHalError(err)}\n`)
    code = err.exitCode
  }
  process.exitCode = code
  // written (a closed pipe included) before the end
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()))
  end(code)
  return true
}
