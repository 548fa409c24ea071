/**
 * sniff on captures as routers send them: every IPv4 advert of a router carries the next IP ID
 * and so another header checksum (keepalived counts the ID up per advert). The decoding fast path
 * (FrameCache: one frame per router, handed out again when only the ID and checksum changed) must
 * give tcpdump's output byte for byte, and the same VRIDs and findings as decoding every frame.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parseFrame} from '../../../src/capture/frame.js'
import {FrameCache} from '../../../src/capture/frame-cache.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {TcpdumpFormatter} from '../../../src/sniff/format-tcpdump.js'
import {OutputBuffer} from '../../../src/sniff/output-buffer.js'
import {recordMs} from '../../../src/sniff/time.js'
import {SniffTracker} from '../../../src/sniff/tracker.js'
import {internetChecksum} from '../../../src/vrrp/checksum.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const dir = mkdtempSync(join(tmpdir(), 'halctl-realistic-'))
const tz = process.env.TZ
afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
  if (tz === undefined) delete process.env.TZ
  else process.env.TZ = tz
})

/**
 * the reference capture three times over (10 s apart), each IPv4 frame with its router's next IP
 * ID and a fresh checksum; every 50th IPv4 frame with a wrong checksum, as a damaged frame
 */
async function realisticCapture(): Promise<string> {
  const frames: Array<{tsSec: number; tsNsec: number; data: Buffer}> = []
  await readPcapFile(REFERENCE_PCAP, (r) => void frames.push({tsSec: r.tsSec, tsNsec: r.tsNsec, data: Buffer.from(r.data)}))
  const span = frames[frames.length - 1].tsSec - frames[0].tsSec + 10
  const ids = new Map<string, number>()
  const recs: Buffer[] = []
  let v4 = 0
  for (let rep = 0; rep < 3; rep++) {
    for (const f of frames) {
      const d = Buffer.from(f.data)
      if (d.readUInt16BE(12) === 0x0800) {
        const src = d.subarray(26, 30).toString('hex')
        const id = ids.get(src) ?? d.readUInt16BE(18)
        ids.set(src, id + 1)
        d.writeUInt16BE(id & 0xffff, 18)
        d.writeUInt16BE(0, 24)
        d.writeUInt16BE(internetChecksum(d, 14, 34) ^ (++v4 % 50 === 0 ? 0x0100 : 0), 24)
      }
      recs.push(pcapRecord(f.tsSec + rep * span, f.tsNsec, d))
    }
  }
  const file = join(dir, 'realistic.pcap')
  writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...recs]))
  return file
}

describe('sniff on a capture as routers send it (fresh IP ID and checksum per advert)', () => {
  it('prints what tcpdump -n and tcpdump -n -v print, byte for byte, through the per-router fast path', async () => {
    process.env.TZ = 'UTC'
    const file = await realisticCapture()
    for (const verbose of [false, true]) {
      const fmt = new TcpdumpFormatter({verbose, showAuth: true})
      const cache = new FrameCache()
      const blocks: Uint8Array[] = []
      const out = new OutputBuffer((b) => blocks.push(b), 4096)
      await readPcapFile(file, (r) => fmt.writeLine(r, cache.parseAt(r.bytes!, r.offset!, r.capLen, r.linkType), out))
      out.flush()
      // the fast path was taken: most frames were a router's frame handed out again
      expect(cache.hits).toBeGreaterThan(cache.misses * 5)
      const real = execFileSync('tcpdump', ['-r', file, '-n', ...(verbose ? ['-v'] : [])], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      if (verbose) expect(real).toContain('bad cksum')
      expect(Buffer.concat(blocks).toString('utf8')).toBe(real)
    }
  })

  it('gives the same VRIDs and findings as decoding every frame on its own', async () => {
    const file = await realisticCapture()
    const run = async (decode: (r: {bytes?: Uint8Array; offset?: number; capLen: number; linkType: number; data: Uint8Array}) => ReturnType<typeof parseFrame>) => {
      const tracker = new SniffTracker()
      let n = 0
      await readPcapFile(file, (r) => tracker.observe(++n, recordMs(r.tsSec, r.tsNsec), 'eth0', decode(r)))
      return {vrids: tracker.vrids(), findings: tracker.findings()}
    }
    const cache = new FrameCache()
    const fast = await run((r) => cache.parseAt(r.bytes!, r.offset!, r.capLen, r.linkType))
    const plain = await run((r) => parseFrame(Buffer.from(r.data), r.linkType))
    expect(fast.vrids.length).toBeGreaterThan(3)
    expect(fast).toEqual(plain)
  })
})
