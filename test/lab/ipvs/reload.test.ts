import {writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {nginxBackend, randomPortBase, request, scratch, sleep, startIpvs, waitFor, type IpvsProcess, type Nginx} from './harness.js'

/**
 * SIGHUP with a changed real server list while clients are connecting: the
 * new server takes traffic, the removed one gets no new connections, a
 * connection held open to the removed one keeps working, and no request fails.
 */
const VIP = '127.0.0.22'
const base = randomPortBase()
const VPORT = base + 1
const sc = scratch('hip-ipvs-reload-')
const conf = join(sc.dir, 'keepalived.conf')
let backends: Nginx[] = []
let ipvs: IpvsProcess | undefined

const write = (ips: string[]): void =>
  writeFileSync(
    conf,
    `virtual_server ${VIP} ${VPORT} {
    delay_loop 1
    lb_algo rr
    protocol TCP
${ips.map((ip) => `    real_server ${ip} ${base} {\n        TCP_CHECK {\n            connect_timeout 1\n            warmup 0\n        }\n    }`).join('\n')}
}
`,
  )

beforeAll(async () => {
  backends = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => nginxBackend(sc.dir, `b${ip.split('.')[3]}`, ip, base))
  await Promise.all(backends.map((b) => b.start()))
  write(['127.0.0.2', '127.0.0.3'])
  ipvs = await startIpvs(conf, base + 9)
})

afterAll(async () => {
  await ipvs?.stop()
  await Promise.all(backends.map((b) => b.stop()))
  sc.cleanup()
})

describe('graceful reload', () => {
  it('swaps real servers under load without failing a request or dropping a live connection', async () => {
    // a keep-alive connection that lands on b2 (rr: first in list)
    const held = net.connect({host: VIP, port: VPORT})
    const ask = () =>
      new Promise<string>((resolve) => {
        let buf = ''
        const on = (d: Buffer) => {
          buf += d.toString()
          const m = /\r\n\r\n(b\d)\n/.exec(buf)
          if (m) {
            held.off('data', on)
            resolve(m[1])
          }
        }
        held.on('data', on)
        held.write(`GET / HTTP/1.1\r\nHost: ${VIP}\r\n\r\n`)
      })
    try {
      expect(await ask()).toBe('b2')
      let running = true
      const samples: {ok: boolean; body: string; at: number}[] = []
      const loops = Array.from({length: 6}, async () => {
        while (running) {
          const at = Date.now()
          samples.push({...(await request(VIP, VPORT)), at})
        }
      })
      await sleep(500)
      write(['127.0.0.3', '127.0.0.4'])
      const reloadAt = Date.now()
      ipvs!.reload()
      const applied = await waitFor(async () => {
        const rs = (await ipvs!.status()).virtualServers[0].realServers
        return rs.some((r) => r.ip === '127.0.0.4' && r.inTable) && rs.every((r) => r.ip !== '127.0.0.2' || !r.inTable)
      }, 5000)
      expect(applied).toBeDefined()
      const appliedAt = Date.now()
      await sleep(800)
      running = false
      await Promise.all(loops)
      // the held connection still answers from b2, which is out of the table and draining
      expect(await ask()).toBe('b2')
      const st = (await ipvs!.status()).virtualServers[0]
      expect(st.realServers.find((r) => r.ip === '127.0.0.2')).toMatchObject({draining: true, inTable: false, activeConns: 1})
      const failed = samples.filter((s) => !s.ok)
      const after = samples.filter((s) => s.at > appliedAt)
      console.log('reload under load:', JSON.stringify({requests: samples.length, failed: failed.length, appliedAfterMs: appliedAt - reloadAt, afterReload: after.length}))
      expect(failed).toEqual([])
      expect(new Set(after.map((s) => s.body))).toEqual(new Set(['b3', 'b4']))
      expect(await ipvs!.table()).not.toContain(`127.0.0.2:${base}`)
    } finally {
      held.destroy()
    }
  })
})
