import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {FRAME_KINDS, parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {PcapParser} from '../../../src/capture/pcap-reader.js'
import {TcpdumpFormatter} from '../../../src/sniff/format-tcpdump.js'
import {packetRecord} from '../../../src/sniff/packet-record.js'
import {SniffTracker} from '../../../src/sniff/tracker.js'
import {encodeVrrp} from '../../../src/vrrp/codec.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

/** xorshift32: reproducible */
function rng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

const LINKS = [LinkType.ETHERNET, LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL, LinkType.IPV6, 147]

describe('decoder fuzz', () => {
  it('classifies 120k random and mutated frames without an exception; decoded VRRP re-encodes exactly', () => {
    const ref: Buffer[] = []
    const p = new PcapParser((r) => void ref.push(Buffer.from(r.data)))
    p.push(readFileSync(REFERENCE_PCAP))
    const rand = rng(0xc0ffee)
    const int = (n: number) => Math.floor(rand() * n)
    const tracker = new SniffTracker()
    const fmt = new TcpdumpFormatter({verbose: true, showAuth: true})
    const kinds: Record<string, number> = {}
    let reencoded = 0
    const known = new Set<string>(FRAME_KINDS)
    const N = 120_000
    for (let i = 0; i < N; i++) {
      let frame: Buffer
      let link: number = LinkType.ETHERNET
      const mode = i % 4
      if (mode === 0) {
        frame = Buffer.alloc(int(120))
        for (let j = 0; j < frame.length; j++) frame[j] = int(256)
        link = LINKS[int(LINKS.length)]
      } else {
        frame = Buffer.from(ref[int(ref.length)])
        const flips = 1 + int(mode === 3 ? 12 : 3)
        for (let k = 0; k < flips; k++) {
          // mutate mostly the IP and VRRP headers
          const at = rand() < 0.8 ? 14 + int(Math.min(frame.length - 14, 70)) : int(frame.length)
          frame[at] = rand() < 0.5 ? int(256) : frame[at] ^ (1 << int(8))
        }
        if (mode === 2) frame = frame.subarray(0, int(frame.length + 1))
        if (mode === 3 && rand() < 0.3) frame = Buffer.concat([frame, Buffer.alloc(int(40), int(256))])
      }
      let f
      try {
        f = parseFrame(frame, link)
        fmt.format({tsSec: 1700000000 + (i >> 6), tsNsec: i, data: frame}, f)
        packetRecord(i + 1, 1.7e12 + i * 10, 'fuzz', f)
        tracker.observe(i + 1, 1.7e12 + i * 10, 'fuzz', f)
      } catch (e) {
        throw new Error(`frame ${i} (link ${link}) ${frame.toString('hex')}: ${(e as Error).stack}`)
      }
      if (!known.has(f.kind)) throw new Error(`frame ${i}: unknown kind ${f.kind}`)
      kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
      if (f.kind === 'vrrp' && f.vrrp!.packet && f.payloadOffset !== undefined && f.ip) {
        const payload = frame.subarray(f.payloadOffset, f.payloadOffset + f.vrrp!.length)
        const again = Buffer.from(encodeVrrp(f.vrrp!.packet, f.ip))
        if (!again.equals(payload)) throw new Error(`re-encode differs for frame ${i}: ${frame.toString('hex')}`)
        reencoded++
      }
    }
    tracker.vrids()
    tracker.findings()
    expect(Object.values(kinds).reduce((a, b) => a + b, 0)).toBe(N)
    // the mutations reach every interesting class
    for (const k of ['vrrp', 'truncated', 'malformed', 'unknown-version', 'not-vrrp', 'not-ip', 'bad-ip', 'fragment', 'unsupported-link']) expect(kinds[k] ?? 0).toBeGreaterThan(0)
    expect(reencoded).toBeGreaterThan(10_000)
  }, 180_000)
})
