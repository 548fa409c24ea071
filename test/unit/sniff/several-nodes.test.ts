import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {mergedSource, remoteSource} from '../../../src/capture/sources.js'
import type {ExecResult, RemoteHost, SshTarget, StreamHandle, Transport} from '../../../src/remote/types.js'
import {CaptureCopies} from '../../../src/sniff/duplicates.js'
import {connectSpecNodes} from '../../../src/sniff/remote-node.js'
import {runSniff} from '../../../src/sniff/service.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'

const SPEC = 'examples/active-passive.yaml'

/** A node whose tcpdump streams `bytes` in chunks, then ends with status 0. */
function node(name: string, bytes: Buffer): RemoteHost {
  return {
    name,
    isRoot: true,
    async stream(_argv: string[], onStdout: (c: Buffer) => void): Promise<StreamHandle> {
      const done = new Promise<ExecResult>((resolve) =>
        setImmediate(() => {
          for (let o = 0; o < bytes.length; o += 500) onStdout(bytes.subarray(o, o + 500))
          resolve({stdout: '', stderr: '', code: 0})
        }),
      )
      return {done, stop: async () => undefined}
    },
  } as unknown as RemoteHost
}

describe('sniff --node A --node B', () => {
  it('captures on every node at once: each packet names its node, a packet two nodes saw counts once', async () => {
    const bytes = readFileSync(REFERENCE_PCAP)
    const chunks: Buffer[] = []
    const summary = await runSniff({
      source: mergedSource([remoteSource(node('lb1', bytes), 'eth0'), remoteSource(node('lb2', bytes), 'eth0')]),
      output: 'json',
      write: (c) => void chunks.push(Buffer.from(c)),
    })
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as {type: string; interface: string})
    const packets = lines.filter((l) => l.type === 'packet')
    // the same 165 adverts reached both captures: 165 packets, 165 copies dropped
    expect(summary).toMatchObject({source: 'lb1:eth0,lb2:eth0', packets: 165, duplicates: 165})
    expect(packets).toHaveLength(165)
    expect(new Set(packets.map((p) => p.interface))).toEqual(new Set(['lb1:eth0']))
    // one network seen through both captures: its VRID once, not once per node
    expect(summary.vrids.map((v) => `${v.interface} ${v.vrid}`)).toEqual([42, 43, 44, 45, 46].map((vrid) => `lb1:eth0,lb2:eth0 ${vrid}`))
  })

  it('--format tcpdump: each line starts with the node and interface it was captured on', async () => {
    const bytes = readFileSync(REFERENCE_PCAP)
    const chunks: Buffer[] = []
    const one = await runSniff({source: remoteSource(node('lb1', bytes), 'eth0'), output: 'tcpdump', write: (c) => void chunks.push(Buffer.from(c))})
    const single = Buffer.concat(chunks.splice(0)).toString('utf8').trim().split('\n')
    const both = await runSniff({source: mergedSource([remoteSource(node('lb1', bytes), 'eth0'), remoteSource(node('lb2', Buffer.alloc(0)), 'eth0')]), output: 'tcpdump', write: (c) => void chunks.push(Buffer.from(c))})
    const merged = Buffer.concat(chunks).toString('utf8').trim().split('\n')
    expect(one.duplicates).toBe(0)
    expect(both.packets).toBe(165)
    expect(merged).toEqual(single.map((l) => `lb1:eth0 ${l}`))
  })

  it('a capture that fails stops the others and its error is the result', async () => {
    const broken = {
      name: 'lb2',
      isRoot: true,
      async stream(): Promise<StreamHandle> {
        return {done: Promise.resolve({stdout: '', stderr: 'tcpdump: eth9: No such device exists', code: 1}), stop: async () => undefined}
      },
    } as unknown as RemoteHost
    let stopped = false
    const forever = {
      name: 'lb1',
      isRoot: true,
      async stream(): Promise<StreamHandle> {
        let finish: (r: ExecResult) => void = () => undefined
        return {done: new Promise<ExecResult>((r) => (finish = r)), stop: async () => void ((stopped = true), finish({stdout: '', stderr: '', code: -1}))}
      },
    } as unknown as RemoteHost
    await expect(runSniff({source: mergedSource([remoteSource(forever, 'eth0'), remoteSource(broken, 'eth9')]), output: 'none', write: () => undefined})).rejects.toThrow(
      /tcpdump on lb2 ended with status 1/,
    )
    expect(stopped).toBe(true)
  })

  it('copies: only from another capture, one per capture, within the window', () => {
    const c = new CaptureCopies(100)
    expect(c.isCopy('a', 'lb1', 0)).toBe(false)
    // the same bytes again from the same capture: a new packet (an advert repeated as is)
    expect(c.isCopy('a', 'lb1', 10)).toBe(false)
    expect(c.isCopy('a', 'lb2', 20)).toBe(true)
    expect(c.isCopy('a', 'lb2', 30)).toBe(true)
    // both sightings of lb1 are matched by lb2 now: a third is a packet of its own
    expect(c.isCopy('a', 'lb2', 40)).toBe(false)
    expect(c.isCopy('a', 'lb3', 45)).toBe(true)
    // outside the window nothing matches
    expect(c.isCopy('b', 'lb1', 1000)).toBe(false)
    expect(c.isCopy('b', 'lb2', 1101)).toBe(false)
  })

  it('connects to every named node once; an unknown name is refused before any connection; a failed connection closes the others', async () => {
    process.env.HAL_VRRP_PASS ??= 'testpass'
    const seen: SshTarget[] = []
    const closed: string[] = []
    const transport = (failOn?: string): Transport => ({
      async connect(t) {
        if (t.name === failOn) throw new Error(`cannot reach ${t.name}`)
        seen.push(t)
        return {name: t.name, isRoot: true, close: async () => void closed.push(t.name)} as unknown as RemoteHost
      },
    })
    const {captures, close} = await connectSpecNodes(SPEC, ['lb1', 'lb2', 'lb1'], undefined, transport())
    expect(captures.map((c) => [c.host.name, c.iface])).toEqual([
      ['lb1', 'eth0'],
      ['lb2', 'eth0'],
    ])
    await close()
    expect(closed).toEqual(['lb1', 'lb2'])
    seen.length = 0
    await expect(connectSpecNodes(SPEC, ['lb1', 'lb9'], undefined, transport())).rejects.toMatchObject({code: 'SNIFF_UNKNOWN_NODE', hint: 'nodes in this spec: lb1, lb2'})
    expect(seen).toEqual([])
    closed.length = 0
    await expect(connectSpecNodes(SPEC, ['lb1', 'lb2'], undefined, transport('lb2'))).rejects.toThrow('cannot reach lb2')
    expect(closed).toEqual(['lb1'])
  })
})
