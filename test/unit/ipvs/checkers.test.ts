import {createHash} from 'node:crypto'
import http from 'node:http'
import net, {type AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {VirtualServer} from '../../../src/keepalived/model.js'
import {
  checkerTiming,
  createProbe,
  judgeHttpResponse,
  judgeMiscExit,
  parseStatusCodes,
  stepChecker,
  worstCaseDetection,
  type CheckerState,
  type CheckerTiming,
  type ProbeResult,
} from '../../../src/engine/ipvs/checkers/index.js'

const timing: CheckerTiming = {delayLoop: 6, connectTimeout: 2, retry: 2, delayBeforeRetry: 1, warmup: 0}
const fresh = (up = true): CheckerState => ({up, hasRun: false, retryIt: 0, checks: 0, failures: 0})
const ok: ProbeResult = {ok: true}
const bad: ProbeResult = {ok: false, error: 'ECONNREFUSED'}

describe('checker timing (keepalived epilog)', () => {
  it('marks down only after retry extra failures, each after delay_before_retry', () => {
    let s = stepChecker(fresh(), ok, timing, 0)
    expect([s.state.up, s.nextIn, s.changed]).toEqual([true, 6, false])
    s = stepChecker(s.state, bad, timing, 1)
    expect([s.state.up, s.nextIn]).toEqual([true, 1])
    s = stepChecker(s.state, bad, timing, 2)
    expect([s.state.up, s.nextIn]).toEqual([true, 1])
    s = stepChecker(s.state, bad, timing, 3)
    expect([s.state.up, s.nextIn, s.changed, s.state.lastError]).toEqual([false, 6, true, 'ECONNREFUSED'])
    // while down: retried every delay_before_retry, up on the first success
    s = stepChecker(s.state, bad, timing, 4)
    expect([s.state.up, s.nextIn, s.changed]).toEqual([false, 1, false])
    s = stepChecker(s.state, ok, timing, 5)
    expect([s.state.up, s.nextIn, s.changed]).toEqual([true, 6, true])
  })
  it('with alpha a server starts down and one success brings it up', () => {
    const s = stepChecker(fresh(false), ok, timing, 0)
    expect([s.state.up, s.changed]).toEqual([true, true])
  })
  it('fills keepalived defaults', () => {
    const vs: VirtualServer = {address: '1.2.3.4', port: 80, realServers: []}
    const rs = {ip: '10.0.0.1', port: 80, checkers: []}
    expect(checkerTiming({type: 'HTTP_GET', urls: []}, rs, vs)).toEqual({delayLoop: 60, connectTimeout: 5, retry: 1, delayBeforeRetry: 3, warmup: 60})
    expect(checkerTiming({type: 'TCP_CHECK', warmup: 0}, {...rs, delayLoop: 2}, vs)).toEqual({delayLoop: 2, connectTimeout: 5, retry: 1, delayBeforeRetry: 1, warmup: 0})
    expect(checkerTiming({type: 'MISC_CHECK', miscPath: 'true'}, rs, {...vs, delayLoop: 4}).retry).toBe(0)
    expect(worstCaseDetection(timing)).toBe(6 + 2 + 2 * 3)
  })
})

describe('verdicts', () => {
  it('status_code ranges', () => {
    expect(parseStatusCodes(undefined)).toEqual([{from: 200, to: 299}])
    expect(parseStatusCodes('200-299 400-499 503')).toEqual([{from: 200, to: 299}, {from: 400, to: 499}, {from: 503, to: 503}])
    expect(() => parseStatusCodes('2xx')).toThrow(/2xx/)
  })
  it('HTTP responses: status and MD5 digest of the body', () => {
    const body = 'hello\n'
    const md5 = createHash('md5').update(body).digest('hex')
    const resp = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n${body}`)
    expect(judgeHttpResponse(resp, {})).toEqual({ok: true})
    expect(judgeHttpResponse(resp, {digest: md5})).toEqual({ok: true})
    expect(judgeHttpResponse(resp, {digest: '0'.repeat(32)}).ok).toBe(false)
    expect(judgeHttpResponse(resp, {statusCode: '301'})).toEqual({ok: false, error: 'HTTP status 200'})
    expect(judgeHttpResponse(Buffer.from('garbage'), {}).ok).toBe(false)
  })
  it('MISC_CHECK exit codes, misc_dynamic weight = code - 2', () => {
    expect(judgeMiscExit(0, null, false, false, 1000)).toEqual({ok: true})
    expect(judgeMiscExit(1, null, false, true, 1000).ok).toBe(false)
    expect(judgeMiscExit(12, null, false, true, 1000)).toEqual({ok: true, weight: 10})
    expect(judgeMiscExit(12, null, false, false, 1000).ok).toBe(false)
    expect(judgeMiscExit(null, 'SIGKILL', true, false, 1000).error).toMatch(/misc_timeout/)
  })
})

describe('probes against real sockets on loopback', () => {
  let server: http.Server
  let port = 0
  const seen: {host?: string; url?: string; ua?: string}[] = []
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({host: req.headers.host, url: req.url, ua: req.headers['user-agent']})
      if (req.url === '/missing') res.writeHead(404).end('no')
      else res.end('hello\n')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => server.close())

  const vs = (): VirtualServer => ({address: '127.0.0.1', port, realServers: []})

  it('HTTP_GET passes, sends keepalived-like request with virtualhost, fails on status', async () => {
    const rs = {ip: '127.0.0.1', port, checkers: []}
    const md5 = createHash('md5').update('hello\n').digest('hex')
    const probe = createProbe({type: 'HTTP_GET', urls: [{path: '/health', digest: md5}], virtualhost: 'www.example.test'}, rs, vs())
    expect(await probe()).toEqual({ok: true})
    expect(seen.at(-1)).toEqual({host: 'www.example.test', url: '/health', ua: 'KeepAliveClient'})
    const failing = createProbe({type: 'HTTP_GET', urls: [{path: '/'}, {path: '/missing'}]}, rs, vs())
    expect(await failing()).toEqual({ok: false, error: '/missing: HTTP status 404'})
    expect(seen.at(-1)?.host).toBe(`127.0.0.1:${port}`)
  })

  it('TCP_CHECK: connect_port override, refused port fails fast', async () => {
    const rs = {ip: '127.0.0.1', port: 1, checkers: []}
    expect(await createProbe({type: 'TCP_CHECK', connectPort: port}, rs, vs())()).toEqual({ok: true})
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    expect(await createProbe({type: 'TCP_CHECK', connectPort: deadPort, bindto: '127.0.0.1'}, rs, vs())()).toEqual({ok: false, error: 'ECONNREFUSED'})
  })

  it('MISC_CHECK runs the script with misc_timeout', async () => {
    const rs = {ip: '127.0.0.1', port, checkers: []}
    expect(await createProbe({type: 'MISC_CHECK', miscPath: 'exit 7', miscDynamic: true}, rs, vs())()).toEqual({ok: true, weight: 5})
    const slow = await createProbe({type: 'MISC_CHECK', miscPath: 'sleep 5', miscTimeout: 0.2}, rs, vs())()
    expect(slow.ok).toBe(false)
    expect(slow.error).toMatch(/misc_timeout/)
  })
})

describe('MISC_CHECK user', () => {
  it('runs the script as the named user when root, and rejects an unknown user with a hint', async () => {
    const {resolveUser} = await import('../../../src/engine/ipvs/checkers/index.js')
    expect(resolveUser('root')).toEqual({uid: 0, gid: 0})
    expect(() => resolveUser('hip-no-such-user')).toThrow(/does not exist/)
    if (process.getuid?.() !== 0) return
    const vs: VirtualServer = {address: '127.0.0.1', port: 1, realServers: []}
    const rs = {ip: '127.0.0.1', port: 1, checkers: []}
    const asNobody = createProbe({type: 'MISC_CHECK', miscPath: 'test "$(id -un)" = nobody', user: {user: 'nobody'}}, rs, vs)
    expect(await asNobody()).toEqual({ok: true})
  })
})
