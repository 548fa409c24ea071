import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {restoreTimeZoneAfterAll} from '../../helpers/time-zone.js'
import {afterAll, describe, expect, it} from 'vitest'
import {parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {FrameCache} from '../../../src/capture/frame-cache.js'
import {TcpdumpFormatter} from '../../../src/sniff/format-tcpdump.js'
import {OutputBuffer} from '../../../src/sniff/output-buffer.js'
import {edgeFrames, truncatedFrames} from './edge-frames.js'
import {CORPUS_PCAP} from '../../helpers/corpus.js'

const CORPUS = CORPUS_PCAP
const dir = mkdtempSync(join(tmpdir(), 'halctl-fmt-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** the lines of format(); also checks that the fast path of `sniff` (frame cache on the reader's
 * buffer, writeLine into small output blocks) gives the same bytes */
async function ours(file: string, verbose: boolean): Promise<string[]> {
  const f = new TcpdumpFormatter({verbose, showAuth: true})
  const fast = new TcpdumpFormatter({verbose, showAuth: true})
  const cache = new FrameCache()
  const blocks: Uint8Array[] = []
  const out = new OutputBuffer((b) => blocks.push(b), 256)
  const lines: string[] = []
  await readPcapFile(file, (r) => {
    fast.writeLine(r, cache.parseAt(r.bytes!, r.offset!, r.capLen, r.linkType), out)
    lines.push(...f.format(r, parseFrame(r.data, r.linkType)).split('\n'))
  })
  out.flush()
  expect(blocks.length).toBeGreaterThan(1)
  expect(Buffer.concat(blocks).toString('utf8')).toBe(`${lines.join('\n')}\n`)
  return lines
}

function tcpdump(file: string, verbose: boolean): string[] {
  const out = execFileSync('tcpdump', ['-r', file, '-n', ...(verbose ? ['-v'] : [])], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  return out.split('\n').filter((l) => l !== '')
}

describe('tcpdump format', () => {
  restoreTimeZoneAfterAll()

  it('matches the committed tcpdump -n and -n -v output of the reference capture line by line (TZ=UTC)', async () => {
    process.env.TZ = 'UTC'
    const want = readFileSync(join(CORPUS, 'vrrp.tcpdump-n.txt'), 'utf8').split('\n').filter(Boolean)
    const wantV = readFileSync(join(CORPUS, 'vrrp.tcpdump-nv.txt'), 'utf8').split('\n').filter(Boolean)
    expect(await ours(join(CORPUS, 'vrrp.pcap'), false)).toEqual(want)
    expect(await ours(join(CORPUS, 'vrrp.pcap'), true)).toEqual(wantV)
  })

  for (const zone of ['America/New_York', 'Asia/Kolkata']) {
    it(`matches the real tcpdump -r on the reference capture in ${zone}`, async () => {
      process.env.TZ = zone
      const file = join(CORPUS, 'vrrp.pcap')
      expect(await ours(file, false)).toEqual(tcpdump(file, false))
      expect(await ours(file, true)).toEqual(tcpdump(file, true))
    })
  }

  it('matches the real tcpdump on Linux cooked (SLL and SLL2) versions of the reference capture', async () => {
    process.env.TZ = 'UTC'
    const sll: Buffer[] = []
    const sll2: Buffer[] = []
    await readPcapFile(join(CORPUS, 'vrrp.pcap'), (r) => {
      const eth = Buffer.from(r.data)
      const h1 = Buffer.alloc(16)
      h1.writeUInt16BE(2, 0) // multicast
      h1.writeUInt16BE(1, 2)
      h1.writeUInt16BE(6, 4)
      eth.copy(h1, 6, 6, 12)
      eth.copy(h1, 14, 12, 14)
      sll.push(pcapRecord(r.tsSec, r.tsNsec, Buffer.concat([h1, eth.subarray(14)])))
      const h2 = Buffer.alloc(20)
      eth.copy(h2, 0, 12, 14)
      h2.writeUInt32BE(1, 4) // ifindex 1: lo
      h2.writeUInt16BE(1, 8)
      h2[10] = sll2.length % 5 // every packet type
      h2[11] = 6
      eth.copy(h2, 12, 6, 12)
      sll2.push(pcapRecord(r.tsSec, r.tsNsec, Buffer.concat([h2, eth.subarray(14)])))
    })
    for (const [name, link, recs] of [['sll.pcap', LinkType.LINUX_SLL, sll], ['sll2.pcap', LinkType.LINUX_SLL2, sll2]] as const) {
      const file = join(dir, name)
      writeFileSync(file, Buffer.concat([pcapFileHeader(link), ...recs]))
      expect(await ours(file, false)).toEqual(tcpdump(file, false))
      expect(await ours(file, true)).toEqual(tcpdump(file, true))
    }
  })

  it('matches the real tcpdump on odd packets: bad TTL/checksums, unknown type/version/auth, truncation, IPv6 flow labels', async () => {
    process.env.TZ = 'UTC'
    const file = join(dir, 'edge.pcap')
    const recs = edgeFrames().map((f, i) => pcapRecord(1700000000 + i, i * 1000, f))
    for (const [f, cap] of truncatedFrames()) recs.push(pcapRecord(1700000100, 5000, f.subarray(0, cap), f.length))
    writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...recs]))
    const real = tcpdump(file, false)
    expect(real.length).toBeGreaterThan(20)
    expect(await ours(file, false)).toEqual(real)
    expect(await ours(file, true)).toEqual(tcpdump(file, true))
  })

  it('prints local times as tcpdump does across time zone transitions (DST, half-hour DST, a skipped day)', async () => {
    const frame = edgeFrames()[0]
    const at = (iso: string) => Date.parse(iso) / 1000
    // every 7 min 13 s for 5 hours around each transition, plus the seconds right at it
    const starts = [at('2024-03-10T05:00:00Z'), at('2024-11-03T04:00:00Z'), at('2024-04-06T13:00:00Z'), at('2011-12-30T08:00:00Z'), at('2024-03-30T23:00:00Z')]
    const times: number[] = []
    for (const t0 of starts) {
      for (let t = t0; t < t0 + 5 * 3600; t += 433) times.push(t)
      for (let t = t0 + 2 * 3600 - 3; t < t0 + 2 * 3600 + 3; t++) times.push(t)
    }
    const file = join(dir, 'zones.pcap')
    writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...times.map((t, i) => pcapRecord(t, i * 1000 + 7, frame))]))
    for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Pacific/Apia', 'Europe/Amsterdam', 'Asia/Kolkata']) {
      process.env.TZ = zone
      expect(await ours(file, false), zone).toEqual(tcpdump(file, false))
    }
  })

  it('masks the VRRPv2 simple password unless asked to show it (it is a secret)', async () => {
    process.env.TZ = 'UTC'
    const f = new TcpdumpFormatter({verbose: true})
    const lines: string[] = []
    await readPcapFile(join(CORPUS, 'vrrp.pcap'), (r) => void lines.push(f.format(r, parseFrame(r.data, r.linkType))))
    const text = lines.join('\n')
    expect(text).toContain('auth "********"')
    expect(text).not.toContain('abcdefgh')
  })
})
