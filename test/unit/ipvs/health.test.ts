import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import tls from 'node:tls'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import type {Checker, RealServer, VirtualServer} from '../../../src/keepalived/model.js'
import {createProbe, type ProbeResult} from '../../../src/engine/ipvs/checkers/index.js'
import {RealServerHealth} from '../../../src/engine/ipvs/health.js'

const vs: VirtualServer = {address: '192.0.2.1', port: 80, delayLoop: 2, realServers: []}

describe('RealServerHealth', () => {
  it('is up only while every checker is up, and applies misc_dynamic weights', async () => {
    vi.useFakeTimers()
    try {
      const results: Record<string, ProbeResult> = {TCP_CHECK: {ok: true}, MISC_CHECK: {ok: true, weight: 7}}
      const changes: [boolean, number | undefined][] = []
      const rs: RealServer = {
        ip: '10.0.0.1',
        port: 80,
        weight: 3,
        checkers: [
          {type: 'TCP_CHECK', warmup: 0, retry: 0},
          {type: 'MISC_CHECK', miscPath: 'x', miscDynamic: true, warmup: 0},
        ],
      }
      const h = new RealServerHealth(rs, vs, {
        alpha: false,
        onChange: (healthy, w) => changes.push([healthy, w]),
        probeFor: (c: Checker) => async () => results[c.type],
      })
      h.start()
      await vi.advanceTimersByTimeAsync(10)
      expect(h.healthy()).toBe(true)
      expect(h.dynamicWeight()).toBe(7)
      results.TCP_CHECK = {ok: false, error: 'ECONNREFUSED'}
      await vi.advanceTimersByTimeAsync(2000)
      expect(h.healthy()).toBe(false)
      expect(changes.at(-1)).toEqual([false, 7])
      expect(h.states()[0].state.lastError).toBe('ECONNREFUSED')
      results.TCP_CHECK = {ok: true}
      await vi.advanceTimersByTimeAsync(2000)
      expect(h.healthy()).toBe(true)
      h.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('with alpha starts down and comes up on the first passing check', async () => {
    vi.useFakeTimers()
    try {
      const rs: RealServer = {ip: '10.0.0.1', port: 80, checkers: [{type: 'TCP_CHECK', warmup: 0}]}
      const h = new RealServerHealth(rs, vs, {alpha: true, onChange: () => {}, probeFor: () => async () => ({ok: true})})
      expect(h.healthy()).toBe(false)
      h.start()
      await vi.advanceTimersByTimeAsync(10)
      expect(h.healthy()).toBe(true)
      h.stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('SSL_GET against a TLS server on loopback', () => {
  let dir = ''
  let server: tls.Server
  let port = 0
  let sni: string | undefined
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hip-ipvs-tls-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=backend.test', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], {stdio: 'ignore'})
    server = tls.createServer({key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem'))}, (s) => {
      sni = (s as tls.TLSSocket & {servername?: string}).servername || undefined
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n'))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => {
    server.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('passes with a self-signed certificate, sends the virtualhost as SNI, checks the status', async () => {
    const rs: RealServer = {ip: '127.0.0.1', port, checkers: []}
    const ok = createProbe({type: 'SSL_GET', urls: [{path: '/', statusCode: '200'}], virtualhost: 'www.example.test'}, rs, vs)
    expect(await ok()).toEqual({ok: true})
    expect(sni).toBe('www.example.test')
    const wrongStatus = createProbe({type: 'SSL_GET', urls: [{path: '/', statusCode: '204'}]}, rs, vs)
    expect(await wrongStatus()).toEqual({ok: false, error: '/: HTTP status 200'})
  })
})
