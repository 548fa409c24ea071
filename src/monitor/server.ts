/**
 * The HTTP listener of `halctl monitor`: GET /metrics (Prometheus text format), GET / (the live
 * page), GET /events (server-sent events: a `state` message on connect and on every push),
 * GET /api/state (the same state as JSON), GET /healthz.
 *
 * Exports: `parseListen(text)`, `startServer(opts) -> {address, push(), close()}`.
 */
import {createServer, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface Listen {
  host: string
  port: number
}

/** "127.0.0.1:9650", "[::1]:9650", ":9650" (all addresses), "9650" */
export function parseListen(text: string): Listen {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65535) {
    throw new HalError('BAD_FLAG', `--listen ${text}: not HOST:PORT`, {hint: 'e.g. --listen 127.0.0.1:9650, --listen [::1]:9650 or --listen :9650 (all addresses)', exitCode: ExitCode.BadInput})
  }
  return {host: m[1] || m[2] || '::', port}
}

export interface ServerOptions {
  listen: Listen
  metrics(): Promise<{body: string; contentType: string}>
  state(): unknown
  page: string
}

export interface MonitorServer {
  /** host:port it listens on (the port chosen when 0 was asked) */
  address: string
  port: number
  /** send the current state to every page connected */
  push(): void
  clients(): number
  close(): Promise<void>
}

export async function startServer(opts: ServerOptions): Promise<MonitorServer> {
  const clients = new Set<ServerResponse>()
  const send = (res: ServerResponse, data: string) => res.write(`event: state\ndata: ${data}\n\n`)
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET'}).end()
      return
    }
    if (path === '/metrics') {
      opts.metrics().then(
        (m) => res.writeHead(200, {'content-type': m.contentType}).end(m.body),
        (e) => res.writeHead(500, {'content-type': 'text/plain'}).end(`metrics failed: ${(e as Error).message}\n`),
      )
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, {'content-type': 'text/html; charset=utf-8'}).end(opts.page)
    } else if (path === '/events') {
      res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
      res.write('retry: 1000\n\n')
      send(res, JSON.stringify(opts.state()))
      clients.add(res)
      req.on('close', () => clients.delete(res))
    } else if (path === '/api/state') {
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(opts.state()))
    } else if (path === '/healthz') {
      res.writeHead(200, {'content-type': 'text/plain'}).end('ok\n')
    } else {
      res.writeHead(404, {'content-type': 'text/plain'}).end('not found: try /, /metrics, /events, /api/state\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new HalError('MONITOR_LISTEN', `cannot listen on ${opts.listen.host}:${opts.listen.port}: ${e.code ?? e.message}`, {
          hint: e.code === 'EADDRINUSE' ? 'another process uses that port: pick another with --listen HOST:PORT' : 'check the address with ip addr',
          exitCode: ExitCode.Environment,
        }),
      ),
    )
    server.listen(opts.listen.port, opts.listen.host, () => resolve())
  })
  const a = server.address() as AddressInfo
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    port: a.port,
    push() {
      if (clients.size === 0) return
      const data = JSON.stringify(opts.state())
      for (const c of clients) send(c, data)
    },
    clients: () => clients.size,
    close() {
      for (const c of clients) c.end()
      clients.clear()
      return new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
