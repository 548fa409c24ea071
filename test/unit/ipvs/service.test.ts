import dgram from 'node:dgram'
import http from 'node:http'
import net, {type AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {emptyConfig, type KeepalivedConfig, type RealServer, type VirtualServer} from '../../../src/keepalived/model.js'
import {createVirtualServerService, type IpvsEvent, type VirtualServerService} from '../../../src/engine/ipvs/index.js'
import {freePort} from '../../helpers/net.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** An HTTP backend on 127.0.0.N answering its own name. */
async function backend(n: number): Promise<{port: number; hits: () => number; server: http.Server}> {
  let hits = 0
  const server = http.createServer((_req, res) => {
    hits++
    res.end(`b${n}`)
  })
  await new Promise<void>((r) => server.listen(0, `127.0.0.${n}`, r))
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
  return {port: (server.address() as AddressInfo).port, hits: () => hits, server}
}

function get(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({host, port, path, agent: false, headers: {connection: 'close'}}, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve(body))
      })
      .on('error', reject)
  })
}

async function serve(config: KeepalivedConfig, events: IpvsEvent[] = []): Promise<VirtualServerService> {
  const svc = createVirtualServerService(config, {onEvent: (e) => events.push(e), healthChecks: false, runScript: () => {}})
  cleanups.push(() => svc.stop())
  await svc.start()
  return svc
}

const rsAt = (n: number, port: number, extra: Partial<RealServer> = {}): RealServer => ({ip: `127.0.0.${n}`, port, checkers: [], ...extra})

