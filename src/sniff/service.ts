/**
 * `halctl sniff` as a service: pulls frames from a PacketSource, decodes them, feeds the
 * tracker, streams per-packet output (tcpdump lines or NDJSON), optionally saves the frames as
 * pcap, and returns the summary. No printing of its own: text goes to the `write` sink.
 *
 * Exported API:
 * - `runSniff(opts) -> Promise<SniffSummary>`; `SniffSummary` is the final --json object.
 * - `SniffRunOptions`
 * Stops at the end of a file, on `opts.signal`, after `count` frames, or after `durationMs`
 * (capture time for files, wall time for live sources).
 */
import {FrameCache} from '../capture/frame-cache.js'
import {PcapWriter} from '../capture/pcap-writer.js'
import type {CaptureRecord, PacketSource} from '../capture/sources.js'
import {CaptureCopies} from './duplicates.js'
import type {Finding} from './findings.js'
import {TcpdumpFormatter} from './format-tcpdump.js'
import {OutputBuffer} from './output-buffer.js'
import {packetRecord} from './packet-record.js'
import {isoMicro, recordMs} from './time.js'
import {SniffTracker, type FindingEvent, type VridSummary} from './tracker.js'

export type PacketOutput = 'tcpdump' | 'json' | 'none'

export interface SniffRunOptions {
  source: PacketSource
  output: PacketOutput
  verbose?: boolean
  /** tcpdump format: print the v2 simple password instead of masking it */
  showAuth?: boolean
  count?: number
  durationMs?: number
  writeFile?: string
  signal?: AbortSignal
  /** stdout sink for packet lines / NDJSON (UTF-8) */
  write: (chunk: Uint8Array) => void
  /** every finding as it is raised or cleared (after it went to the NDJSON stream, if any) */
  onFinding?: (event: FindingEvent, f: Finding) => void
  /** the capture is open (live: packets can be seen from now on) */
  onReady?: () => void
  /** called about every tickMs on live sources, and at the end */
  onUpdate?: (tracker: SniffTracker) => void
  flapCount?: number
  flapWindowMs?: number
  /** see TrackerOptions.maxDoneFindings (halctl monitor: bounded memory) */
  maxDoneFindings?: number
  tickMs?: number
}

export interface SniffSummary {
  type: 'summary'
  source: string
  packets: number
  /** frames per classification (vrrp, carp, truncated, not-vrrp, ...) */
  kinds: Record<string, number>
  first: string | null
  last: string | null
  vrids: Array<Omit<VridSummary, 'lastMs'>>
  findings: Finding[]
  /** an error-severity finding was seen (exit code 3) */
  errors: boolean
  written: string | null
  /** several captures at once (sniff --node A --node B): copies of a packet another capture already gave, not counted again */
  duplicates: number
}

/** bytes of output gathered before a write */
const FLUSH_AT = 1 << 16

/** delivery delay of live packets (local clock - capture clock): its minimum and recent jitter */
class DelayTracker {
  min = Infinity
  private recent: number[] = []
  add(d: number): void {
    if (d < this.min) this.min = d
    this.recent.push(d)
    if (this.recent.length > 64) this.recent.shift()
  }
  jitter(): number {
    let max = 0
    for (const d of this.recent) if (d - this.min > max) max = d - this.min
    return Math.min(max, 2000)
  }
}

