import {request} from 'node:http'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {serveStatus, type EngineStatus} from '../../../src/engine/status.js'
import {RunView} from '../../../src/ui/run-view.js'

const status: EngineStatus = {
  pid: 42,
  startedAt: '2026-01-01T00:00:00.000Z',
  configFile: '/etc/keepalived/keepalived.conf',
  running: true,
  unmatchedBadPackets: {'unknown-vrid': 3},
  notifyFailures: 0,
  instances: [
    {
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      version: 2,
      state: 'MASTER',
      priority: 150,
      effectivePriority: 90,
      advertInterval: 1000,
      masterAdvertInterval: 1000,
      sourceIp: '10.0.0.1',
      masterIp: '10.0.0.1',
      masterPriority: 90,
      virtualIps: ['10.0.0.100/24'],
      lastTransition: {at: '2026-01-01T00:00:04.000Z', from: 'BACKUP', to: 'MASTER', reason: 'no master seen (Master_Down_Interval expired)'},
      trackers: [{name: 'script chk', weight: -60, ok: false}],
      counters: {advertsSent: 12, advertsReceived: 3, becameMaster: 1, releasedMaster: 0, badPackets: {'auth-failure': 2}},
    },
  ],
}

describe('halctl run live view', () => {
  it('shows state, effective(base) priority, counters, drops and the last transition', () => {
    const {lastFrame} = render(<RunView status={status} endpoint="unix:/run/halctl.sock" />)
    const f = lastFrame() ?? ''
    expect(f).toContain('halctl run -f /etc/keepalived/keepalived.conf (pid 42)  status: unix:/run/halctl.sock')
    expect(f).toMatch(/VI_1\s+eth0\/51\s+MASTER\s+90\(150\)\s+10\.0\.0\.1\s+12\/3\s+auth-failure:2/)
    expect(f).toContain('VI_1: BACKUP -> MASTER (no master seen (Master_Down_Interval expired))')
  })
})

function get(opts: {socketPath?: string; port?: number}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request({...opts, host: opts.port ? '127.0.0.1' : undefined, path: '/'}, (res) => {
      let b = ''
      res.on('data', (d: Buffer) => (b += d.toString()))
      res.on('end', () => resolve(JSON.parse(b)))
    })
      .on('error', reject)
      .end()
  })
}

describe('JSON status endpoint', () => {
  it('serves the status on a unix socket and on a loopback port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'run-status-'))
    const sock = join(dir, 's.sock')
    const a = await serveStatus({socket: sock}, () => status)
    const b = await serveStatus({port: 0}, () => status)
    try {
      expect(a.address).toBe(`unix:${sock}`)
      expect(await get({socketPath: sock})).toEqual(status)
      const port = Number(b.address.split(':').at(-1))
      expect(await get({port})).toEqual(status)
    } finally {
      await a.close()
      await b.close()
      await rm(dir, {recursive: true, force: true})
    }
  })
})
