import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {AlertDeduper, type AlertEvent} from '../../../src/monitor/alerts.js'
import {MonitorMetrics} from '../../../src/monitor/metrics.js'
import {MonitorModel} from '../../../src/monitor/model.js'
import {Ring} from '../../../src/monitor/ring.js'
import {parseListen} from '../../../src/monitor/server.js'
import {backoffMs} from '../../../src/monitor/sessions.js'
import type {Finding} from '../../../src/sniff/findings.js'
import {SniffTracker} from '../../../src/sniff/tracker.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

const T0 = 1_700_000_000_000
const A = '10.121.0.11'
const B = '10.121.0.12'

function advert(src: string, priority: number) {
  return parseFrame(buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 51, priority, intervalCs: 100, addresses: ['10.121.0.100']}), src}), LinkType.ETHERNET)
}

function finding(o: Partial<Finding>): Finding {
  return {code: 'split-brain', severity: 'error', interface: 'lb1:eth0', family: 4, vrid: 51, routers: [A, B], message: 'm', fix: 'f', first: '', last: '', active: true, count: 2, evidence: [1, 2], measuredMs: null, ...o}
}

/** a source's tracker fed with adverts, its findings and views going into the model as the service does */
function feed(model: MonitorModel, source: string, alerts: AlertEvent[]) {
  const tracker = new SniffTracker({maxDoneFindings: 10, onFinding: (e, f) => alerts.push(...model.finding(source, e, f, clock.now))})
  const clock = {now: T0}
  let n = 0
  return {
    tracker,
    at(ms: number, ...routers: Array<[string, number]>) {
      clock.now = T0 + ms
      for (const [src, prio] of routers) tracker.observe(++n, T0 + ms, source, advert(src, prio))
      tracker.tick(T0 + ms)
      model.view(source, tracker.vrids(), tracker.findings(), T0 + ms)
    },
  }
}

describe('monitor ring buffer', () => {
  it('keeps the newest entries up to its capacity', () => {
    const r = new Ring<number>(3)
    for (let i = 1; i <= 5; i++) r.push(i)
    expect(r.toArray()).toEqual([3, 4, 5])
    expect(r.size).toBe(3)
    expect(r.dropped).toBe(2)
    expect(r.last()).toBe(5)
    expect(() => new Ring(0)).toThrow(/positive integer/)
  })
})

describe('monitor alert deduplication', () => {
  it('a split brain seen by two sources fires once and resolves once, when the last source clears it', () => {
    const d = new AlertDeduper()
    const f = finding({})
    expect(d.onFinding('lb1:eth0', 'raised', f, T0).map((a) => a.status)).toEqual(['firing'])
    expect(d.onFinding('lb2:eth0', 'raised', {...f, interface: 'lb2:eth0'}, T0 + 10)).toEqual([])
    expect(d.onFinding('lb1:eth0', 'cleared', {...f, active: false}, T0 + 5000)).toEqual([])
    const r = d.onFinding('lb2:eth0', 'cleared', {...f, active: false}, T0 + 5100)
    expect(r).toMatchObject([{type: 'alert', status: 'resolved', key: 'split-brain|4|51', finding: {code: 'split-brain', active: false}}])
    // a later split brain is a new alert
    expect(d.onFinding('lb1:eth0', 'raised', f, T0 + 9000).map((a) => a.status)).toEqual(['firing'])
  })

  it('a one-shot finding (takeover) from several sources is one event within the window', () => {
    const d = new AlertDeduper(5000)
    const t = finding({code: 'takeover', severity: 'info', active: false, measuredMs: 3600})
    expect(d.onFinding('lb1:eth0', 'raised', t, T0).map((a) => a.status)).toEqual(['event'])
    expect(d.onFinding('lb2:eth0', 'raised', t, T0 + 30)).toEqual([])
    expect(d.onFinding('lb2:eth0', 'raised', t, T0 + 6000).map((a) => a.status)).toEqual(['event'])
  })

  it('after a reconnect, what the source does not report again resolves at the sweep', () => {
    const d = new AlertDeduper()
    d.onFinding('lb1:eth0', 'raised', finding({code: 'master-silent'}), T0)
    d.onFinding('lb1:eth0', 'raised', finding({code: 'interval-mismatch'}), T0)
    d.sourceRestarted('lb1:eth0')
    d.onFinding('lb1:eth0', 'raised', finding({code: 'interval-mismatch'}), T0 + 2000)
    expect(d.sweep('lb1:eth0', T0 + 10_000).map((a) => `${a.status}:${a.finding.code}`)).toEqual(['resolved:master-silent'])
    expect(d.firing().map((f) => f.finding.code)).toEqual(['interval-mismatch'])
  })
})

