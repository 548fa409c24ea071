import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import {parseStatusCodes, statusMatches} from './status-codes.js'

/** What one check attempt found. */
export interface ProbeResult {
  ok: boolean
  /** why it failed, for status and logs */
  error?: string
  /** misc_dynamic: the weight the exit code asks for */
  weight?: number
}

export interface ConnectTarget {
  host: string
  port: number
  /** source address (`bindto`) */
  localAddress?: string
  /** source port (`bind_port`) */
  localPort?: number
  timeoutMs: number
}

/** TCP_CHECK: the check passes when a connection opens within connect_timeout. */
export function tcpProbe(t: ConnectTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({host: t.host, port: t.port, localAddress: t.localAddress, localPort: t.localPort})
    const done = (r: ProbeResult): void => {
      clearTimeout(timer)
      sock.destroy()
      resolve(r)
    }
    const timer = setTimeout(() => done({ok: false, error: `connect timeout after ${t.timeoutMs} ms`}), t.timeoutMs)
    sock.once('connect', () => done({ok: true}))
    sock.once('error', (e: NodeJS.ErrnoException) => done({ok: false, error: e.code ?? e.message}))
  })
}

export interface HttpProbeSpec extends ConnectTarget {
  tls: boolean
  path: string
  /** Host header; keepalived sends the address (and port unless 80/443) without a virtualhost */
  hostHeader: string
  statusCode?: string
  /** expected MD5 of the body, hex (keepalived's genhash digest) */
  digest?: string
  /** SNI name for SSL_GET */
  servername?: string
}

const MAX_BODY = 16 * 1024 * 1024

/**
 * HTTP_GET / SSL_GET: an HTTP/1.0 GET like keepalived's, read to the end; the
 * status must be in the url's status_code ranges (default 200-299) and, when a
 * digest is given, the MD5 of the body must match. connect_timeout bounds the
 * whole exchange.
 */
export function httpProbe(spec: HttpProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const opts = {host: spec.host, port: spec.port, localAddress: spec.localAddress, localPort: spec.localPort}
    const sock = spec.tls
      ? tls.connect({...opts, rejectUnauthorized: false, servername: spec.servername})
      : net.connect(opts)
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const done = (r: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      resolve(r)
    }
    const timer = setTimeout(() => done({ok: false, error: `timeout after ${spec.timeoutMs} ms`}), spec.timeoutMs)
    sock.once(spec.tls ? 'secureConnect' : 'connect', () => {
      sock.write(`GET ${spec.path} HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: ${spec.hostHeader}\r\n\r\n`)
    })
    sock.on('data', (b: Buffer) => {
      size += b.length
      if (size > MAX_BODY) return done({ok: false, error: 'response larger than 16 MiB'})
      chunks.push(b)
    })
    sock.once('error', (e: NodeJS.ErrnoException) => done({ok: false, error: e.code ?? e.message}))
    sock.once('end', () => done(judgeHttpResponse(Buffer.concat(chunks), spec)))
  })
}

/** The verdict on a full HTTP response (status line, headers, body). */
export function judgeHttpResponse(raw: Buffer, spec: Pick<HttpProbeSpec, 'statusCode' | 'digest'>): ProbeResult {
  const headEnd = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, headEnd < 0 ? raw.length : headEnd).toString('latin1')
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(head)
  if (!m) return {ok: false, error: 'no HTTP status line in the response'}
  const code = Number(m[1])
  if (!statusMatches(code, parseStatusCodes(spec.statusCode))) return {ok: false, error: `HTTP status ${code}`}
  if (spec.digest) {
    const body = headEnd < 0 ? Buffer.alloc(0) : raw.subarray(headEnd + 4)
    const md5 = createHash('md5').update(body).digest('hex')
    if (md5 !== spec.digest.toLowerCase()) return {ok: false, error: `digest ${md5} differs from ${spec.digest}`}
  }
  return {ok: true}
}

export interface MiscProbeSpec {
  command: string
  timeoutMs: number
  dynamic: boolean
  uid?: number
  gid?: number
}

/**
 * MISC_CHECK: run the script (through /bin/sh). Exit 0 passes; with
 * misc_dynamic, exit 2..255 passes and sets the weight to code - 2; any other
 * exit, a signal or misc_timeout fails.
 */
export function miscProbe(spec: MiscProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', spec.command], {stdio: 'ignore', uid: spec.uid, gid: spec.gid, detached: true})
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }, spec.timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      resolve({ok: false, error: e.message})
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(judgeMiscExit(code, signal, timedOut, spec.dynamic, spec.timeoutMs))
    })
  })
}

export function judgeMiscExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  timedOut: boolean,
  dynamic: boolean,
  timeoutMs: number,
): ProbeResult {
  if (timedOut) return {ok: false, error: `misc_timeout: killed after ${timeoutMs} ms`}
  if (code === null) return {ok: false, error: `killed by ${signal}`}
  if (code === 0) return {ok: true}
  if (dynamic && code >= 2) return {ok: true, weight: code - 2}
  return {ok: false, error: `exit code ${code}`}
}
