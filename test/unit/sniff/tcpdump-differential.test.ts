/**
 * Differential test: thousands of generated and mutated frames (good, truncated by the snap length,
 * padded, fragmented with first and later fragments, IPv4 options incl. RA, timestamp, routes and
 * random option bytes, IPv6 hop-by-hop and destination options, random bit flips across the IP
 * header and VRRP message, ARP, another IP protocol, zero-length records), framed for every link
 * type (Ethernet, Linux cooked SLL and SLL2, raw IP, BSD loopback), some with one or two 802.1Q tags, written to pcap and to pcapng (nanosecond
 * if_tsresol), decoded by `halctl sniff --format tcpdump` (with and without -v) and by the real
 * `tcpdump -n -r` (-v), TZ=UTC: identical line for line.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {restoreTimeZoneAfterAll} from '../../helpers/time-zone.js'
import {afterAll, describe, expect, it} from 'vitest'
import Sniff from '../../../src/commands/sniff.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {ngEnhanced, ngInterface, ngSection} from '../../helpers/pcapng.js'
import {runCommand} from '../../helpers/run-command.js'
import {mutatedFrames, type GenFrame} from './mutations.js'

const dir = mkdtempSync(join(tmpdir(), 'halctl-diff-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function tcpdump(file: string, verbose: boolean): string[] {
  const out = execFileSync('tcpdump', ['-n', ...(verbose ? ['-v'] : []), '-r', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, TZ: 'UTC'}, maxBuffer: 1 << 28})
  return out.split('\n').filter(Boolean)
}

/** classes of tcpdump output the generated frames must reach (checked on tcpdump's own lines) */
const CLASSES: Array<[string, RegExp]> = [
  ['802.1Q in cooked captures', /ethertype 802\.1Q, ethertype IPv/],
  ['802.1Q cut short', /\[\|vlan\]/],
  ['IPv4 timestamp option', / TS\{(TSONLY|TS\+ADDR|PRESPEC)/],
  ['IPv4 source route', /options \((LSRR|SSRR)/],
  ['bad IPv4 header checksum', /bad cksum [0-9a-f]+ \(->/],
  ['bad VRRP checksum', /bad vrrp cksum/],
  ['wrong IP version', /IP\d+ \(invalid\)|version error/],
  ['bad header length', /bad-hlen/],
  ['bad total length', /bad-len/],
  ['IP length past the capture', /truncated-ip6? - \d+ bytes missing!/],
  ['header longer than the capture', /remaining caplen/],
]

const LINKS = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL]

describe('--format tcpdump against the real tcpdump on generated and mutated frames', () => {
  restoreTimeZoneAfterAll()

  it('is identical line for line (pcap and pcapng, every link type, -n and -n -v)', async () => {
    process.env.TZ = 'UTC'
    const frames = mutatedFrames(6000, 15, ['good', 'good', 'options', 'options', 'ext6', 'fragment', 'arp', 'other', 'flip', 'flip', 'pad', 'cut', 'cut', 'zero'], 0.15)
    const byLink = new Map<number, GenFrame[]>(LINKS.map((l) => [l, []]))
    for (const f of frames) byLink.get(f.link)!.push(f)
    let lines = 0
    const seen = new Set<string>()
    for (const [link, fs] of byLink) {
      expect(fs.length, `link ${link}`).toBeGreaterThan(500)
      const pcap = join(dir, `gen-${link}.pcap`)
      writeFileSync(pcap, Buffer.concat([pcapFileHeader(link), ...fs.map((f, i) => pcapRecord(1717171717 + i, ((i * 7919) % 1_000_000) * 1000, f.data, f.wireLen))]))
      const ng = join(dir, `gen-${link}.pcapng`)
      writeFileSync(ng, Buffer.concat([ngSection(), ngInterface(link, {tsresol: 9}), ...fs.map((f, i) => ngEnhanced(0, BigInt(1717171717 + i) * 1_000_000_000n + BigInt((i * 104729) % 1_000_000_000), f.data, f.wireLen))]))
      for (const file of [pcap, ng]) {
        for (const verbose of [false, true]) {
          const real = tcpdump(file, verbose)
          const r = await runCommand(Sniff, ['-r', file, '--format', 'tcpdump', ...(verbose ? ['-v', '--show-auth'] : [])])
          const ours = r.stdout.split('\n').filter(Boolean)
          expect(ours.length, `${file} -v=${verbose}`).toBe(real.length)
          const diff = ours.map((l, i) => [l, real[i]]).filter(([a, b]) => a !== b)
          expect(diff.slice(0, 5), `${file} -v=${verbose}`).toEqual([])
          lines += real.length
          for (const [what, re] of CLASSES) if (real.some((l) => re.test(l))) seen.add(what)
        }
      }
    }
    expect(lines).toBeGreaterThan(20_000)
    // the generated input reached every class tcpdump prints differently
    expect([...seen].sort()).toEqual(CLASSES.map(([what]) => what).sort())
  }, 120_000)

  it('prints the gratuitous ARP of a takeover as tcpdump does', async () => {
    process.env.TZ = 'UTC'
    const frames = mutatedFrames(40, 3, ['arp'], 0).filter((f) => f.link === LinkType.ETHERNET)
    const file = join(dir, 'arp.pcap')
    writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...frames.map((f, i) => pcapRecord(1717171717 + i, 0, f.data))]))
    const r = await runCommand(Sniff, ['-r', file, '--format', 'tcpdump'])
    expect(r.stdout).toMatch(/ARP, (Request who-has|Reply) /)
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(tcpdump(file, false))
    expect(r.exitCode).toBe(0)
  })
})