describe('monitor model and metrics', () => {
  it('two sources: split brain, holders and the Prometheus text; then healed; counters survive a reconnect', async () => {
    const model = new MonitorModel({instances: [{cluster: 'x121', name: 'VI_x121', vrid: 51, vips: ['10.121.0.100']}]})
    let now = T0
    const metrics = new MonitorMetrics(model, () => now)
    const alerts: AlertEvent[] = []
    model.addSource('lb1:eth0', T0)
    model.addSource('lb2:eth0', T0)
    model.sourceUp('lb1:eth0', T0)
    model.sourceUp('lb2:eth0', T0)
    const s1 = feed(model, 'lb1:eth0', alerts)
    const s2 = feed(model, 'lb2:eth0', alerts)
    for (let s = 0; s < 5; s++) for (const src of [s1, s2]) src.at(s * 1000, [A, 150])
    now = T0 + 4000
    let st = model.state(now)
    expect(st.vrids).toMatchObject([{family: 4, vrid: 51, instance: 'VI_x121', holders: [A], splitBrain: false, noOwner: false, stale: false}])
    // B starts advertising too: split brain on both sources, one alert
    for (let s = 5; s < 10; s++) for (const src of [s1, s2]) src.at(s * 1000, [A, 150], [B, 100])
    now = T0 + 9000
    st = model.state(now)
    expect(st.vrids[0]).toMatchObject({holders: [A, B], splitBrain: true})
    expect(alerts.filter((a) => a.finding.code === 'split-brain').map((a) => a.status)).toEqual(['firing'])
    let text = await metrics.render()
    expect(text).toContain('halctl_monitor_split_brain{family="4",vrid="51",iname="VI_x121"} 1')
    expect(text).toContain('halctl_monitor_vip_holders{family="4",vrid="51",iname="VI_x121"} 2')
    expect(text).toContain(`keepalived_vrrp_state{iname="VI_x121",intf="lb1:eth0,lb2:eth0",vrid="51",ip_address="10.121.0.100",router="${B}"} 2`)
    expect(text).toContain('halctl_monitor_findings_active{code="split-brain",severity="error"} 1')
    expect(text).toContain(`keepalived_advertisements_received_total{iname="VI_x121",intf="lb1:eth0",vrid="51",router="${A}"} 10`)
    // B stops: healed; one resolution
    for (let s = 10; s < 16; s++) for (const src of [s1, s2]) src.at(s * 1000, [A, 150])
    now = T0 + 15_000
    st = model.state(now)
    expect(st.vrids[0]).toMatchObject({holders: [A], splitBrain: false})
    expect(alerts.filter((a) => a.finding.code === 'split-brain').map((a) => a.status)).toEqual(['firing', 'resolved'])
    expect(st.vrids[0].routers.find((r) => r.address === B)).toMatchObject({state: 'backup', priority: 100})
    text = await metrics.render()
    expect(text).toContain(`keepalived_vrrp_state{iname="VI_x121",intf="lb1:eth0,lb2:eth0",vrid="51",ip_address="10.121.0.100",router="${B}"} 1`)
    // the timeline: A alone, A and B, A alone
    expect(st.vrids[0].timeline.filter((e) => e.kind === 'holders').map((e) => (e.kind === 'holders' ? e.holders.map((h) => h.address).join('+') : ''))).toEqual([A, `${A}+${B}`, A])
    // lb1's session ends: a gap; its adverts stay counted
    model.sourceDown('lb1:eth0', T0 + 16_000, 'SSH connection lost')
    now = T0 + 18_000
    text = await metrics.render()
    expect(text).toContain('halctl_monitor_source_up{source="lb1:eth0"} 0')
    expect(text).toContain('halctl_monitor_source_gaps_total{source="lb1:eth0"} 1')
    expect(text).toContain('halctl_monitor_source_gap_seconds_total{source="lb1:eth0"} 2')
    expect(text).toContain(`keepalived_advertisements_received_total{iname="VI_x121",intf="lb1:eth0",vrid="51",router="${A}"} 16`)
    expect(model.sources(now).find((s) => s.name === 'lb1:eth0')).toMatchObject({up: false, gaps: 1, lastError: 'SSH connection lost'})
  })

  it('a master that resigns holds nothing from its priority 0 advert; the takeover lands in the histogram', async () => {
    const model = new MonitorModel()
    let now = T0
    const metrics = new MonitorMetrics(model, () => now)
    const alerts: AlertEvent[] = []
    model.sourceUp('eth0', T0)
    const s = feed(model, 'eth0', alerts)
    for (let t = 0; t < 4; t++) s.at(t * 1000, [A, 150])
    s.at(3500, [A, 0])
    now = T0 + 3600
    expect(model.state(now).vrids[0]).toMatchObject({holders: [], noOwner: true})
    s.at(4100, [B, 100])
    for (const a of alerts) metrics.observe(a)
    now = T0 + 4200
    expect(model.state(now).vrids[0]).toMatchObject({holders: [B], noOwner: false})
    const text = await metrics.render()
    expect(text).toContain('halctl_monitor_takeover_duration_seconds_bucket{le="1",family="4",vrid="51"} 1')
    expect(text).toContain('halctl_monitor_takeover_duration_seconds_sum{family="4",vrid="51"} 0.6')
    expect(text).toContain('halctl_monitor_alerts_total{code="takeover",status="event"} 1')
  })

  it("keepalived's own view per node: state and priorities in the state and the metrics", async () => {
    const model = new MonitorModel({instances: [{cluster: 'x121', name: 'VI_x121', vrid: 51, vips: ['10.121.0.100']}]})
    const metrics = new MonitorMetrics(model, () => T0)
    model.sourceUp('lb1:eth0', T0)
    model.sourceUp('lb2:eth0', T0)
    const alerts: AlertEvent[] = []
    feed(model, 'lb1:eth0', alerts).at(0, [A, 150])
    model.keepalivedView('lb1:eth0', 'lb1', [{name: 'VI_x121', state: 'MASTER', priority: 150, effectivePriority: 150}], T0)
    model.keepalivedView('lb2:eth0', 'lb2', undefined, T0)
    const st = model.state(T0)
    expect(st.vrids[0].keepalived).toEqual([{node: 'lb1', instance: 'VI_x121', state: 'MASTER', priority: 150, effectivePriority: 150, at: new Date(T0).toISOString()}])
    expect(st.keepalived.map((k) => `${k.node}:${k.read}`)).toEqual(['lb1:true', 'lb2:false'])
    const text = await metrics.render()
    expect(text).toContain('halctl_monitor_keepalived_state{node="lb1",iname="VI_x121"} 2')
    expect(text).toContain('halctl_monitor_keepalived_priority{node="lb1",iname="VI_x121",kind="effective"} 150')
    expect(text).toContain('halctl_monitor_keepalived_up{node="lb2"} 0')
  })

  it('stays bounded: the timeline ring and the VRIDs kept', () => {
    const model = new MonitorModel({timelineSize: 8, maxVrids: 4})
    model.sourceUp('eth0', T0)
    for (let i = 0; i < 50; i++) model.sourceDown('eth0', T0 + i * 2, 'x'), model.sourceUp('eth0', T0 + i * 2 + 1)
    for (let v = 1; v <= 10; v++) model.view('eth0', [{interface: 'eth0', family: 4, vrid: v, master: null, masterMac: null, priority: null, intervalCs: null, vips: [], authType: null, adverts: 0, advertsPerSec: 0, masterChanges: 0, routers: [], first: '', last: '', lastMs: T0 + v}], [], T0 + 200 + v)
    const st = model.state(T0 + 300)
    expect(st.vrids.map((v) => v.vrid)).toEqual([7, 8, 9, 10])
  })
})

