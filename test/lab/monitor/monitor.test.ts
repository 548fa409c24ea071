/// <reference lib="dom" />
/**
 * halctl monitor against a real 2-node lab (real keepalived, sshd, tcpdump on the nodes), scraped
 * by Debian's Prometheus server: a PromQL split-brain query turns true within
 * 2 x Master_Down_Interval + one scrape interval after VRRP is blocked on the backup (nftables),
 * and false after it is unblocked; the --on-finding command gets the split brain once and its
 * resolution once (two sources see it: deduplicated); killing the SSH session to a node shows the
 * gap, then recovery; the page in Debian's headless Chromium shows the holder change.
 * Sources: both nodes over SSH and the lab bridge locally (-i).
 * One lab for the file; the monitor runs as the CLI (`halctl monitor --json`), stopped by SIGTERM.
 */
import {execa, type ResultPromise} from 'execa'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chromium, type Browser} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bridgeName} from '../../../src/lab/names.js'
import {masterDownMs} from '../../../src/vrrp/timers.js'
import {settle, startLab, type Lab} from '../deploy/lab-fixture.js'
import {tcpdumpAdverts} from '../failover/oracle.js'
import {freePort} from '../../helpers/net.js'

const isRoot = process.getuid?.() === 0
const hasProm = existsSync('/usr/bin/prometheus')
const PREFIX = 'x121'
const SUBNET = '10.121.0.0/24'
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'run.js')
const SCRAPE_S = 1
const BLOCK = ['nft', '-f', '-']
const BLOCK_RULES = 'table inet x121_block {\n chain input {\n type filter hook input priority -10; policy accept;\n ip protocol vrrp drop\n }\n}\n'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(150)
  }
}

