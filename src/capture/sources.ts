/**
 * Where captured frames come from. Every source feeds `CaptureRecord`s to a callback and
 * stops when its AbortSignal fires; `run()` resolves when the source is finished and all its
 * resources (file handles, libpcap handles, SSH channels) are released.
 *
 * Exported API:
 * - `CaptureRecord`, `PacketSource`
 * - `fileSource(path)`: pcap/pcapng file through the streaming reader
 * - `liveSource(iface, {filter?})`: live capture with the `pcap` package (libpcap), BPF filter
 *   `VRRP_FILTER` by default, in a child process (live-helper.ts) that streams pcap records:
 *   node_pcap's close() only breaks the libpcap loop and leaves its poll handle alive until
 *   another packet arrives, so the capture is ended by killing that child by pid.
 * - `remoteSource(host, iface)`: `tcpdump -U -w -` on a RemoteHost (SSH), streamed back and
 *   parsed locally; the only way to see unicast VRRP between two other nodes.
 * - `mergedSource(sources)`: several sources at once (`sniff --node A --node B`), each record
 *   tagged with the label of the source it came from; the first failure stops them all.
 * - `VRRP_FILTER`: `ip proto 112 or ip6 proto 112`
 */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost} from '../remote/types.js'
import {PcapParser, readPcapFile} from './pcap-reader.js'

export const VRRP_FILTER = 'ip proto 112 or ip6 proto 112'

export interface CaptureRecord {
  tsSec: number
  tsNsec: number
  data: Uint8Array
  wireLen: number
  linkType: number
  /** the exact seconds of a time outside a Date's range (see PcapRecord) */
  tsExact?: bigint
  /** no capture time in the file (pcapng Simple Packet Block) */
  untimed?: boolean
  /** when set: data is bytes[offset, offset + capLen), readable without making the view */
  bytes?: Uint8Array
  offset?: number
  capLen?: number
  /** mergedSource: label of the source this record came from */
  source?: string
}

export interface PacketSource {
  /** interface (or file) name shown in findings */
  readonly label: string
  /** live sources run until stopped; file sources end by themselves */
  readonly live: boolean
  /** `onReady` is called once the capture is open (live sources: when packets can be seen) */
  run(onRecord: (r: CaptureRecord) => void, signal: AbortSignal, onReady?: () => void): Promise<void>
}

export function fileSource(path: string): PacketSource {
  return {
    label: path.split('/').pop() ?? path,
    live: false,
    async run(onRecord, signal, onReady) {
      onReady?.()
      // a flag set by the abort event is cheaper to test per packet than signal.aborted
      let stopped = signal.aborted
      const onAbort = () => (stopped = true)
      signal.addEventListener('abort', onAbort, {once: true})
      try {
        await readPcapFile(
          path,
          (r) => {
            if (stopped) return false
            onRecord(r)
            return !stopped
          },
          {signal},
        )
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
  }
}

/**
 * Several sources at once. Records keep arriving in the order they are read, each with
 * `source` set to its source's label; `onReady` fires once every source is open. A source
 * that fails stops the others, and its error is thrown once all have finished.
 */
export function mergedSource(sources: PacketSource[]): PacketSource {
  return {
    label: sources.map((s) => s.label).join(','),
    live: sources.some((s) => s.live),
    async run(onRecord, signal, onReady) {
      const all = new AbortController()
      const onAbort = () => all.abort()
      signal.addEventListener('abort', onAbort, {once: true})
      if (signal.aborted) all.abort()
      let waiting = sources.length
      const ready = () => {
        if (--waiting === 0) onReady?.()
      }
      try {
        const results = await Promise.allSettled(
          sources.map((src) =>
            src
              .run((r) => onRecord({...r, source: src.label}), all.signal, ready)
              .catch((e: unknown) => {
                all.abort()
                throw e
              }),
          ),
        )
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failed) throw failed.reason
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
  }
}

/**
 * Live capture with the `pcap` package, run in a child process (live-helper) that streams pcap
 * records on stdout; stopping kills that child by its pid (TERM, then KILL after 2 s).
 */
export function liveSource(iface: string, opts: {filter?: string} = {}): PacketSource {
  return {
    label: iface,
    live: true,
    async run(onRecord, signal, onReady) {
      if (signal.aborted) return
      const ts = import.meta.url.endsWith('.ts')
      const helper = fileURLToPath(new URL(`./live-helper.${ts ? 'ts' : 'js'}`, import.meta.url))
      const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), helper, iface, opts.filter ?? VRRP_FILTER], {stdio: ['ignore', 'pipe', 'pipe']})
      let stderr = ''
      // the helper writes the file header once libpcap has opened the interface
      const stream = streamedPcap(onRecord, signal, onReady)
      child.stdout!.on('data', stream.push)
      child.stderr!.on('data', (d) => (stderr += String(d)))
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
      const stop = () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill('SIGTERM')
        const t = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 2000)
        t.unref()
      }
      signal.addEventListener('abort', stop, {once: true})
      try {
        const code = await exited
        if (signal.aborted) return
        stream.throwIfBroken()
        const msg = stderr.trim().split('\n').pop() ?? ''
        throw new HalError('CAPTURE_OPEN', `cannot capture on ${iface}: ${msg || `capture process ended with status ${code}`}`, {
          exitCode: code === 5 ? ExitCode.Environment : ExitCode.BadInput,
          hint: code === 5 ? 'live capture needs root or CAP_NET_RAW (sudo halctl sniff -i IFACE) and libpcap' : 'check the interface name with `ip link`',
          where: iface,
        })
      } finally {
        signal.removeEventListener('abort', stop)
        stop()
      }
    },
  }
}

