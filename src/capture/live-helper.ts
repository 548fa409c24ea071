/**
 * Child process of a live capture: opens a node_pcap (libpcap) session on one interface with a
 * BPF filter and writes what it captures to stdout as a pcap stream (file header, then records).
 * It exits on SIGTERM or when stdout closes (SIGINT is left to the parent). Running libpcap in its own process lets the
 * parent own the capture's life cycle by pid: node_pcap's close() only breaks the libpcap loop
 * and leaves its poll handle alive until another packet arrives, which keeps a process running.
 *
 *   node live-helper.js IFACE FILTER
 * Exit status: 0 stopped, 2 bad interface/filter, 5 no permission or libpcap unavailable.
 */
import {createRequire} from 'node:module'
import {pcapFileHeader, pcapRecord} from './pcap-writer.js'

const LINK_TYPES: Record<string, number> = {LINKTYPE_ETHERNET: 1, LINKTYPE_NULL: 0, LINKTYPE_RAW: 101, LINKTYPE_LINUX_SLL: 113, LINKTYPE_LINUX_SLL2: 276}

const [iface, filter] = process.argv.slice(2)
const require = createRequire(import.meta.url)
let pcap: {createSession(d: string, o: object): {link_type: string; on(e: 'packet', cb: (p: {buf: Buffer; header: Buffer}) => void): void}}
try {
  pcap = require('pcap')
} catch (e) {
  process.stderr.write(`libpcap unavailable: ${(e as Error).message}\n`)
  process.exit(5)
}
let session: ReturnType<typeof pcap.createSession>
try {
  session = pcap.createSession(iface, {filter, buffer_timeout: 0, snap_length: 65535, promiscuous: true})
} catch (e) {
  const msg = (e as Error).message
  process.stderr.write(`${msg}\n`)
  process.exit(/permission|not permitted/i.test(msg) ? 5 : 2)
}
const out = process.stdout
out.write(pcapFileHeader(LINK_TYPES[session.link_type] ?? 1, 65535))
session.on('packet', (p) => {
  const h = p.header
  const capLen = h.readUInt32LE(8)
  out.write(pcapRecord(h.readUInt32LE(0), h.readUInt32LE(4) * 1000, p.buf.subarray(0, capLen), h.readUInt32LE(12)))
})
const quit = () => process.exit(0)
process.on('SIGTERM', quit)
// Ctrl-C reaches the whole process group: the parent stops the capture (SIGTERM) once it has
// taken what was captured, so the helper must not end first and look like a failed capture
process.on('SIGINT', () => undefined)
out.on('error', quit)
out.on('close', quit)
