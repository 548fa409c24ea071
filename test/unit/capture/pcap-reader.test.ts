import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {PcapParser, readPcapFile, type PcapRecord} from '../../../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

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
    await expect(read(empty)).rejects.toMatchObject({code: 'PCAP_FORMAT', message: 'empty capture file'})
    const short = join(dir, 'short.pcap')
    writeFileSync(short, bytes.subarray(0, 10))
    await expect(read(short)).rejects.toMatchObject({code: 'PCAP_FORMAT', message: 'capture file too short for a header'})
    await expect(read(dir)).rejects.toMatchObject({code: 'PCAP_OPEN', where: dir})
    await expect(read(join(dir, 'missing.pcap'))).rejects.toMatchObject({code: 'PCAP_OPEN', hint: 'check the file name'})
  })
})