export function remoteSource(host: RemoteHost, iface: string, opts: {filter?: string} = {}): PacketSource {
  return {
    label: `${host.name}:${iface}`,
    live: true,
    async run(onRecord, signal, onReady) {
      if (signal.aborted) return
      const argv = ['tcpdump', '-U', '-n', '-s', '0', '-w', '-', '-i', iface, opts.filter ?? VRRP_FILTER]
      const stream = streamedPcap(onRecord, signal, onReady)
      const handle = await host.stream(argv, stream.push, {sudo: !host.isRoot})
      const stopped = new Promise<'stopped'>((resolve) => signal.addEventListener('abort', () => resolve('stopped'), {once: true}))
      const outcome = await Promise.race([handle.done, stopped])
      if (outcome === 'stopped') {
        await handle.stop()
        await handle.done.catch(() => undefined)
        return
      }
      stream.throwIfBroken()
      if (outcome.code !== 0) {
        throw new HalError('REMOTE_CAPTURE', `tcpdump on ${host.name} ended with status ${outcome.code}: ${outcome.stderr.trim().split('\n').pop() ?? ''}`, {
          exitCode: ExitCode.Remote,
          where: host.name,
          hint: /not found/.test(outcome.stderr) ? 'install tcpdump on the node' : /permission|not permitted/i.test(outcome.stderr) ? 'log in as root or allow sudo -n tcpdump' : `check that interface ${iface} exists on ${host.name}`,
        })
      }
    },
  }
}

/**
 * A pcap byte stream from another process (live helper, remote tcpdump): `push` parses each
 * chunk into records for `onRecord` (none once `signal` fired); the first chunk (the file
 * header) means the capture is open, so it calls `onReady`. A parse error stops parsing and is
 * rethrown by `throwIfBroken()` once the stream has ended.
 */
function streamedPcap(onRecord: (r: CaptureRecord) => void, signal: AbortSignal, onReady?: () => void) {
  const parser = new PcapParser((r) => {
    if (!signal.aborted) onRecord(r)
  })
  let ready = false
  let parseError: unknown
  return {
    push(chunk: Buffer): void {
      if (!ready) {
        ready = true
        onReady?.()
      }
      if (parseError) return
      try {
        parser.push(chunk)
      } catch (e) {
        parseError = e
      }
    },
    throwIfBroken(): void {
      if (parseError) throw parseError
    },
  }
}