describe('monitor flags and backoff', () => {
  it('--listen forms and errors', () => {
    expect(parseListen('127.0.0.1:9650')).toEqual({host: '127.0.0.1', port: 9650})
    expect(parseListen('[::1]:9650')).toEqual({host: '::1', port: 9650})
    expect(parseListen(':9650')).toEqual({host: '::', port: 9650})
    expect(parseListen('9650')).toEqual({host: '::', port: 9650})
    expect(() => parseListen('localhost')).toThrow(/--listen localhost: not HOST:PORT/)
    expect(() => parseListen('1.2.3.4:70000')).toThrow(/not HOST:PORT/)
  })

  it('reconnect backoff: 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
  })
})

describe('halctl monitor: bad input', () => {
  it('no source, a bad --listen, a bad --webhook: exit 2 with what to do, as JSON with --json', async () => {
    const {runCommand} = await import('../../helpers/run-command.js')
    const Monitor = (await import('../../../src/commands/monitor.js')).default
    const none = await runCommand(Monitor, ['--json'])
    expect(none.exitCode).toBe(2)
    expect(JSON.parse(none.stdout)).toMatchObject({error: {code: 'MONITOR_NO_SOURCE', hint: expect.stringContaining('halctl monitor -s cluster.yaml')}})
    const listen = await runCommand(Monitor, ['-i', 'lo', '--listen', 'nowhere'])
    expect(listen.exitCode).toBe(2)
    expect(listen.stderr).toMatch(/--listen nowhere: not HOST:PORT/)
    const hook = await runCommand(Monitor, ['-i', 'lo', '--webhook', 'ftp://x'])
    expect(hook.exitCode).toBe(2)
    expect(hook.stderr).toMatch(/--webhook: not an http/)
  })
})

