import {writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {buildSourceHashTable, sourceHashBucket} from '../../../src/engine/ipvs/schedulers/hashing.js'
import {buildMaglevTable, maglevSlot} from '../../../src/engine/ipvs/schedulers/maglev.js'
import type {SchedDest} from '../../../src/engine/ipvs/schedulers/types.js'
import {nginxBackend, randomPortBase, request, scratch, startIpvs, type IpvsProcess, type Nginx} from './harness.js'

/**
 * Each scheduler behind the userspace proxy, three Debian nginx backends on
 * loopback, hits counted per backend and compared with what IPVS gives:
 * exact sequences for rr/wrr, least-connection by active/inactive counts,
 * and for sh/mh the bucket each client address falls in.
 */
const VIP = '127.0.0.20'
const base = randomPortBase()
const BACKENDS = ['127.0.0.2', '127.0.0.3', '127.0.0.4']
const ports = {rr: base + 1, wrr: base + 2, lc: base + 3, wlc: base + 4, sh: base + 5, mh: base + 6}
const weights: Record<keyof typeof ports, number[]> = {rr: [1, 1, 1], wrr: [3, 2, 1], lc: [1, 1, 1], wlc: [1, 2, 3], sh: [1, 1, 2], mh: [1, 1, 2]}

const sc = scratch('hip-ipvs-dist-')
let backends: Nginx[] = []
let ipvs: IpvsProcess | undefined
const name = (ip: string) => `b${ip.split('.')[3]}`

beforeAll(async () => {
  backends = BACKENDS.map((ip) => nginxBackend(sc.dir, name(ip), ip, base))
  await Promise.all(backends.map((b) => b.start()))
  const blocks = Object.entries(ports).map(
    ([algo, port]) => `virtual_server ${VIP} ${port} {
    lb_algo ${algo}
    lb_kind NAT
    protocol TCP
${BACKENDS.map(
  (ip, i) => `    real_server ${ip} ${base} {
        weight ${weights[algo as keyof typeof ports][i]}
    }`,
).join('\n')}
}`,
  )
  const conf = join(sc.dir, 'keepalived.conf')
  writeFileSync(conf, blocks.join('\n') + '\n')
  ipvs = await startIpvs(conf, base + 9)
})

afterAll(async () => {
  await ipvs?.stop()
  await Promise.all(backends.map((b) => b.stop()))
  sc.cleanup()
})

async function sequential(port: number, count: number, from?: (i: number) => string): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const r = await request(VIP, port, from?.(i))
    expect(r.ok, r.body).toBe(true)
    out.push(r.body)
  }
  return out
}

const tally = (xs: string[]): Record<string, number> => xs.reduce<Record<string, number>>((m, x) => ({...m, [x]: (m[x] ?? 0) + 1}), {})

const dests = (algo: keyof typeof ports): SchedDest[] =>
  BACKENDS.map((ip, i) => ({key: `${ip}:${base}`, ip, port: base, weight: weights[algo][i], lastWeight: weights[algo][i], activeConns: 0, inactiveConns: 0}))

describe('scheduler distribution with real backends', () => {
  it('rr: strict rotation in list order', async () => {
    const got = await sequential(ports.rr, 300)
    expect(got.slice(0, 6)).toEqual(['b2', 'b3', 'b4', 'b2', 'b3', 'b4'])
    expect(tally(got)).toEqual({b2: 100, b3: 100, b4: 100})
  })

  it('wrr 3:2:1: the kernel interleave (cw 3: A; 2: A B; 1: A B C)', async () => {
    const got = await sequential(ports.wrr, 600)
    expect(got.slice(0, 6)).toEqual(['b2', 'b2', 'b3', 'b2', 'b3', 'b4'])
    expect(tally(got)).toEqual({b2: 300, b3: 200, b4: 100})
  })

  it('lc: short connections spread evenly (closed ones count as inactive, as IPVS TIME_WAIT)', async () => {
    const got = await sequential(ports.lc, 300)
    expect(got.slice(0, 3)).toEqual(['b2', 'b3', 'b4'])
    expect(tally(got)).toEqual({b2: 100, b3: 100, b4: 100})
    const table = await ipvs!.table()
    expect(table).toMatch(new RegExp(`-> 127\\.0\\.0\\.2:${base} +Masq +1 +0 +100`))
  })

  it('wlc 1:2:3: held connections split by weight (active * 256 dominates)', async () => {
    const held: net.Socket[] = []
    const got: string[] = []
    try {
      for (let i = 0; i < 30; i++) {
        const s = net.connect({host: VIP, port: ports.wlc})
        held.push(s)
        const body = await new Promise<string>((resolve, reject) => {
          let buf = ''
          s.on('data', (d) => {
            buf += d.toString()
            const m = /\r\n\r\n(b\d)\n/.exec(buf)
            if (m) resolve(m[1])
          })
          s.once('error', reject)
          s.write(`GET / HTTP/1.1\r\nHost: ${VIP}\r\n\r\n`)
        })
        got.push(body)
      }
      expect(tally(got)).toEqual({b2: 5, b3: 10, b4: 15})
      const st = await ipvs!.status()
      const vs = st.virtualServers.find((v) => v.port === ports.wlc)!
      expect(vs.realServers.map((r) => r.activeConns)).toEqual([5, 10, 15])
    } finally {
      for (const s of held) s.destroy()
    }
  })

  for (const algo of ['sh', 'mh'] as const) {
    it(`${algo}: every client address sticks to the server its ${algo === 'sh' ? 'bucket' : 'Maglev slot'} names`, async () => {
      const clients = Array.from({length: 60}, (_, i) => `127.0.1.${i + 1}`)
      const expected =
        algo === 'sh'
          ? (() => {
              const t = buildSourceHashTable(dests('sh'))
              return clients.map((c) => name(t[sourceHashBucket(c)]!.split(':')[0]))
            })()
          : (() => {
              const t = buildMaglevTable(dests('mh'))
              return clients.map((c) => name(t[maglevSlot(c)]!.split(':')[0]))
            })()
      const got = await sequential(ports[algo], clients.length * 3, (i) => clients[i % clients.length])
      expect(got).toEqual([...expected, ...expected, ...expected])
      const t = tally(expected)
      // every backend gets clients; the weight-2 backend the most
      expect(Object.keys(t).sort()).toEqual(['b2', 'b3', 'b4'])
      console.log(`${algo} 60 clients x3 requests -> ${JSON.stringify(tally(got))}`)
    })
  }

  it('the status endpoint shows every virtual server with per-server counters', async () => {
    const st = await ipvs!.status()
    expect(st.virtualServers.map((v) => v.scheduler)).toEqual(['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh'])
    const rr = st.virtualServers[0]
    expect(rr.realServers.map((r) => r.connections)).toEqual([100, 100, 100])
    expect(rr.realServers.every((r) => r.bytesIn > 0 && r.bytesOut > 0)).toBe(true)
  })
})
