import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {LinkType} from '../../../src/capture/link-types.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {advertFrames, announceFrames, garpFrame, unsolicitedNaFrame} from '../../../src/engine/frames.js'
import {inst} from './fixtures.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-frames-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** tcpdump's own reading of frames (the oracle): one entry per frame, continuation lines joined */
async function tcpdump(frames: Buffer[]): Promise<string[]> {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.pcap`)
  await writeFile(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...frames.map((f, i) => pcapRecord(1_700_000_000 + i, 0, f))]))
  const r = await execa('tcpdump', ['-r', file, '-n', '-v', '-e', '-tt'], {reject: false})
  return r.stdout
    .split(/\n(?=\d)/)
    .filter(Boolean)
    .map((l) => l.replace(/\n\s+/g, ' '))
}

const MAC = '02:11:22:33:44:55'

describe('frames the speaker injects, read back by tcpdump', () => {
  it('v2 advert with PASS auth: from the interface MAC, TTL 255, checksum good', async () => {
    const [f] = advertFrames(inst({authPass: 'secret'}), {mac: MAC, srcIp: '192.0.2.2'}, 100, new Map())
    const [line] = await tcpdump([f])
    expect(line).toContain(`${MAC} > 01:00:5e:00:00:12`)
    expect(line).toContain('ttl 255')
    expect(line).toContain('192.0.2.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s')
    expect(line).toContain('addrs(2): 192.0.2.10,192.0.2.11 auth "secret"')
    expect(line).not.toMatch(/bad/i)
  })

  it('use_vmac: the virtual MAC is the source; unicast goes to each resolved peer', async () => {
    const frames = advertFrames(inst({useVmac: true, unicastPeers: ['192.0.2.3', '192.0.2.4']}), {mac: MAC, srcIp: '192.0.2.2'}, 100, new Map([['192.0.2.3', '02:00:00:00:00:03']]))
    expect(frames).toHaveLength(1) // the unresolved peer is skipped until its MAC is known
    const [line] = await tcpdump(frames)
    expect(line).toContain('00:00:5e:00:01:33 > 02:00:00:00:00:03')
    expect(line).toContain('192.0.2.2 > 192.0.2.3: VRRPv2')
  })

  it('v3 IPv6 advert from the link-local address to ff02::12', async () => {
    const [f] = advertFrames(inst({version: 3, family: 6, advertIntMs: 50, vips: [{address: 'fd00::10/64'}], mcastGroup: 'ff02::12'}), {mac: MAC, srcIp: 'fe80::1'}, 200, new Map())
    const [line] = await tcpdump([f])
    expect(line).toContain('hlim 255')
    expect(line).toContain('fe80::1 > ff02::12: VRRPv3')
    expect(line).toMatch(/VRRPv3, Advertisement, vrid 51, prio 200, intvl 5cs/)
    expect(line).not.toMatch(/bad/i)
  })

  it('gratuitous ARP: broadcast request with sender = target = the VIP', async () => {
    const [line] = await tcpdump([garpFrame(MAC, '192.0.2.10')])
    expect(line).toContain(`${MAC} > ff:ff:ff:ff:ff:ff, ethertype ARP`)
    expect(line).toContain('Request who-has 192.0.2.10 tell 192.0.2.10')
  })

  it('use_vmac: the VIPs are announced from the virtual MAC', async () => {
    const lines = await tcpdump(announceFrames(inst({useVmac: true}), {mac: MAC, srcIp: '192.0.2.2'}, undefined))
    expect(lines[0]).toContain('00:00:5e:00:01:33 > ff:ff:ff:ff:ff:ff, ethertype ARP')
    expect(lines[0]).toContain('Request who-has 192.0.2.10 tell 192.0.2.10')
  })

  it('unsolicited NA: override flag, target link-layer option, checksum good', async () => {
    const [line] = await tcpdump([unsolicitedNaFrame(MAC, 'fe80::1', 'fd00::10')])
    expect(line).toContain('fe80::1 > ff02::1: [icmp6 sum ok] ICMP6, neighbor advertisement')
    expect(line).toContain('tgt is fd00::10, Flags [override]')
    expect(line).toContain(`link-address option (2), length 8 (1): ${MAC}`)
  })

  it('announcements cover advertised and excluded addresses', () => {
    const fs = announceFrames(inst({excludedVips: [{address: '198.51.100.1/32'}, {address: 'fd00::99'}]}), {mac: MAC, srcIp: '192.0.2.2'}, 'fe80::1')
    expect(fs).toHaveLength(4)
  })
})