describe.runIf(isRoot && hasProm)('halctl monitor on a 2-node lab, scraped by Prometheus', () => {
  let lab: Lab
  let dir: string
  let monitor: ResultPromise | undefined
  let prom: ResultPromise | undefined
  let oracle: ResultPromise | undefined
  let browser: Browser | undefined
  let base: string
  let promBase: string
  let alertsFile: string
  const logs: Array<Record<string, any>> = []

  const query = async (q: string): Promise<number[]> => {
    const r = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}`)
    const j = (await r.json()) as {data: {result: Array<{value: [number, string]}>}}
    return j.data.result.map((x) => Number(x.value[1]))
  }
  const alerts = (): Array<Record<string, any>> =>
    existsSync(alertsFile) ? readFileSync(alertsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'x121-monitor-'))
    alertsFile = join(dir, 'alerts.ndjson')
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET})
    const spec = lab.specVariant('monitor', (d) => {
      d.instances[0].priorities = {lb1: 150, lb2: 100}
    })
    const r = await lab.deploy(await lab.load(spec))
    expect(r.ok, JSON.stringify(r.nodes.map((n) => n.error))).toBe(true)
    expect(await settle(lab, lab.up.vip, 20_000)).toEqual(['lb1'])

    // an independent tcpdump on the lab bridge: the oracle for the takeover gap
    oracle = execa('tcpdump', ['-i', bridgeName(PREFIX), '-n', '-U', '--immediate-mode', '-w', join(dir, 'oracle.pcap'), 'ip proto 112'], {reject: false, stdio: 'ignore'})
    const port = await freePort('127.0.0.1')
    base = `http://127.0.0.1:${port}`
    monitor = execa('node', [BIN, 'monitor', '-s', spec, '-i', bridgeName(PREFIX), '--listen', `127.0.0.1:${port}`, '--json', '--on-finding', `cat >> ${alertsFile}; echo >> ${alertsFile}`], {reject: false, buffer: false})
    monitor.stdout!.on('data', (d: Buffer) => {
      for (const l of String(d).split('\n').filter(Boolean)) {
        try {
          logs.push(JSON.parse(l))
        } catch {
          logs.push({raw: l})
        }
      }
    })
    monitor.stderr!.on('data', (d: Buffer) => logs.push({stderr: String(d)}))

    const promPort = await freePort('127.0.0.1')
    promBase = `http://127.0.0.1:${promPort}`
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${SCRAPE_S}s\n  evaluation_interval: ${SCRAPE_S}s\nscrape_configs:\n  - job_name: halctl\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`)
    prom = execa('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {reject: false, buffer: false, stdio: 'ignore'})
    // both nodes' captures and the local one on the lab bridge are up, the master is known, Prometheus has scraped it
    await until('three sources up and one holder in Prometheus', 40_000, async () => {
      const up = await query('sum(halctl_monitor_source_up)')
      const holders = await query('halctl_monitor_vip_holders')
      return up[0] === 3 && holders.length === 1 && holders[0] === 1 ? true : undefined
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    prom?.kill('SIGTERM')
    monitor?.kill('SIGTERM')
    oracle?.kill('SIGTERM')
    await Promise.all([prom, monitor, oracle].map((p) => p && Promise.race([p, sleep(5000)])))
    monitor?.kill('SIGKILL')
    for (const n of ['lb1', 'lb2']) await lab?.exec(n, ['nft', 'delete', 'table', 'inet', 'x121_block']).catch(() => undefined)
    await lab?.down()
    if (dir && !process.env.HALCTL_SCREENSHOTS) rmSync(dir, {recursive: true, force: true})
  }, 60_000)

  it('/metrics: keepalived-exporter names, state from the wire and from keepalived, holders, source health', async () => {
    const bridge = bridgeName(PREFIX)
    // every source has heard an advert, keepalived's view of both nodes is read
    const text = await until('every source counted adverts and keepalived was read', 15_000, async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      const counted = [bridge, 'lb1:eth0', 'lb2:eth0'].every((i) => t.includes(`keepalived_advertisements_received_total{iname="VI_x121",intf="${i}"`))
      return counted && t.includes('halctl_monitor_keepalived_state{node="lb2",iname="VI_x121"} 1') && t.includes('halctl_monitor_keepalived_state{node="lb1",iname="VI_x121"} 2') ? t : undefined
    })
    expect(text).toMatch(/^keepalived_vrrp_state\{iname="VI_x121",.*router="10\.121\.0\.\d+"\} 2$/m)
    expect(text).toMatch(/^keepalived_advertisements_received_total\{iname="VI_x121",intf="lb[12]:eth0",vrid="\d+",router="10\.121\.0\.\d+"\} [1-9]\d*$/m)
    expect(text).toMatch(new RegExp(`^keepalived_advertisements_received_total\\{iname="VI_x121",intf="${bridge}",vrid="\\d+",router="[\\d.]+"\\} [1-9]`, 'm'))
    expect(text).toMatch(/^halctl_monitor_vip_holders\{family="4",vrid="\d+",iname="VI_x121"\} 1$/m)
    expect(text).toMatch(/^halctl_monitor_split_brain\{.*\} 0$/m)
    expect(text).toMatch(/^halctl_monitor_source_up\{source="lb2:eth0"\} 1$/m)
    expect(text).toContain(`halctl_monitor_source_up{source="${bridge}"} 1`)
    expect(text).toMatch(/^halctl_monitor_findings_active\{code="split-brain",severity="error"\} 0$/m)
    expect(text).toContain('# TYPE halctl_monitor_takeover_duration_seconds histogram')
    // keepalived's own view, from its data dump on each node
    expect(text).toContain('halctl_monitor_keepalived_state{node="lb1",iname="VI_x121"} 2')
    expect(text).toContain('halctl_monitor_keepalived_priority{node="lb1",iname="VI_x121",kind="effective"} 150')
    expect(text).toContain('halctl_monitor_keepalived_up{node="lb2"} 1')
  })

  it('split brain: the PromQL query turns true in time after VRRP is blocked on the backup, false after unblock; one alert and one resolution', async () => {
    const q = 'max(halctl_monitor_split_brain) > 0'
    expect(await query(q)).toEqual([])
    // the backup (priority 100) takes over after its Master_Down_Interval
    const bound = 2 * masterDownMs(2, 100, 1000) + SCRAPE_S * 1000
    const t0 = Date.now()
    await lab.exec('lb2', ['sh', '-c', `printf '${BLOCK_RULES.replace(/\n/g, '\\n')}' | nft -f -`])
    expect(await lab.exec('lb2', ['nft', 'list', 'tables'])).toContain('x121_block')
    await until('split brain in Prometheus', 20_000, async () => ((await query(q)).length ? true : undefined))
    const took = Date.now() - t0
    console.info(`split brain true in Prometheus ${took} ms after the block (bound ${bound} ms)`)
    expect(took, `split brain true after ${took} ms, bound ${bound} ms`).toBeLessThanOrEqual(bound + 300)
    expect((await query('max(halctl_monitor_vip_holders)'))[0]).toBe(2)

    await lab.exec('lb2', ['nft', 'delete', 'table', 'inet', 'x121_block'])
    await until('split brain cleared in Prometheus', 20_000, async () => ((await query(q)).length === 0 ? true : undefined))
    await until('resolved alert', 10_000, async () => (alerts().some((a) => a.status === 'resolved' && a.finding.code === 'split-brain') ? true : undefined))
    await sleep(1500)
    const split = alerts().filter((a) => a.finding.code === 'split-brain')
    expect(split.map((a) => a.status)).toEqual(['firing', 'resolved'])
    expect(split[0].finding.routers).toHaveLength(2)
    expect(split[0].sources.length).toBeGreaterThanOrEqual(1)
    expect(await settle(lab, lab.up.vip, 15_000)).toEqual(['lb1'])
    // lb2 advertised during the split brain: known now, and a backup again
    const lb2 = lab.up.hosts[1].address.replaceAll('.', '\\.')
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(new RegExp(`^keepalived_vrrp_state\\{.*router="${lb2}"\\} 1$`, 'm'))
  })

  it('killing the SSH session to a node shows the gap, then recovery without a restart', async () => {
    const gaps0 = (await query('halctl_monitor_source_gaps_total{source="lb2:eth0"}'))[0] ?? 0
    await lab.exec('lb2', ['pkill', '-f', '^sshd: [a-z]+@notty'])
    await until('gap on lb2 in /metrics', 10_000, async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      return /^halctl_monitor_source_gaps_total\{source="lb2:eth0"\} [1-9]/m.test(t) ? true : undefined
    })
    await until('lb2 source up again', 15_000, async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      return /^halctl_monitor_source_up\{source="lb2:eth0"\} 1$/m.test(t) ? true : undefined
    })
    expect(logs.some((l) => l.type === 'log' && l.source === 'lb2:eth0' && l.up === false)).toBe(true)
    expect(gaps0).toBe(0)
  })

  it('the page in headless Chromium shows the VIP holder change within 2 s of a failover', async () => {
    browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']})
    const page = await browser.newPage({viewport: {width: 1100, height: 900}})
    await page.goto(`${base}/`)
    const holders = page.locator('section.vrid .holders')
    await until('page shows lb1', 10_000, async () => ((await holders.textContent()) === lab.up.hosts[0].address ? true : undefined))
    // the page notes when it first shows lb2 alone as the holder
    const lb2 = lab.up.hosts[1].address
    await page.evaluate((addr) => {
      const w = window as unknown as {seenAt?: number}
      new MutationObserver(() => {
        if (w.seenAt === undefined && document.querySelector('section.vrid .holders')?.textContent === addr) w.seenAt = Date.now()
      }).observe(document.body, {subtree: true, childList: true, characterData: true})
    }, lb2)
    // failover: stop keepalived on the master (priority 0 advert); the backup takes over after Skew_Time
    const t0 = Date.now()
    await lab.exec('lb1', ['pkill', '-TERM', '-x', 'keepalived'])
    const seenAt = await until('page shows lb2', 10_000, async () => (await page.evaluate(() => (window as unknown as {seenAt?: number}).seenAt)) ?? undefined)
    // the takeover as captured on the wire: lb2's first advert (the alert's finding, from packet times)
    const takeover = await until('takeover alert', 10_000, async () => alerts().find((a) => a.finding.code === 'takeover' && a.finding.routers.includes(lb2)))
    const wireAt = Date.parse(takeover.finding.last)
    const shot = join(process.env.HALCTL_SCREENSHOTS ?? dir, 'monitor-page.png')
    await page.screenshot({path: shot, fullPage: true})
    console.info(`page showed the new VIP holder ${seenAt - wireAt} ms after its first advert on the wire (${seenAt - t0} ms after the stop command started)`)
    expect(seenAt - wireAt, `page showed the new holder ${seenAt - wireAt} ms after the takeover on the wire`).toBeLessThan(2000)
    expect(takeover.finding.measuredMs).toBeGreaterThan(0)
    expect(await page.locator('svg.timeline rect').count()).toBeGreaterThan(0)
    const text = await (await fetch(`${base}/metrics`)).text()
    // one takeover (seen by three sources, deduplicated) with the gap measured from the capture
    expect(text).toMatch(/^halctl_monitor_takeover_duration_seconds_count\{family="4",vrid="\d+"\} 1$/m)
    const sum = Number(/^halctl_monitor_takeover_duration_seconds_sum\{family="4",vrid="\d+"\} ([\d.e-]+)$/m.exec(text)?.[1])
    expect(sum).toBeCloseTo(takeover.finding.measuredMs / 1000, 3)
    // the gap tcpdump shows on the bridge: lb1's priority 0 advert to lb2's first advert after it
    // (bounded wait: the oracle's file may trail the monitor's own capture by a moment)
    const {resign, first} = await until('the takeover in the oracle capture', 10_000, async () => {
      const adverts = await tcpdumpAdverts(join(dir, 'oracle.pcap'))
      const r = adverts.filter((a) => a.src === lab.up.hosts[0].address && a.prio === 0).pop()
      const f = r && adverts.find((a) => a.src === lb2 && a.t > r.t)
      return r && f ? {resign: r, first: f} : undefined
    })
    console.info(`takeover: tcpdump ${(first.t - resign.t).toFixed(3)} ms, histogram ${(sum * 1000).toFixed(3)} ms`)
    expect(Math.abs(sum * 1000 - (first.t - resign.t))).toBeLessThan(20)
  })

  it('SIGTERM: stops gracefully with the --json summary', async () => {
    monitor!.kill('SIGTERM')
    const r = await Promise.race([monitor!, sleep(10_000).then(() => undefined)])
    expect(r, 'monitor did not stop within 10 s').toBeDefined()
    expect(r!.exitCode).toBe(0)
    const summary = logs.find((l) => l.type === 'summary')
    expect(summary).toMatchObject({type: 'summary', sources: expect.arrayContaining([expect.objectContaining({name: 'lb1:eth0'})])})
    expect(summary!.alerts).toBeGreaterThanOrEqual(2)
  })
})
