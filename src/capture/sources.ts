/**
 * Where captured frames come from. Every source feeds `CaptureRecord`s to a callback and
 * stops when its AbortSignal fires; `run()` resolves when the source is finished and all its
 * resources (file handles, libpcap handles, SSH channels) are released.
 *
 * Exported API:
 * - `CaptureRecord`, `PacketSource`
 * - `fileSource(path)`: pcap/pcapng file through the streaming reader
 * - `liveSource(iface, {filter?, pcap?})`: live capture with the `pcap` package (libpcap),
 *   BPF filter `VRRP_FILTER` by default. node_pcap's close() only breaks the libpcap loop;
 *   this source finishes the close itself (one more dispatch, which releases the poll handle),
 *   so the process can exit. `pcap` can be injected for tests.
 * - `remoteSource(host, iface)`: `tcpdump -U -w -` on a RemoteHost (SSH), streamed back and
 *   parsed locally; the only way to see unicast VRRP between two other nodes.
 * - `VRRP_FILTER`: `ip proto 112 or ip6 proto 112`
 */
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost} from '../remote/types.js'
import {LinkType} from './link-types.js'
import {PcapParser, readPcapFile} from './pcap-reader.js'

export const VRRP_FILTER = 'ip proto 112 or ip6 proto 112'

export interface CaptureRecord {
  tsSec: number
  tsNsec: number
  data: Uint8Array
  wireLen: number
  linkType: number
}

export interface PacketSource {
  /** interface (or file) name shown in findings */
  readonly label: string
  /** live sources run until stopped; file sources end by themselves */
  readonly live: boolean
  run(onRecord: (r: CaptureRecord) => void, signal: AbortSignal): Promise<void>
}

export function fileSource(path: string): PacketSource {
  return {
    label: path.split('/').pop() ?? path,
    live: false,
    async run(onRecord, signal) {
      await readPcapFile(
        path,
        (r) => {
          if (signal.aborted) return false
          onRecord(r)
          return !signal.aborted
        },
        {signal},
      )
    },
  }
}

/** the part of node_pcap this module uses */
export interface PcapModule {
  createSession(device: string, options: {filter?: string; buffer_timeout?: number; snap_length?: number; promiscuous?: boolean}): PcapSessionLike
}
export interface PcapSessionLike {
  link_type: string
  on(ev: 'packet', cb: (p: {buf: Buffer; header: Buffer}) => void): void
  close(): void
  session?: {dispatch(buf: Buffer, header: Buffer): number; read_callback?: () => void}
  buf?: Buffer
  header?: Buffer
}

const PCAP_LINK_TYPES: Record<string, number> = {
  LINKTYPE_ETHERNET: LinkType.ETHERNET,
  LINKTYPE_NULL: LinkType.NULL,
  LINKTYPE_RAW: LinkType.RAW,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  LINKTYPE_LINUX_SLL2: LinkType.LINUX_SLL2,
}

export async function loadPcap(): Promise<PcapModule> {
  try {
    const mod = (await import('pcap')) as unknown as {default?: PcapModule} & PcapModule
    return mod.default ?? mod
  } catch (e) {
    throw new HalError('PCAP_UNAVAILABLE', `the pcap package cannot be loaded: ${(e as Error).message}`, {
      exitCode: ExitCode.Environment,
      hint: 'live capture needs libpcap and the built pcap package; read a file with -r or capture remotely with --node',
      cause: e,
    })
  }
}

export function liveSource(iface: string, opts: {filter?: string; pcap?: PcapModule} = {}): PacketSource {
  return {
    label: iface,
    live: true,
    async run(onRecord, signal) {
      if (signal.aborted) return
      const pcap = opts.pcap ?? (await loadPcap())
      let session: PcapSessionLike
      try {
        session = pcap.createSession(iface, {filter: opts.filter ?? VRRP_FILTER, buffer_timeout: 0, snap_length: 65535, promiscuous: true})
      } catch (e) {
        const msg = (e as Error).message
        const perm = /permission|not permitted/i.test(msg)
        throw new HalError('CAPTURE_OPEN', `cannot capture on ${iface}: ${msg}`, {
          exitCode: perm ? ExitCode.Environment : ExitCode.BadInput,
          hint: perm ? 'live capture needs root or CAP_NET_RAW (sudo halctl sniff -i IFACE)' : 'check the interface name with `ip link`',
          where: iface,
          cause: e,
        })
      }
      guardDispatch(session)
      const linkType = PCAP_LINK_TYPES[session.link_type] ?? LinkType.ETHERNET
      session.on('packet', (p) => {
        if (signal.aborted) return
        const h = p.header
        const capLen = h.readUInt32LE(8)
        onRecord({tsSec: h.readUInt32LE(0), tsNsec: h.readUInt32LE(4) * 1000, data: p.buf.subarray(0, capLen), wireLen: h.readUInt32LE(12), linkType})
      })
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
      closeLiveSession(session)
    },
  }
}

const finalized = new WeakSet<object>()

/**
 * Track when libpcap's handle is gone: node_pcap's poll callback (looked up by name on every
 * poll) dispatches, and a dispatch that returns -2 after close() has closed the handle. A
 * dispatch after that would use a NULL handle, so exactly one side may do it.
 */
function guardDispatch(session: PcapSessionLike): void {
  const native = session.session as (PcapSessionLike['session'] & {read_callback?: () => void}) | undefined
  if (!native || !session.buf || !session.header) return
  native.read_callback = () => {
    if (finalized.has(native)) return
    if (native.dispatch(session.buf!, session.header!) === -2) finalized.add(native)
  }
}

/** close a node_pcap session for good: breakloop, then (unless the poll callback already did) one dispatch so libpcap closes and the poll handle is released */
export function closeLiveSession(session: PcapSessionLike): void {
  session.close()
  const native = session.session
  if (!native || !session.buf || !session.header || finalized.has(native)) return
  finalized.add(native)
  try {
    native.dispatch(session.buf, session.header)
  } catch {
    // already closed
  }
}

export function remoteSource(host: RemoteHost, iface: string, opts: {filter?: string} = {}): PacketSource {
  return {
    label: `${host.name}:${iface}`,
    live: true,
    async run(onRecord, signal) {
      if (signal.aborted) return
      let parseError: unknown
      const parser = new PcapParser((r) => {
        if (!signal.aborted) onRecord(r)
      })
      const argv = ['tcpdump', '-U', '-n', '-s', '0', '-w', '-', '-i', iface, opts.filter ?? VRRP_FILTER]
      const handle = await host.stream(
        argv,
        (chunk) => {
          if (parseError) return
          try {
            parser.push(chunk)
          } catch (e) {
            parseError = e
          }
        },
        {sudo: !host.isRoot},
      )
      const stopped = new Promise<'stopped'>((resolve) => signal.addEventListener('abort', () => resolve('stopped'), {once: true}))
      const outcome = await Promise.race([handle.done, stopped])
      if (outcome === 'stopped') {
        await handle.stop()
        await handle.done.catch(() => undefined)
        return
      }
      if (parseError) throw parseError
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