describe('virtual server service on loopback', () => {
  it('proxies TCP with rr, counts per real server and renders an ipvsadm-like table', async () => {
    const bs = await Promise.all([2, 3, 4].map(backend))
    const port = await freePort('127.0.0.10')
    const vs: VirtualServer = {address: '127.0.0.10', port, lbAlgo: 'rr', lbKind: 'DR', realServers: bs.map((b, i) => rsAt(i + 2, b.port))}
    const svc = await serve({...emptyConfig(), virtualServers: [vs]})
    const bodies: string[] = []
    for (let i = 0; i < 9; i++) bodies.push(await get('127.0.0.10', port))
    expect(bodies.join(' ')).toBe('b2 b3 b4 b2 b3 b4 b2 b3 b4')
    await new Promise((r) => setTimeout(r, 50))
    const st = svc.status()
    expect(st.virtualServers[0]).toMatchObject({id: `TCP 127.0.0.10:${port}`, scheduler: 'rr', lbKind: 'DR', listening: true, active: true, vrrpInstances: []})
    expect(st.virtualServers[0].notes[0]).toMatch(/userspace always proxies/)
    for (const r of st.virtualServers[0].realServers) {
      // closed connections stay inactive for TIME_WAIT, as in ipvsadm -Ln
      expect(r).toMatchObject({connections: 3, activeConns: 0, inactiveConns: 3, inTable: true, weight: 1})
      expect(r.bytesIn).toBeGreaterThan(0)
      expect(r.bytesOut).toBeGreaterThan(r.bytesIn / 10)
    }
    const table = svc.renderTable()
    expect(table).toContain(`TCP  127.0.0.10:${port} rr`)
    expect(table).toMatch(new RegExp(`  -> 127\\.0\\.0\\.2:${bs[0].port} +Route +1 +0 +3`))
    expect(svc.renderTable({stats: true})).toMatch(new RegExp(`TCP  127\\.0\\.0\\.10:${port} +9 `))
  })

  it('listens for a VRRP-managed VIP only while told it is master', async () => {
    const b = await backend(2)
    const port = await freePort('127.0.0.11')
    const config: KeepalivedConfig = {
      ...emptyConfig(),
      instances: [{name: 'VI_1', interface: 'lo', virtualRouterId: 51, virtualIpaddress: [{address: '127.0.0.11/8'}]}],
      virtualServers: [{address: '127.0.0.11', port, lbAlgo: 'wlc', realServers: [rsAt(2, b.port)]}],
    }
    const svc = await serve(config)
    expect(svc.status().virtualServers[0]).toMatchObject({vrrpInstances: ['VI_1'], active: false, listening: false})
    await expect(get('127.0.0.11', port)).rejects.toThrow(/ECONNREFUSED/)
    await svc.setActive('VI_1', true)
    expect(await get('127.0.0.11', port)).toBe('b2')
    await svc.setActive('127.0.0.11', false)
    expect(svc.status().virtualServers[0].listening).toBe(false)
    await expect(get('127.0.0.11', port)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('reload adds and removes real servers without dropping a live connection', async () => {
    const [b2, b3] = await Promise.all([backend(2), backend(3)])
    // a raw TCP echo backend to hold a long connection on
    const echo = net.createServer((s) => s.pipe(s))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.4', r))
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())))
    const echoPort = (echo.address() as AddressInfo).port
    const port = await freePort('127.0.0.12')
    const base: VirtualServer = {address: '127.0.0.12', port, lbAlgo: 'rr', realServers: [rsAt(4, echoPort)]}
    const svc = await serve({...emptyConfig(), virtualServers: [base]})
    const live = net.connect({host: '127.0.0.12', port})
    cleanups.push(() => void live.destroy())
    await new Promise((r) => live.once('connect', r))
    const echoOnce = (msg: string) =>
      new Promise<string>((resolve) => {
        live.once('data', (d) => resolve(d.toString()))
        live.write(msg)
      })
    expect(await echoOnce('one')).toBe('one')
    await svc.reload({...emptyConfig(), virtualServers: [{...base, realServers: [rsAt(2, b2.port), rsAt(3, b3.port)]}]})
    expect(await echoOnce('two')).toBe('two')
    const gone = svc.status().virtualServers[0].realServers.find((r) => r.port === echoPort)!
    expect(gone).toMatchObject({draining: true, inTable: false, activeConns: 1})
    expect([await get('127.0.0.12', port), await get('127.0.0.12', port)].sort()).toEqual(['b2', 'b3'])
    live.end()
    await new Promise((r) => live.once('close', r))
    await new Promise((r) => setTimeout(r, 50))
    expect(svc.status().virtualServers[0].realServers.map((r) => r.port).sort()).toEqual([b2.port, b3.port].sort())
  })

  it('proxies UDP per client flow and ends idle flows', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address))
    await new Promise<void>((r) => echo.bind(0, '127.0.0.2', r))
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())))
    const port = await freePort('127.0.0.13')
    const vs: VirtualServer = {address: '127.0.0.13', port, protocol: 'UDP', lbAlgo: 'rr', realServers: [rsAt(2, echo.address().port)]}
    const svc = createVirtualServerService({...emptyConfig(), virtualServers: [vs]}, {healthChecks: false, udpIdleTimeoutMs: 200})
    cleanups.push(() => svc.stop())
    await svc.start()
    const client = dgram.createSocket('udp4')
    cleanups.push(() => void client.close())
    const reply = new Promise<string>((r) => client.once('message', (m) => r(m.toString())))
    client.send('ping', port, '127.0.0.13')
    expect(await reply).toBe('echo:ping')
    expect(svc.status().virtualServers[0].realServers[0]).toMatchObject({inactiveConns: 1, activeConns: 0, connections: 1, bytesIn: 4, bytesOut: 9})
    await new Promise((r) => setTimeout(r, 600))
    expect(svc.status().virtualServers[0].realServers[0]).toMatchObject({inactiveConns: 0, bytesIn: 4, bytesOut: 9})
  })

  it('skips fwmark and group virtual servers with a reason', async () => {
    const svc = await serve({...emptyConfig(), virtualServers: [{fwmark: 7, realServers: []}, {group: 'web', realServers: []}]})
    expect(svc.status().skipped.map((s) => s.id)).toEqual(['fwmark 7', 'group web'])
  })
})