describe('monitor alert sinks', () => {
  it('--on-finding gets the alert JSON on stdin with its status in the environment; --webhook gets it POSTed', async () => {
    const {alertSinks} = await import('../../../src/monitor/alert-sinks.js')
    const {createServer} = await import('node:http')
    const {mkdtempSync, readFileSync, rmSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {join} = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'x121-sinks-'))
    const posted: string[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        posted.push(`${req.method} ${req.headers['content-type']} ${body}`)
        res.end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as {port: number}).port
    const warnings: string[] = []
    const sinks = alertSinks({command: `{ echo "$HALCTL_ALERT_STATUS $HALCTL_FINDING_CODE $HALCTL_VRID"; cat; } > ${dir}/out`, webhook: `http://127.0.0.1:${port}/hook`, log: (_l, m) => warnings.push(m)})
    const d = new AlertDeduper()
    for (const a of d.onFinding('lb1:eth0', 'raised', finding({}), T0)) sinks.send(a)
    await sinks.drain()
    server.close()
    const [head, body] = readFileSync(join(dir, 'out'), 'utf8').split('\n')
    rmSync(dir, {recursive: true, force: true})
    expect(head).toBe('firing split-brain 51')
    expect(JSON.parse(body)).toMatchObject({type: 'alert', status: 'firing', key: 'split-brain|4|51', finding: {code: 'split-brain', routers: [A, B]}})
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatch(/^POST application\/json \{"type":"alert","status":"firing"/)
    expect(warnings).toEqual([])
  })
})
