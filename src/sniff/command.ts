/**
 * What `halctl sniff` does once its flags are parsed, shared by the oclif command and the lean
 * start (src/sniff/lean-cli.ts): picks the source and the per-packet output, runs the capture
 * (Ctrl-C/SIGTERM end it with the summary), prints the summary when asked.
 *
 * Exports: `sniffCommand(flags, io) -> {summary, exitCode}`.
 */
import {fileSource, liveSource, mergedSource, remoteSource, type PacketSource} from '../capture/sources.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {SniffFlags} from './flags.js'
import {findingLine, renderSummary} from './format-summary.js'
import {runSniff, type PacketOutput, type SniffSummary} from './service.js'

export interface SniffIo {
  /** --json given */
  json: boolean
  /** a line on stdout */
  log: (line: string) => void
}

export async function sniffCommand(flags: SniffFlags, io: SniffIo): Promise<{summary: SniffSummary; exitCode: number}> {
  const {json} = io
  const durationMs = seconds('--duration', flags.duration)
  const flapWindowMs = seconds('--flap-window', flags['flap-window'])
  let output: PacketOutput | 'table'
  if (json) output = flags.summary ? 'none' : 'json'
  else if (flags.format) output = flags.format as PacketOutput | 'table'
  else if (flags.summary) output = 'none'
  else output = process.stdout.isTTY ? 'table' : 'tcpdump'

  const closers: Array<() => Promise<void>> = []
  let source: PacketSource
  if (flags.read) source = fileSource(flags.read)
  else if (flags.interface) source = liveSource(flags.interface)
  else if (flags.node?.length) {
    const {connectSpecNodes} = await import('./remote-node.js')
    const {captures, close} = await connectSpecNodes(flags.spec!, flags.node, flags['remote-interface'])
    closers.push(close)
    const sources = captures.map(({host, iface}) => remoteSource(host, iface))
    source = sources.length === 1 ? sources[0] : mergedSource(sources)
  } else {
    throw new HalError('SNIFF_NO_INPUT', 'nothing to read: give -r FILE, -i IFACE or --node NAME -s SPEC', {
      hint: 'e.g. halctl sniff -r capture.pcap --summary',
    })
  }

  const ac = new AbortController()
  const onSigint = () => ac.abort()
  // on, not once: with our listener gone, ink's exit handler re-raises the signal and the summary is lost
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  let view: {update(tracker: Parameters<NonNullable<Parameters<typeof runSniff>[0]['onUpdate']>>[0], packets?: number): void; done(): void} | undefined
  if (output === 'table') view = await import('../ui/sniff-live.js').then((m) => m.startSniffView(source.label, source.live))
  let summary: SniffSummary
  try {
    summary = await runSniff({
      source,
      output: output === 'table' ? 'none' : output,
      verbose: flags.verbose,
      showAuth: flags['show-auth'],
      count: flags.count,
      durationMs,
      writeFile: flags.write,
      signal: ac.signal,
      flapCount: flags['flap-count'],
      flapWindowMs,
      write: (chunk) => void process.stdout.write(chunk),
      onFinding: output === 'tcpdump' && !json ? (event, f) => void process.stderr.write(`${findingLine(event, f)}\n`) : undefined,
      onUpdate: view ? (t) => view!.update(t) : undefined,
    })
  } finally {
    process.removeListener('SIGINT', onSigint)
    process.removeListener('SIGTERM', onSigint)
    view?.done()
    for (const c of closers) await c()
  }
  if (!json && (flags.summary || output === 'table')) io.log(renderSummary(summary))
  return {summary, exitCode: summary.errors ? ExitCode.Finding : ExitCode.Ok}
}

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) {
    throw new HalError('BAD_FLAG', `${flag} ${v}: not a positive number of seconds`, {hint: `e.g. ${flag} 30 or ${flag} 0.5`})
  }
  return n * 1000
}