describe('status JSON shape', () => {
  it('is stable: one virtual server with a sorry server and checkers, before any traffic', async () => {
    const port = await freePort('127.0.0.14')
    const vs: VirtualServer = {
      address: '127.0.0.14',
      port,
      lbAlgo: 'lblc',
      persistenceTimeout: 60,
      quorum: 2,
      sorryServer: {ip: '127.0.0.9', port: 81},
      realServers: [rsAt(2, 80, {weight: 2, checkers: [{type: 'TCP_CHECK', warmup: 0}]})],
    }
    const svc = createVirtualServerService({...emptyConfig(), virtualServers: [vs]}, {runScript: () => {}})
    expect(svc.status()).toEqual({
      skipped: [],
      virtualServers: [
        {
          id: `TCP 127.0.0.14:${port}`,
          protocol: 'TCP',
          address: '127.0.0.14',
          port,
          scheduler: 'wlc',
          lbKind: 'NAT',
          persistenceTimeout: 60,
          vrrpInstances: [],
          active: true,
          listening: false,
          quorum: {up: true, liveWeight: 2, quorum: 2, hysteresis: 0},
          sorryServerActive: false,
          refused: 0,
          backendErrors: 0,
          notes: [
            'lb_kind NAT: userspace always proxies; real servers see connections from this host, not from the client',
            'lb_algo lblc is not implemented in userspace; using wlc',
          ],
          realServers: [
            {
              ip: '127.0.0.2',
              port: 80,
              role: 'real',
              weight: 2,
              configuredWeight: 2,
              inTable: true,
              healthy: true,
              draining: false,
              activeConns: 0,
              inactiveConns: 0,
              connections: 0,
              bytesIn: 0,
              bytesOut: 0,
              checkers: [{type: 'TCP_CHECK', up: true, checks: 0, failures: 0}],
            },
            {
              ip: '127.0.0.9',
              port: 81,
              role: 'sorry',
              weight: 0,
              configuredWeight: 1,
              inTable: false,
              healthy: true,
              draining: false,
              activeConns: 0,
              inactiveConns: 0,
              connections: 0,
              bytesIn: 0,
              bytesOut: 0,
              checkers: [],
            },
          ],
        },
      ],
    })
  })
})

describe('IPv6', () => {
  it('proxies an IPv6 virtual server and hashes IPv6 clients (sh)', async () => {
    const got: string[] = []
    const server = http.createServer((_q, res) => res.end('v6'))
    await new Promise<void>((r) => server.listen(0, '::1', r))
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
    const port = await freePort('::1')
    const vs: VirtualServer = {address: '::1', port, lbAlgo: 'sh', realServers: [{ip: '::1', port: (server.address() as AddressInfo).port, checkers: []}]}
    const svc = await serve({...emptyConfig(), virtualServers: [vs]})
    for (let i = 0; i < 3; i++) got.push(await get('::1', port))
    expect(got).toEqual(['v6', 'v6', 'v6'])
    expect(svc.status().virtualServers[0].id).toBe(`TCP [::1]:${port}`)
    expect(svc.renderTable()).toContain(`TCP  [::1]:${port} sh`)
  })
})

describe('TCP relay', () => {
  it('passes a client half-close through and still delivers the reply', async () => {
    // a backend that answers only once the client has finished sending
    const backendSrv = net.createServer({allowHalfOpen: true}, (s) => {
      let got = ''
      s.on('data', (d) => (got += d))
      s.on('end', () => s.end(`got ${got.length} bytes`))
    })
    await new Promise<void>((r) => backendSrv.listen(0, '127.0.0.2', r))
    cleanups.push(() => new Promise<void>((r) => backendSrv.close(() => r())))
    const port = await freePort('127.0.0.15')
    await serve({...emptyConfig(), virtualServers: [{address: '127.0.0.15', port, lbAlgo: 'rr', realServers: [rsAt(2, (backendSrv.address() as AddressInfo).port)]}]})
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect({host: '127.0.0.15', port, allowHalfOpen: true})
      let buf = ''
      c.on('data', (d) => (buf += d))
      c.on('end', () => resolve(buf))
      c.on('error', reject)
      c.end(Buffer.alloc(300_000, 1))
    })
    expect(reply).toBe('got 300000 bytes')
  })
})

describe('scripts', () => {
  it('omega: stop runs notify_down for servers that are up and quorum_down', async () => {
    const ran: string[] = []
    const port = await freePort('127.0.0.16')
    const vs: VirtualServer = {
      address: '127.0.0.16',
      port,
      omega: true,
      quorumDown: '/bin/qdown',
      realServers: [rsAt(2, 80, {notifyDown: '/bin/down 2'}), rsAt(3, 80, {notifyDown: '/bin/down 3'})],
    }
    const svc = createVirtualServerService({...emptyConfig(), virtualServers: [vs]}, {healthChecks: false, runScript: (c) => ran.push(c)})
    await svc.start()
    await svc.stop()
    expect(ran).toEqual(['/bin/down 2', '/bin/down 3', '/bin/qdown'])
  })
})
