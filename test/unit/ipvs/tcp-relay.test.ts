import {createHash} from 'node:crypto'
import http from 'node:http'
import net, {type AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {emptyConfig, type RealServer, type VirtualServer} from '../../../src/keepalived/model.js'
import {createVirtualServerService, type VirtualServerService} from '../../../src/engine/ipvs/index.js'
import {VirtualServerPool} from '../../../src/engine/ipvs/pool.js'
import {loadLibuvTcp, type ShutdownReq, type TcpHandle} from '../../../src/engine/ipvs/proxy/libuv-tcp.js'
import {HandleTcpProxy} from '../../../src/engine/ipvs/proxy/tcp-handle-relay.js'
import {createTcpProxy, DEFAULT_TCP_PROXY_OPTIONS} from '../../../src/engine/ipvs/proxy/tcp-proxy.js'
import type {TcpProxyOptions} from '../../../src/engine/ipvs/proxy/tcp-options.js'
import {freePort} from '../../helpers/net.js'

/** The same behaviour from both TCP relays: libuv handles and net.Socket. */
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function listen(server: net.Server, host: string): Promise<number> {
  await new Promise<void>((r) => server.listen(0, host, r))
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
  return (server.address() as AddressInfo).port
}

const rsAt = (n: number, port: number): RealServer => ({ip: `127.0.0.${n}`, port, checkers: []})

async function serve(vs: VirtualServer, relay: TcpProxyOptions['relay']): Promise<VirtualServerService> {
  const svc = createVirtualServerService({...emptyConfig(), virtualServers: [vs]}, {healthChecks: false, runScript: () => {}, tcp: {relay}})
  cleanups.push(() => svc.stop())
  await svc.start()
  return svc
}

/** Connect, send `body` then FIN, collect everything until the server's FIN. */
function exchange(host: string, port: number, body: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({host, port, allowHalfOpen: true})
    const parts: Buffer[] = []
    c.on('data', (d) => parts.push(d))
    c.on('end', () => {
      c.end()
      resolve(Buffer.concat(parts))
    })
    c.on('error', reject)
    c.end(body)
  })
}

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms))

it('uses the libuv handle relay by default on this Node', () => {
  expect(loadLibuvTcp()).toBeDefined()
  const pool = new VirtualServerPool({address: '127.0.0.1', port: 1, realServers: []})
  const ctx = {pool, onRefused: () => {}, onBackendError: () => {}}
  expect(createTcpProxy({address: '127.0.0.1', port: 1}, ctx)).toBeInstanceOf(HandleTcpProxy)
  expect(createTcpProxy({address: '127.0.0.1', port: 1}, ctx, {...DEFAULT_TCP_PROXY_OPTIONS, relay: 'sockets'})).not.toBeInstanceOf(HandleTcpProxy)
})