export async function runSniff(opts: SniffRunOptions): Promise<SniffSummary> {
  const {source} = opts
  // output goes out in blocks of FLUSH_AT bytes
  const out = new OutputBuffer(opts.write, FLUSH_AT)
  const flush = () => out.flush()
  const emit = (line: string) => out.line(line)
  const tracker = new SniffTracker({
    flapCount: opts.flapCount,
    flapWindowMs: opts.flapWindowMs,
    maxDoneFindings: opts.maxDoneFindings,
    onFinding: (event, f) => {
      if (opts.output === 'json') emit(JSON.stringify({type: 'finding', event, ...f}))
      opts.onFinding?.(event, f)
    },
  })
  const formatter = opts.output === 'tcpdump' ? new TcpdumpFormatter({verbose: opts.verbose, showAuth: opts.showAuth}) : undefined
  const stop = new AbortController()
  // set by the abort event: cheaper to test per packet than stop.signal.aborted
  let stopped = false
  stop.signal.addEventListener('abort', () => (stopped = true), {once: true})
  const onOuterAbort = () => stop.abort()
  opts.signal?.addEventListener('abort', onOuterAbort, {once: true})
  if (opts.signal?.aborted) stop.abort()

  let writer: PcapWriter | undefined
  let writerOpening: Promise<PcapWriter> | undefined
  const toWrite: CaptureRecord[] = []
  let writeError: unknown
  const frames = new FrameCache()
  const kinds: Record<string, number> = {}
  let n = 0
  // capture times of the first and the latest frame (NaN before any), in a typed array: a
  // number kept in a closure variable is a new heap object on every write
  const times = new Float64Array([Number.NaN, Number.NaN])
  const delay = new DelayTracker()
  const copies = new CaptureCopies()
  let duplicates = 0

  const timers: NodeJS.Timeout[] = []
  if (source.live) {
    timers.push(
      setInterval(() => {
        // packet clocks may be another host's, and packets may arrive late (SSH): the capture
        // clock "now" is the local clock minus the smallest delay seen, minus the recent jitter
        if (n > 0 && !stop.signal.aborted) tracker.tick(Date.now() - delay.min - delay.jitter())
        flush()
        opts.onUpdate?.(tracker)
      }, opts.tickMs ?? 200),
    )
  }

  const live = source.live
  const label = source.label
  const durationMs = live ? undefined : opts.durationMs
  const count = opts.count
  const json = opts.output === 'json'
  const onRecord = (rec: CaptureRecord) => {
    if (stopped) return
    // no capture time in the file (pcapng Simple Packet Block): nothing for the timeline
    const t = rec.untimed ? Number.NaN : recordMs(rec.tsSec, rec.tsNsec)
    if (n === 0 && Number.isNaN(times[0])) times[0] = t
    if (durationMs !== undefined && t - times[0] > durationMs) {
      stop.abort()
      return
    }
    const f = rec.bytes !== undefined ? frames.parseAt(rec.bytes, rec.offset!, rec.capLen!, rec.linkType) : frames.parse(rec.data, rec.linkType)
    // several captures (mergedSource): each record names its own; a packet another capture already gave counts once
    const from = rec.source ?? label
    if (rec.source !== undefined && f.ipOffset !== undefined && copies.isCopy(Buffer.from(rec.data.subarray(f.ipOffset)).toString('latin1'), rec.source, Date.now())) {
      duplicates++
      return
    }
    n++
    times[1] = t
    if (live) delay.add(Date.now() - t)
    kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
    if (opts.writeFile) saveRecord(rec)
    if (formatter) {
      if (rec.source !== undefined) {
        const head = Buffer.from(`${rec.source} `, 'utf8')
        out.room(head.length)
        out.buf.set(head, out.pos)
        out.pos += head.length
      }
      formatter.writeLine(rec, f, out)
    } else if (json) emit(JSON.stringify(packetRecord(n, t, from, f)))
    // the tracker sees one network through all captures: its VRIDs are the merged source's
    tracker.observe(n, t, label, f)
    if (live) flush()
    if (count !== undefined && n >= count) stop.abort()
  }
  const saveRecord = (rec: CaptureRecord) => {
    const copy = {tsSec: rec.tsSec, tsNsec: rec.tsNsec, wireLen: rec.wireLen, linkType: rec.linkType, data: Uint8Array.from(rec.data)}
    if (writer) writer.write(copy)
    else {
      toWrite.push(copy)
      writerOpening ??= PcapWriter.open(opts.writeFile!, rec.linkType).then(
        (w) => {
          writer = w
          for (const r of toWrite.splice(0)) w.write(r)
          return w
        },
        (e) => {
          writeError = e
          stop.abort()
          throw e
        },
      )
    }
  }

  try {
    await source.run(onRecord, stop.signal, () => {
      // --duration counts from when the capture is really open
      if (source.live && opts.durationMs !== undefined) timers.push(setTimeout(() => stop.abort(), opts.durationMs))
      opts.onReady?.()
    })
  } finally {
    for (const t of timers) clearTimeout(t)
    opts.signal?.removeEventListener('abort', onOuterAbort)
    flush()
    if (writerOpening) {
      try {
        const w = await writerOpening
        await w.close()
      } catch {
        // reported below
      }
    }
  }
  if (writeError) throw writeError
  if (opts.writeFile && !writerOpening) {
    // nothing captured: still leave a valid, empty capture
    const w = await PcapWriter.open(opts.writeFile, 1)
    await w.close()
  }
  opts.onUpdate?.(tracker)
  return {
    type: 'summary',
    source: source.label,
    packets: n,
    kinds,
    first: Number.isNaN(times[0]) ? null : isoMicro(times[0]),
    last: n === 0 ? null : isoMicro(times[1]),
    vrids: tracker.vrids().map(({lastMs: _l, ...v}) => v),
    findings: tracker.findings(),
    errors: tracker.hasErrors(),
    written: opts.writeFile ?? null,
    duplicates,
  }
}
