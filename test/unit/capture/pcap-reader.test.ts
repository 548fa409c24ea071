import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {restoreTimeZoneAfterAll} from '../../helpers/time-zone.js'
import {afterAll, describe, expect, it} from 'vitest'
import {PcapParser, readPcapFile, type PcapRecord} from '../../../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'
import {ngEnhanced, ngInterface, ngSection, ngSimple} from '../../helpers/pcapng.js'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'
import {TcpdumpFormatter} from '../../../src/sniff/format-tcpdump.js'

const dir = mkdtempSync(join(tmpdir(), 'halctl-reader-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const line = (r: PcapRecord) => `${r.tsSec}.${r.tsNsec} ${r.wireLen} ${Buffer.from(r.data).toString('hex')}`

/** every record of a capture, through the push parser in one piece */
function pushed(bytes: Buffer): string[] {
  const out: string[] = []
  const p = new PcapParser((r) => void out.push(line(r)))
  p.push(bytes)
  p.end()
  return out
}

async function read(file: string, stopAfter?: number): Promise<string[]> {
  const out: string[] = []
  await readPcapFile(file, (r) => {
    out.push(line(r))
    return stopAfter === undefined || out.length < stopAfter
  })
  return out
}

/** the reference records repeated until the capture is larger than several read pieces */
function bigCapture(): Buffer {
  const recs: Buffer[] = []
  new PcapParser((r) => void recs.push(pcapRecord(r.tsSec, r.tsNsec, Buffer.from(r.data), r.wireLen))).push(readFileSync(REFERENCE_PCAP))
  const body = Buffer.concat(recs)
  return Buffer.concat([pcapFileHeader(1), ...Array.from({length: 25}, () => body)])
}

describe('readPcapFile', () => {
  it('reads records cut by the read pieces like the push parser (pcap and pcapng, > 64 KiB)', async () => {
    const file = join(dir, 'big.pcap')
    const bytes = bigCapture()
    expect(bytes.length).toBeGreaterThan(4 * 65536)
    writeFileSync(file, bytes)
    const want = pushed(bytes)
    expect(want).toHaveLength(165 * 25)
    expect(await read(file)).toEqual(want)
    const ng = join(dir, 'big.pcapng')
    execFileSync('editcap', ['-F', 'pcapng', file, ng])
    expect(await read(ng)).toEqual(want)
  })

  it('grows its buffer for a record larger than a read piece', async () => {
    const file = join(dir, 'jumbo.pcap')
    const jumbo = Buffer.alloc(200_000, 0xab)
    const small = Buffer.from('0123456789abcdef0123', 'hex')
    writeFileSync(file, Buffer.concat([pcapFileHeader(1), pcapRecord(1, 1000, small), pcapRecord(2, 2000, jumbo), pcapRecord(3, 3000, small)]))
    const got = await read(file)
    expect(got).toHaveLength(3)
    expect(got[1]).toBe(`2.2000 200000 ${jumbo.toString('hex')}`)
    expect(got[2]).toBe(`3.3000 ${small.length} ${small.toString('hex')}`)
  })

  it('stops when the callback returns false or the signal fires', async () => {
    const file = join(dir, 'stop.pcap')
    writeFileSync(file, bigCapture())
    expect(await read(file, 1000)).toHaveLength(1000)
    const ac = new AbortController()
    let n = 0
    await readPcapFile(
      file,
      () => {
        if (++n === 10) ac.abort()
      },
      {signal: ac.signal},
    )
    // the piece being parsed is finished, nothing after it is read
    expect(n).toBeGreaterThanOrEqual(10)
    expect(n).toBeLessThan(165 * 25)
  })

  it('reports a capture cut inside a record, an empty or too short file, and a file it cannot read', async () => {
    const bytes = bigCapture()
    const cut = join(dir, 'cut.pcap')
    writeFileSync(cut, bytes.subarray(0, 100_003))
    await expect(read(cut)).rejects.toMatchObject({code: 'PCAP_FORMAT', where: cut, message: expect.stringMatching(/ends inside a record \(\d+ bytes left over\)/)})
    const empty = join(dir, 'empty.pcap')
    writeFileSync(empty, '')
    await expect(read(empty)).rejects.toMatchObject({code: 'PCAP_FORMAT', where: empty, message: `${empty}: empty capture file`})
    const short = join(dir, 'short.pcap')
    writeFileSync(short, bytes.subarray(0, 10))
    await expect(read(short)).rejects.toMatchObject({code: 'PCAP_FORMAT', message: `${short}: capture file too short for a header`})
    await expect(read(dir)).rejects.toMatchObject({code: 'PCAP_OPEN', where: dir, hint: 'give a capture file (pcap or pcapng), not a directory'})
    const junk = join(dir, 'junk.bin')
    writeFileSync(junk, 'definitely not a capture file')
    await expect(read(junk)).rejects.toMatchObject({code: 'PCAP_FORMAT', where: junk, message: expect.stringContaining(`${junk}: not a pcap or pcapng file`)})
    // an error of the packet callback is not blamed on the file
    await expect(readPcapFile(REFERENCE_PCAP, () => {
      throw new TypeError('bug')
    })).rejects.toBeInstanceOf(TypeError)
    await expect(read(join(dir, 'missing.pcap'))).rejects.toMatchObject({code: 'PCAP_OPEN', hint: 'check the file name'})
  })
})

describe('pcapng times as tcpdump prints them (TZ=UTC)', () => {
  restoreTimeZoneAfterAll()

  it('every if_tsresol (powers of 10 and 2), if_tsoffset, Simple Packet Blocks, nanoseconds, times out of range', async () => {
    process.env.TZ = 'UTC'
    const frame = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 1, priority: 100, intervalCs: 100, addresses: ['10.0.0.1']}), src: '10.0.0.2'})
    const parts: Buffer[] = [ngSection()]
    let ifId = 0
    // a small deterministic generator (xorshift) for the time values
    let x = 0x2545f491
    const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32)
    const big = (bits: number) => BigInt(Math.floor(rnd() * 2 ** 26)) * 2n ** BigInt(Math.max(0, bits - 26)) + BigInt(Math.floor(rnd() * 2 ** Math.min(26, bits)))
    const resols = [...Array.from({length: 20}, (_, k) => k), ...Array.from({length: 64}, (_, k) => 0x80 | k)]
    for (const tsresol of resols) {
      const units = tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol)
      for (const tsoffset of [undefined, 0n, 86399n, -1700000000n, -5n, 2n ** 40n]) {
        parts.push(ngInterface(1, {tsresol, tsoffset}))
        // 2014, 2024 and 2040 (bit 31 set), a random 64-bit count, 0, the largest count, exact nanoseconds
        for (const sec of [1394056506n, 1717171717n, 2240000000n]) parts.push(ngEnhanced(ifId, (sec * units + units - 1n) & (2n ** 64n - 1n), frame))
        parts.push(ngEnhanced(ifId, big(64) & (2n ** 64n - 1n), frame), ngEnhanced(ifId, 0n, frame), ngEnhanced(ifId, 2n ** 64n - 1n, frame))
        if (tsresol === 9) for (let i = 0; i < 200; i++) parts.push(ngEnhanced(ifId, 1717171717000000000n + big(30), frame))
        parts.push(ngSimple(frame))
        // SPBs belong to the first interface of the section: a new section for the next one
        parts.push(ngSection())
        ifId = 0
      }
    }
    const file = join(dir, 'times.pcapng')
    writeFileSync(file, Buffer.concat(parts))
    const f = new TcpdumpFormatter()
    const ours: string[] = []
    await readPcapFile(file, (r) => void ours.push(f.format(r, parseFrame(r.data, r.linkType))))
    const real = execFileSync('tcpdump', ['-n', '-r', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, TZ: 'UTC'}}).split('\n').filter(Boolean)
    expect(ours.length).toBeGreaterThan(3000)
    expect(ours).toEqual(real)
    expect(ours.some((l) => l.startsWith('[Error converting time]'))).toBe(true)
  })

  it('refuses a resolution tcpdump refuses, with its words', async () => {
    const file = join(dir, 'toofine.pcapng')
    writeFileSync(file, Buffer.concat([ngSection(), ngInterface(1, {tsresol: 20})]))
    await expect(read(file)).rejects.toMatchObject({code: 'PCAP_FORMAT', message: `${file}: Interface Description Block if_tsresol option resolution 10^-20 is too high`})
  })
})