describe.each(['handles', 'sockets'] as const)('TCP relay through %s', (relay) => {
  it('rr over HTTP backends: order, connection counters and bytes', async () => {
    const ports = await Promise.all(
      [2, 3, 4].map((n) => listen(http.createServer((_q, res) => res.end(`b${n}`)) as unknown as net.Server, `127.0.0.${n}`)),
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: ports.map((p, i) => rsAt(i + 2, p))}, relay)
    const got: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = (await exchange('127.0.0.16', port, 'GET / HTTP/1.0\r\n\r\n')).toString()
      got.push(res.slice(res.indexOf('\r\n\r\n') + 4))
    }
    expect(got).toEqual(['b2', 'b3', 'b4', 'b2', 'b3', 'b4'])
    await settle()
    for (const r of svc.status().virtualServers[0].realServers) {
      expect(r).toMatchObject({connections: 2, activeConns: 0, inactiveConns: 2})
      expect(r.bytesIn).toBe(2 * 'GET / HTTP/1.0\r\n\r\n'.length)
      expect(r.bytesOut).toBeGreaterThan(2 * 50)
    }
  })

  it('passes both half-closes through with a large upload and a large download, bytes intact', async () => {
    // answers with the sha256 of what it got followed by 8 MiB, after the client's FIN
    const big = Buffer.alloc(8 << 20, 7)
    const port0 = await listen(
      net.createServer({allowHalfOpen: true}, (s) => {
        const h = createHash('sha256')
        s.on('data', (d) => h.update(d))
        s.on('end', () => {
          s.write(h.digest('hex') + '\n')
          s.end(big)
        })
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const upload = Buffer.alloc(3 << 20, 1)
    const reply = await exchange('127.0.0.16', port, upload)
    expect(reply.subarray(0, 64).toString()).toBe(createHash('sha256').update(upload).digest('hex'))
    expect(reply.length).toBe(65 + big.length)
    await settle()
    const r = svc.status().virtualServers[0].realServers[0]
    expect(r).toMatchObject({connections: 1, activeConns: 0, inactiveConns: 1, bytesIn: upload.length, bytesOut: 65 + big.length})
  })

  it('a slow reader holds the server back instead of buffering everything (backpressure)', async () => {
    let written = 0
    let paused = false
    const port0 = await listen(
      net.createServer((s) => {
        const chunk = Buffer.alloc(64 << 10, 3)
        const pump = (): void => {
          while (written < 64 << 20) {
            written += chunk.length
            if (!s.write(chunk)) {
              paused = true
              s.once('drain', pump)
              return
            }
          }
          s.end()
        }
        pump()
        s.on('error', () => {})
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const c = net.connect({host: '127.0.0.16', port})
    cleanups.push(() => void c.destroy())
    c.pause()
    await settle(500)
    // socket buffers on the way hold a few MiB at most, far from the 64 MiB the server has
    expect(paused).toBe(true)
    expect(written).toBeLessThan(24 << 20)
    let got = 0
    c.on('data', (d) => (got += d.length))
    c.resume()
    await new Promise((r) => c.on('end', r))
    expect(got).toBe(64 << 20)
  })

  it('retries a refused server on the next one: no client sees the dead server', async () => {
    const live = await listen(net.createServer((s) => s.end('alive')), '127.0.0.3')
    const dead = await freePort('127.0.0.2')
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, dead), rsAt(3, live)]}, relay)
    for (let i = 0; i < 4; i++) expect((await exchange('127.0.0.16', port, '')).toString()).toBe('alive')
    await settle()
    const st = svc.status().virtualServers[0]
    // rr's repick moves the cursor to the live server, so the next pick is the dead one again
    expect(st.backendErrors).toBe(4)
    expect(st.realServers.map((r) => [r.connections, r.activeConns, r.inactiveConns])).toEqual([
      [4, 0, 0],
      [4, 0, 4],
    ])
  })

  it('a server reset resets the client; counted as closed after CLOSE', async () => {
    const port0 = await listen(
      net.createServer((s) => {
        s.once('data', () => s.resetAndDestroy())
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const err = await new Promise<string>((resolve) => {
      const c = net.connect({host: '127.0.0.16', port})
      c.on('connect', () => c.write('x'))
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
      c.on('close', () => resolve('closed'))
    })
    expect(err).toBe('ECONNRESET')
    await settle()
    expect(svc.status().virtualServers[0].realServers[0]).toMatchObject({connections: 1, activeConns: 0, inactiveConns: 1})
  })

  it('a server speaking first is relayed before the client sends anything', async () => {
    const port0 = await listen(
      net.createServer((s) => {
        s.write('220 ready\r\n')
        s.on('data', (d) => s.end(`got ${d}`))
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const c = net.connect({host: '127.0.0.16', port})
    cleanups.push(() => void c.destroy())
    const banner = await new Promise<string>((r) => c.once('data', (d) => r(d.toString())))
    expect(banner).toBe('220 ready\r\n')
    c.write('HELO')
    const rest = await new Promise<string>((r) => {
      let got = ''
      c.on('data', (d) => (got += d))
      c.on('end', () => r(got))
    })
    expect(rest).toBe('got HELO')
  })

  it('server FIN first: the client is half-closed and can still send, then both close without a reset', async () => {
    let afterFin = ''
    let serverClosed: Promise<boolean> = Promise.resolve(true)
    const port0 = await listen(
      net.createServer({allowHalfOpen: true}, (s) => {
        serverClosed = new Promise((r) => s.on('close', r))
        s.end('bye')
        s.on('data', (d) => (afterFin += d))
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const c = net.connect({host: '127.0.0.16', port, allowHalfOpen: true})
    let got = ''
    c.on('data', (d) => (got += d))
    // the server's FIN reaches the client, which then still sends
    await new Promise((r) => c.once('end', r))
    c.end('more after your FIN')
    const clientHadError = await new Promise<boolean>((r) => c.once('close', r))
    expect(await serverClosed).toBe(false)
    expect(clientHadError).toBe(false)
    expect(got).toBe('bye')
    expect(afterFin).toBe('more after your FIN')
    await settle()
    expect(svc.status().virtualServers[0].realServers[0]).toMatchObject({connections: 1, activeConns: 0, inactiveConns: 1, bytesIn: 19, bytesOut: 3})
  })

  it('counts a live connection active, inactive after the first FIN, and its bytes while open', async () => {
    const port0 = await listen(
      net.createServer({allowHalfOpen: true}, (s) => {
        s.on('data', (d) => s.write(d))
        s.on('end', () => setTimeout(() => s.end(), 200))
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, relay)
    const c = net.connect({host: '127.0.0.16', port, allowHalfOpen: true})
    cleanups.push(() => void c.destroy())
    c.write('hello')
    await new Promise((r) => c.once('data', r))
    const rs = () => svc.status().virtualServers[0].realServers[0]
    expect(rs()).toMatchObject({activeConns: 1, inactiveConns: 0, bytesIn: 5, bytesOut: 5})
    c.end()
    await settle(100)
    expect(rs()).toMatchObject({activeConns: 0, inactiveConns: 1})
    await new Promise((r) => c.once('end', r))
    await settle()
    expect(rs()).toMatchObject({activeConns: 0, inactiveConns: 1, bytesIn: 5, bytesOut: 5})
  })
})

describe('TCP relay through handles: closing', () => {
  /** Count the shutdown(2)s the handle relay has libuv make while `fn` runs (requests cancelled by a close() complete with an error). */
  async function countShutdowns(fn: () => Promise<void>): Promise<number> {
    const uv = loadLibuvTcp()!
    const real = uv.newShutdownReq
    let n = 0
    uv.newShutdownReq = () => {
      const req = real()
      let oncomplete: ShutdownReq['oncomplete'] = () => {}
      Object.defineProperty(req, 'oncomplete', {
        set: (f: ShutdownReq['oncomplete']) => void (oncomplete = f),
        get: () =>
          function (this: ShutdownReq, status: number, handle: TcpHandle) {
            if (status === 0) n++
            oncomplete.call(this, status, handle)
          },
      })
      return req
    }
    try {
      await fn()
    } finally {
      uv.newShutdownReq = real
    }
    return n
  }

  it('both FINs in one event-loop pass: both sides closed by close(), no shutdown', async () => {
    let server: net.Socket | undefined
    let serverGot = ''
    const port0 = await listen(
      net.createServer({allowHalfOpen: true}, (s) => {
        server = s
        s.on('data', (d) => {
          serverGot += d
          s.write('pong')
        })
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    const svc = await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, 'handles')
    const shutdowns = await countShutdowns(async () => {
      const c = net.connect({host: '127.0.0.16', port, allowHalfOpen: true})
      c.write('ping')
      await new Promise((r) => c.once('data', r))
      const closed = [c, server!].map((s) => new Promise<boolean>((r) => s.once('close', r)))
      const ended = [c, server!].map((s) => new Promise((r) => s.once('end', r)))
      // both FINs leave in this pass: the relay sees them in the same poll
      c.end()
      server!.end()
      await Promise.all(ended)
      expect(await Promise.all(closed)).toEqual([false, false])
    })
    expect(shutdowns).toBe(0)
    expect(serverGot).toBe('ping')
    await settle()
    expect(svc.status().virtualServers[0].realServers[0]).toMatchObject({connections: 1, activeConns: 0, inactiveConns: 1, bytesIn: 4, bytesOut: 4})
  })

  it('FINs in different passes: the first one is passed on by a shutdown', async () => {
    const port0 = await listen(
      net.createServer({allowHalfOpen: true}, (s) => {
        s.resume()
        s.on('end', () => setTimeout(() => s.end(), 50))
      }),
      '127.0.0.2',
    )
    const port = await freePort('127.0.0.16')
    await serve({address: '127.0.0.16', port, lbAlgo: 'rr', realServers: [rsAt(2, port0)]}, 'handles')
    const shutdowns = await countShutdowns(async () => {
      expect((await exchange('127.0.0.16', port, 'x')).length).toBe(0)
    })
    expect(shutdowns).toBe(1)
  })
})
