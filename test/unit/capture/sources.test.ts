import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parseFrame} from '../../../src/capture/frame.js'
import {PcapParser, readPcapFile} from '../../../src/capture/pcap-reader.js'
import {fileSource, liveSource, remoteSource, VRRP_FILTER, type CaptureRecord} from '../../../src/capture/sources.js'
import type {ExecResult, RemoteHost, StreamHandle} from '../../../src/remote/types.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const REF = REFERENCE_PCAP
const dir = mkdtempSync(join(tmpdir(), 'halctl-src-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

async function collect(run: (on: (r: CaptureRecord) => void, s: AbortSignal) => Promise<void>, stopAfter?: number) {
  const ac = new AbortController()
  const got: Array<{ts: number; len: number; kind: string}> = []
  await run((r) => {
    got.push({ts: r.tsSec * 1e6 + r.tsNsec / 1000, len: r.data.length, kind: parseFrame(r.data, r.linkType).kind})
    if (stopAfter && got.length >= stopAfter) ac.abort()
  }, ac.signal)
  return got
}

describe('capture sources and readers', () => {
  it('reads pcapng and nanosecond pcap (as written by editcap) like the pcap they came from', async () => {
    const ng = join(dir, 'ref.pcapng')
    const ns = join(dir, 'ref-ns.pcap')
    execFileSync('editcap', ['-F', 'pcapng', REF, ng])
    execFileSync('editcap', ['-F', 'nsecpcap', REF, ns])
    const a = await collect((on, s) => fileSource(REF).run(on, s))
    expect(a).toHaveLength(165)
    expect(await collect((on, s) => fileSource(ng).run(on, s))).toEqual(a)
    expect(await collect((on, s) => fileSource(ns).run(on, s))).toEqual(a)
    expect((await readPcapFile(ng, () => undefined)).format).toBe('pcapng')
    expect((await readPcapFile(ns, () => undefined)).nanosecond).toBe(true)
  })

  it('joins records split across chunks of any size (pcap and pcapng)', () => {
    const ng = join(dir, 'chunks.pcapng')
    execFileSync('editcap', ['-F', 'pcapng', REF, ng])
    for (const file of [REF, ng]) {
      const bytes = readFileSync(file)
      const whole: string[] = []
      const p0 = new PcapParser((r) => void whole.push(`${r.tsSec}.${r.tsNsec} ${Buffer.from(r.data).toString('hex')}`))
      p0.push(bytes)
      p0.end()
      expect(whole).toHaveLength(165)
      for (const size of [1, 7, 16, 100, 333, 4096]) {
        const got: string[] = []
        const p = new PcapParser((r) => void got.push(`${r.tsSec}.${r.tsNsec} ${Buffer.from(r.data).toString('hex')}`))
        for (let o = 0; o < bytes.length; o += size) p.push(bytes.subarray(o, o + size))
        p.end()
        expect(got).toEqual(whole)
      }
    }
    const bytes = readFileSync(REF)
    const p = new PcapParser(() => undefined)
    p.push(bytes.subarray(0, bytes.length - 5))
    expect(() => p.end()).toThrow(/inside a record/)
  })

  it('remote: runs tcpdump -U -w - through RemoteHost.stream and decodes the stream; stop() on abort', async () => {
    const bytes = readFileSync(REF)
    const calls: string[][] = []
    let stopped = false
    const host = {
      name: 'lb1',
      address: '10.0.0.1',
      isRoot: true,
      async stream(argv: string[], onStdout: (c: Buffer) => void): Promise<StreamHandle> {
        calls.push(argv)
        let finish: (r: ExecResult) => void = () => undefined
        const done = new Promise<ExecResult>((r) => (finish = r))
        setImmediate(() => {
          for (let o = 0; o < bytes.length; o += 333) onStdout(bytes.subarray(o, o + 333))
        })
        return {done, stop: async () => void ((stopped = true), finish({stdout: '', stderr: '', code: -1}))}
      },
    } as unknown as RemoteHost
    const got = await collect((on, s) => remoteSource(host, 'eth0').run(on, s), 165)
    expect(got).toHaveLength(165)
    expect(got.every((g) => g.kind === 'vrrp')).toBe(true)
    expect(calls).toEqual([['tcpdump', '-U', '-n', '-s', '0', '-w', '-', '-i', 'eth0', VRRP_FILTER]])
    expect(stopped).toBe(true)
  })

  it('remote: a failing tcpdump is a HalError with a hint', async () => {
    const host = {
      name: 'lb1',
      isRoot: false,
      async stream(): Promise<StreamHandle> {
        return {done: Promise.resolve({stdout: '', stderr: 'tcpdump: eth9: No such device exists', code: 1}), stop: async () => undefined}
      },
    } as unknown as RemoteHost
    await expect(remoteSource(host, 'eth9').run(() => undefined, new AbortController().signal)).rejects.toThrow(/tcpdump on lb1 ended with status 1/)
  })

  it('live: a capture that cannot start is a HalError with a hint, and nothing is left running', async () => {
    const err = await liveSource('hsn-nosuch0')
      .run(() => undefined, new AbortController().signal)
      .catch((e) => e)
    expect(err.code).toBe('CAPTURE_OPEN')
    expect([2, 5]).toContain(err.exitCode)
    expect(err.hint).toMatch(/ip link|root/)
  })
})
