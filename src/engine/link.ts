/**
 * Frames in and out of one interface with libpcap (the `pcap` package): a
 * capture with a BPF filter for VRRP (and ARP replies, to learn unicast peers'
 * MACs) in immediate mode, and injection of whole frames. The session is
 * closed explicitly and its poller released, so a stopped engine lets the
 * process exit.
 */
import {createRequire} from 'node:module'
import type {PcapSession} from 'pcap'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface FrameLink {
  readonly iface: string
  send(frame: Buffer): void
  onFrame(cb: (frame: Uint8Array) => void): void
  close(): void
}

export const VRRP_BPF = 'ip proto 112 or ip6 proto 112 or arp[6:2] = 2'

const require = createRequire(import.meta.url)

export function openPcapLink(iface: string): FrameLink {
  const pcap = require('pcap') as typeof import('pcap')
  let session: PcapSession
  try {
    // buffer_timeout 0 = immediate mode: no batching delay on receive
    session = pcap.createSession(iface, {filter: VRRP_BPF, buffer_timeout: 0, buffer_size: 4 * 1024 * 1024, snap_length: 2048})
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    throw new HalError('ENGINE_CAPTURE', `cannot capture on ${iface}: ${msg}`, {
      exitCode: ExitCode.Environment,
      hint: /permission|not permitted/i.test(msg) ? 'run as root (CAP_NET_RAW)' : `check that interface ${iface} exists (ip link show ${iface})`,
    })
  }
  let handler: ((f: Uint8Array) => void) | undefined
  let open = true
  session.on('packet', (raw: {buf: Buffer; header: Buffer}) => {
    if (!open || !handler) return
    const caplen = raw.header.readUInt32LE(8)
    handler(raw.buf.subarray(0, caplen))
  })
  return {
    iface,
    send(frame) {
      if (open) session.inject(frame)
    },
    onFrame(cb) {
      handler = cb
    },
    close() {
      if (!open) return
      open = false
      handler = undefined
      session.close()
    },
  }
}
