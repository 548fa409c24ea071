/**
 * Builds a large pcap from a reference capture by repeating its records with shifted
 * timestamps (each repetition starts after the previous one ends), for bench/sniff-bench.sh.
 *
 *   node --import tsx bench/build-capture.ts IN.pcap OUT.pcap PACKETS
 */
import {createWriteStream, readFileSync} from 'node:fs'
import {once} from 'node:events'
import {PcapParser} from '../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../src/capture/pcap-writer.js'

const [input, output, countText] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: build-capture.ts IN.pcap OUT.pcap [PACKETS=1000000]')
  process.exit(2)
}
const total = Number(countText ?? 1_000_000)
const recs: Array<{tsSec: number; tsNsec: number; data: Buffer; wireLen: number}> = []
let linkType = 1
const parser = new PcapParser((r) => {
  linkType = r.linkType
  recs.push({tsSec: r.tsSec, tsNsec: r.tsNsec, data: Buffer.from(r.data), wireLen: r.wireLen})
})
parser.push(readFileSync(input))
parser.end()
const span = recs[recs.length - 1].tsSec - recs[0].tsSec + 10
const out = createWriteStream(output)
out.write(pcapFileHeader(linkType))
let written = 0
let chunk: Buffer[] = []
for (let rep = 0; written < total; rep++) {
  for (const r of recs) {
    if (written >= total) break
    chunk.push(pcapRecord(r.tsSec + rep * span, r.tsNsec, r.data, r.wireLen))
    written++
  }
  if (chunk.length > 20000 || written >= total) {
    if (!out.write(Buffer.concat(chunk))) await once(out, 'drain')
    chunk = []
  }
}
out.end()
await once(out, 'close')
console.log(`${output}: ${written} packets`)
