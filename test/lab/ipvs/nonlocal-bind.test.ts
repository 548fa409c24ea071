import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {nginxBackend, scratch, startIpvs, waitFor, type IpvsProcess, type Nginx} from './harness.js'

/**
 * A virtual server on an address the namespace does not hold yet (as on a
 * node that is not the VIP owner): the engine turns on ip_nonlocal_bind in
 * its own namespace, listens, and serves once the address arrives.
 */
const NS = `hip-ipvs-${process.pid % 10000}`
const VIP = '10.204.0.10'
const BACKEND = '10.204.0.2'
const sc = scratch('hip-ipvs-nlb-')
let backend: Nginx | undefined
let ipvs: IpvsProcess | undefined
const inNs = (...cmd: string[]): string => execFileSync('ip', ['netns', 'exec', NS, ...cmd], {encoding: 'utf8'})
const rootNonlocal = () => readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim()
let rootBefore = ''

beforeAll(async () => {
  rootBefore = rootNonlocal()
  execFileSync('ip', ['netns', 'add', NS])
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up'])
  execFileSync('ip', ['-n', NS, 'addr', 'add', `${BACKEND}/32`, 'dev', 'lo'])
  backend = nginxBackend(sc.dir, 'b2', BACKEND, 8080, {netns: NS})
  await backend.start()
  const conf = join(sc.dir, 'keepalived.conf')
  writeFileSync(
    conf,
    `virtual_server ${VIP} 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server ${BACKEND} 8080 {
    }
}
`,
  )
  ipvs = await startIpvs(conf, 8799, {netns: NS})
})

afterAll(async () => {
  await ipvs?.stop()
  await backend?.stop()
  try {
    execFileSync('ip', ['netns', 'del', NS])
  } catch {
    // already gone
  }
  sc.cleanup()
})

describe('binding a VIP the namespace does not hold', () => {
  it('turns on ip_nonlocal_bind in its own namespace only and serves once the address is there', async () => {
    const st = await ipvs!.status()
    expect(st.virtualServers[0]).toMatchObject({listening: true, active: true})
    expect(ipvs!.events().some((l) => l.includes('"type":"nonlocal-bind"'))).toBe(true)
    expect(inNs('cat', '/proc/sys/net/ipv4/ip_nonlocal_bind').trim()).toBe('1')
    expect(rootNonlocal()).toBe(rootBefore)
    execFileSync('ip', ['-n', NS, 'addr', 'add', `${VIP}/32`, 'dev', 'lo'])
    const served = await waitFor(async () => {
      try {
        return inNs('curl', '-sf', '--max-time', '2', `http://${VIP}/`).trim() === 'b2'
      } catch {
        return false
      }
    }, 5000)
    expect(served).toBeDefined()
    expect(await ipvs!.table()).toMatch(new RegExp(`TCP  ${VIP.replace(/\./g, '\\.')}:80 rr\\n  -> ${BACKEND.replace(/\./g, '\\.')}:8080 +Route +1 `))
  })
})
