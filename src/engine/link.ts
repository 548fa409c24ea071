/**
 * Frames in and out of one interface with libpcap (the `pcap` package's
 * native binding): a capture with a BPF filter for VRRP (and ARP replies, to
 * learn unicast peers' MACs) in immediate mode, and injection of whole frames.
 * The binding is used without the package's JavaScript side, which loads a
 * whole protocol decoder the engine never uses (most of the capture's start-up
 * time and memory).
 */
import {createRequire} from 'node:module'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface FrameLink {
  readonly iface: string
  send(frame: Buffer): void
  onFrame(cb: (frame: Uint8Array) => void): void
  close(): void
}

export const VRRP_BPF = 'ip proto 112 or ip6 proto 112 or arp[6:2] = 2'

/** The binding's session (pcap 3.x, build/Release/pcap_binding.node). */
interface BindingSession {
  open_live(
    device: string,
    filter: string,
    bufferSize: number,
    snapLength: number,
    outfile: string,
    onPacket: () => void,
    monitor: boolean,
    bufferTimeout: number,
    warn: (message: string) => void,
    promiscuous: boolean,
  ): string
  dispatch(buf: Buffer, header: Buffer): number
  start_polling(): void
  inject(frame: Buffer): void
  close(): void
  read_callback?: () => void
}

const SNAP_LENGTH = 2048
/** the kernel ring: VRRP is a few hundred bytes a packet; a larger ring is only resident memory */
const BUFFER_SIZE = 1024 * 1024

const require = createRequire(import.meta.url)

export function openPcapLink(iface: string): FrameLink {
  const binding = require('pcap/build/Release/pcap_binding.node') as {PcapSession: new () => BindingSession}
  const session = new binding.PcapSession()
  const buf = Buffer.alloc(SNAP_LENGTH)
  const header = Buffer.alloc(16)
  let handler: ((f: Uint8Array) => void) | undefined
  let open = true
  // called by dispatch() once per packet, with buf and header filled in
  const onPacket = () => {
    if (!open || !handler) return
    const caplen = header.readUInt32LE(8)
    // a view of the reused buffer: the engine handles a frame before the next one is read
    handler(buf.subarray(0, caplen))
  }
  try {
    // buffer timeout 0 = immediate mode: no batching delay on receive; promiscuous as the pcap package's default
    session.open_live(iface, VRRP_BPF, BUFFER_SIZE, SNAP_LENGTH, '', onPacket, false, 0, () => undefined, true)
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    throw new HalError('ENGINE_CAPTURE', `cannot capture on ${iface}: ${msg}`, {
      exitCode: ExitCode.Environment,
      hint: /permission|not permitted/i.test(msg) ? 'run as root (CAP_NET_RAW)' : `check that interface ${iface} exists (ip link show ${iface})`,
    })
  }
  // libpcap finishes a close (poller stopped, handle freed) in the first read after it: the
  // read that returns -2; the handle must not be read after that
  let released = false
  session.read_callback = () => {
    if (!released && session.dispatch(buf, header) === -2) released = true
  }
  session.start_polling()
  process.nextTick(session.read_callback) // packets already queued before the poller started
  return {
    iface,
    send(frame) {
      if (open) session.inject(frame)
    },
    onFrame(cb) {
      handler = cb
    },
    /** stop receiving; the capture is released on the next frame it sees (a master's own last advert) */
    close() {
      if (!open) return
      open = false
      handler = undefined
      session.close()
    },
  }
}
