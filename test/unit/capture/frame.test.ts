import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, buildVrrpIpPacket, multicastMac, parseFrame, virtualMac} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {readPcapFile} from '../../../src/capture/pcap-reader.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {encodeVrrp, makeAdvertisement} from '../../../src/vrrp/codec.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const REF = REFERENCE_PCAP

describe('frames', () => {
  it('parses every frame of the reference capture as valid VRRP and re-encodes it byte for byte', async () => {
    let n = 0
    await readPcapFile(REF, (rec) => {
      const f = parseFrame(rec.data, rec.linkType)
      expect(f.kind).toBe('vrrp')
      expect(f.vrrp!.checksum).toBe('ok')
      expect(f.vrrp!.issues).toEqual([])
      expect(f.ip!.ttl).toBe(255)
      const ipOff = 14 + (f.ip!.family === 4 ? f.ip!.headerLength : 40)
      const payload = rec.data.subarray(ipOff, ipOff + f.vrrp!.length)
      expect(Buffer.from(encodeVrrp(f.vrrp!.packet!, f.ip!))).toEqual(Buffer.from(payload))
      n++
    })
    expect(n).toBe(165)
  })

  it('builds Ethernet frames that tcpdump decodes with good checksums', () => {
    const frames = [
      buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 51, priority: 200, intervalCs: 100, addresses: ['10.201.0.100'], auth: {type: 'simple', pass: 'pw'}}), src: '10.201.0.1'}),
      buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 52, priority: 100, intervalCs: 5, addresses: ['10.201.0.101']}), src: '10.201.0.1'}),
      buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 53, priority: 100, intervalCs: 100, addresses: ['fe80::53', 'fd00:201::53']}), src: 'fe80::1'}),
      buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 54, priority: 90, intervalCs: 100, addresses: ['10.201.0.102']}), src: '10.201.0.1', dst: '10.201.0.2', dstMac: '02:00:00:00:00:02'}),
    ]
    const dir = mkdtempSync(join(tmpdir(), 'halctl-frame-'))
    try {
      const file = join(dir, 'built.pcap')
      writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...frames.map((f, i) => pcapRecord(1700000000 + i, 0, f))]))
      const out = execFileSync('tcpdump', ['-r', file, '-n', '-v', '-e'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, TZ: 'UTC'}})
      expect(out).not.toMatch(/bad/)
      expect(out).toContain('00:00:5e:00:01:33 > 01:00:5e:00:00:12')
      expect(out).toContain('10.201.0.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 200, authtype simple, intvl 1s, length 20, addrs: 10.201.0.100 auth "pw')
      expect(out).toContain('VRRPv3, Advertisement, vrid 52, prio 100, intvl 5cs, length 12, addrs: 10.201.0.101')
      expect(out).toContain('00:00:5e:00:02:35 > 33:33:00:00:00:12')
      expect(out).toContain('fe80::1 > ff02::12: VRRPv3, Advertisement, vrid 53, prio 100, intvl 100cs, length 40, addrs(2): fe80::53,fd00:201::53')
      expect(out).toContain('10.201.0.1 > 10.201.0.2: VRRPv3, Advertisement, vrid 54')
      expect(out.match(/ttl 255|hlim 255/g)).toHaveLength(4)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    for (const fr of frames) {
      const f = parseFrame(fr, LinkType.ETHERNET)
      expect(f.kind).toBe('vrrp')
      expect(f.vrrp!.checksum).toBe('ok')
      expect(f.ip!.headerChecksumOk ?? true).toBe(true)
    }
  })

  it('reads SLL, SLL2, raw IP and VLAN-tagged frames and classifies the rest', () => {
    const ip = buildVrrpIpPacket({packet: makeAdvertisement({version: 2, vrid: 9, priority: 100, intervalCs: 100, addresses: ['10.0.0.9']}), src: '10.0.0.1'})
    const sll = Buffer.concat([Buffer.from([0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]), ip])
    const sll2 = Buffer.concat([Buffer.from([0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 2, 6, 2, 0, 0, 0, 0, 1, 0, 0]), ip])
    const eth = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 9, priority: 100, intervalCs: 100, addresses: ['10.0.0.9']}), src: '10.0.0.1'})
    const vlan = Buffer.concat([eth.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), eth.subarray(12)])
    expect(parseFrame(sll, LinkType.LINUX_SLL)).toMatchObject({kind: 'vrrp', srcMac: '02:00:00:00:00:01'})
    expect(parseFrame(sll2, LinkType.LINUX_SLL2)).toMatchObject({kind: 'vrrp', srcMac: '02:00:00:00:00:01'})
    expect(parseFrame(ip, LinkType.RAW).kind).toBe('vrrp')
    expect(parseFrame(vlan, LinkType.ETHERNET)).toMatchObject({kind: 'vrrp', vlan: 100})
    expect(parseFrame(ip, 9999).kind).toBe('unsupported-link')
    expect(parseFrame(eth.subarray(0, 20), LinkType.ETHERNET).kind).toBe('truncated')
    expect(parseFrame(eth.subarray(0, eth.length - 3), LinkType.ETHERNET).kind).toBe('truncated')
    const arp = Buffer.from(eth)
    arp[12] = 0x08
    arp[13] = 0x06
    expect(parseFrame(arp, LinkType.ETHERNET).kind).toBe('not-ip')
    const udp = Buffer.from(eth)
    udp[14 + 9] = 17
    expect(parseFrame(udp, LinkType.ETHERNET).kind).toBe('not-vrrp')
    const frag = Buffer.from(eth)
    frag[14 + 6] = 0x20
    expect(parseFrame(frag, LinkType.ETHERNET).kind).toBe('fragment')
    // Ethernet padding after the IP length is ignored
    expect(parseFrame(Buffer.concat([eth, Buffer.alloc(10)]), LinkType.ETHERNET).kind).toBe('vrrp')
    expect(virtualMac(4, 0x2a)).toBe('00:00:5e:00:01:2a')
    expect(multicastMac('ff02::12')).toBe('33:33:00:00:00:12')
    expect(() => buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 1, priority: 1, intervalCs: 100, addresses: ['10.0.0.9']}), src: '10.0.0.1', dst: '10.0.0.2'})).toThrow(/MAC/)
  })
})
