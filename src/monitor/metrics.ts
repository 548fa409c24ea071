/**
 * The Prometheus metrics of `halctl monitor`, with prom-client: every value is read from the
 * model when Prometheus scrapes (collect callbacks), except the takeover histogram and the
 * alert counter, which observe the deduplicated alert events. Names where a keepalived exporter
 * (cafebazaar/keepalived-exporter) has a metric of the same meaning use its name and labels
 * (iname, intf, vrid), so dashboards carry over; the others are halctl_monitor_*.
 * Every metric is documented in the README ("halctl monitor: metrics").
 *
 * Exports: `MonitorMetrics` (`registry`, `observe(alert)`, `render()`), `TAKEOVER_BUCKETS`.
 */
import {Counter, Gauge, Histogram, Registry} from 'prom-client'
import {FINDING_CATALOGUE, type FindingCode} from '../sniff/findings.js'
import type {AlertEvent} from './alerts.js'
import type {MonitorModel} from './model.js'

/** seconds: around the Master_Down_Interval of 1 s adverts (3.x s) and of fast ones */
export const TAKEOVER_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 3.5, 4, 5, 10, 30]

/** keepalived_vrrp_state values, as keepalived and its exporters number the states */
const STATE = {backup: 1, master: 2} as const

/** keepalived's state names in its data dump, numbered as keepalived numbers them */
const KEEPALIVED_STATE: Record<string, number> = {INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3}

/** finding codes counted under a keepalived exporter's error counter of the same meaning */
const KEEPALIVED_ERRORS: Partial<Record<FindingCode, string>> = {
  'bad-ttl': 'keepalived_ip_ttl_errors_total',
  'auth-mismatch': 'keepalived_authentication_mismatch_total',
  'interval-mismatch': 'keepalived_advertisements_interval_errors_total',
  'vip-mismatch': 'keepalived_address_list_errors_total',
  'addr-count-mismatch': 'keepalived_packet_length_errors_total',
  'unknown-type': 'keepalived_invalid_type_received_total',
}

export class MonitorMetrics {
  readonly registry = new Registry()
  private readonly takeover: Histogram<'family' | 'vrid'>
  private readonly alerts: Counter<'code' | 'status'>

  constructor(model: MonitorModel, clock: () => number = Date.now) {
    const r = this.registry
    let snap: ReturnType<MonitorModel['state']> | undefined
    let snapAt = -1
    // one state per scrape, shared by the collect callbacks
    const state = () => {
      const now = clock()
      if (!snap || now - snapAt > 50) {
        snap = model.state(now)
        snapAt = now
      }
      return snap
    }
    const live = () => state().vrids.filter((v) => !v.stale)
    const inameOf = (vrid: number) => state().vrids.find((v) => v.vrid === vrid)?.instance ?? ''

    new Gauge({
      name: 'keepalived_vrrp_state', help: 'VRRP state of each router as the wire shows it: 2 master (advertising now), 1 backup (heard before, silent now)',
      labelNames: ['iname', 'intf', 'vrid', 'ip_address', 'router'], registers: [r],
      collect() {
        this.reset()
        for (const v of live()) for (const x of v.routers) this.set({iname: v.instance ?? '', intf: x.sources.join(','), vrid: String(v.vrid), ip_address: x.vips.join(','), router: x.address}, STATE[x.state])
      },
    })
    new Gauge({
      name: 'halctl_monitor_vrrp_priority', help: 'priority each router advertises (its latest advert)',
      labelNames: ['family', 'vrid', 'router'], registers: [r],
      collect() {
        this.reset()
        for (const v of live()) for (const x of v.routers) this.set({family: String(v.family), vrid: String(v.vrid), router: x.address}, x.priority)
      },
    })
    new Gauge({
      name: 'halctl_monitor_vip_holders', help: 'routers advertising as master of the VRID now: 1 is right, 0 no owner, 2 or more split brain',
      labelNames: ['family', 'vrid', 'iname'], registers: [r],
      collect() {
        this.reset()
        for (const v of live()) this.set({family: String(v.family), vrid: String(v.vrid), iname: v.instance ?? ''}, v.holders.length)
      },
    })
    new Gauge({
      name: 'halctl_monitor_split_brain', help: '1 while a split-brain finding is active on the VRID (two routers advertise as master at the same time)',
      labelNames: ['family', 'vrid', 'iname'], registers: [r],
      collect() {
        this.reset()
        for (const v of live()) this.set({family: String(v.family), vrid: String(v.vrid), iname: v.instance ?? ''}, v.splitBrain ? 1 : 0)
      },
    })
    new Gauge({
      name: 'halctl_monitor_no_owner', help: '1 while nobody advertises for a VRID that had a master (the VIPs are held by no router)',
      labelNames: ['family', 'vrid', 'iname'], registers: [r],
      collect() {
        this.reset()
        for (const v of live()) this.set({family: String(v.family), vrid: String(v.vrid), iname: v.instance ?? ''}, v.noOwner ? 1 : 0)
      },
    })
    new Gauge({
      name: 'halctl_monitor_findings_active', help: 'active findings by code (every code of halctl sniff, 0 when none), deduplicated across sources',
      labelNames: ['code', 'severity'], registers: [r],
      collect() {
        this.reset()
        const n = new Map<string, number>()
        for (const f of model.firing()) n.set(f.finding.code, (n.get(f.finding.code) ?? 0) + 1)
        for (const [code, c] of Object.entries(FINDING_CATALOGUE)) this.set({code, severity: c.severity}, n.get(code) ?? 0)
      },
    })
    new Counter({
      name: 'keepalived_advertisements_received_total', help: 'VRRP adverts captured, per capture source (intf) and sending router',
      labelNames: ['iname', 'intf', 'vrid', 'router'], registers: [r],
      collect() {
        this.reset()
        for (const c of model.adverts()) this.inc({iname: inameOf(c.vrid), intf: c.source, vrid: String(c.vrid), router: c.router}, c.adverts)
      },
    })
    new Counter({
      name: 'halctl_monitor_advert_errors_total', help: 'captured adverts with a problem, by kind (the finding code: bad-ttl, bad-checksum, auth-mismatch, ...)',
      labelNames: ['intf', 'vrid', 'kind'], registers: [r],
      collect() {
        this.reset()
        for (const c of model.errors()) this.inc({intf: c.source, vrid: String(c.vrid ?? ''), kind: c.code}, c.count)
      },
    })
    for (const [code, name] of Object.entries(KEEPALIVED_ERRORS)) {
      new Counter({
        name, help: `captured adverts showing ${FINDING_CATALOGUE[code as FindingCode].title} (finding ${code}), per capture source`,
        labelNames: ['iname', 'intf', 'vrid'], registers: [r],
        collect() {
          this.reset()
          for (const c of model.errors()) if (c.code === code) this.inc({iname: c.vrid === null ? '' : inameOf(c.vrid), intf: c.source, vrid: String(c.vrid ?? '')}, c.count)
        },
      })
    }
    new Gauge({
      name: 'halctl_monitor_keepalived_state', help: "keepalived's own state of each instance on each node (its data dump): 0 init, 1 backup, 2 master, 3 fault",
      labelNames: ['node', 'iname'], registers: [r],
      collect() {
        this.reset()
        for (const k of model.keepalivedInstances()) this.set({node: k.node, iname: k.instance}, KEEPALIVED_STATE[k.state] ?? 0)
      },
    })
    new Gauge({
      name: 'halctl_monitor_keepalived_priority', help: "priority of each instance as keepalived on each node has it: kind base (configured) or effective (after track scripts and interfaces)",
      labelNames: ['node', 'iname', 'kind'], registers: [r],
      collect() {
        this.reset()
        for (const k of model.keepalivedInstances()) {
          if (k.priority !== null) this.set({node: k.node, iname: k.instance, kind: 'base'}, k.priority)
          if (k.effectivePriority !== null) this.set({node: k.node, iname: k.instance, kind: 'effective'}, k.effectivePriority)
        }
      },
    })
    new Gauge({
      name: 'halctl_monitor_keepalived_up', help: "1 when keepalived's data dump on the node was read at the last try (keepalived runs, the dump is its own)",
      labelNames: ['node'], registers: [r],
      collect() {
        this.reset()
        for (const k of state().keepalived) this.set({node: k.node}, k.read ? 1 : 0)
      },
    })
    new Gauge({
      name: 'halctl_monitor_source_up', help: '1 while the capture source (local interface, or a node over SSH) delivers, 0 during a gap',
      labelNames: ['source'], registers: [r],
      collect() {
        this.reset()
        for (const s of model.sources(clock())) this.set({source: s.name}, s.up ? 1 : 0)
      },
    })
    new Counter({
      name: 'halctl_monitor_source_gaps_total', help: 'capture sessions of the source that ended (SSH connection lost, tcpdump ended, capture failed)',
      labelNames: ['source'], registers: [r],
      collect() {
        this.reset()
        for (const s of model.sources(clock())) this.inc({source: s.name}, s.gaps)
      },
    })
    new Counter({
      name: 'halctl_monitor_source_gap_seconds_total', help: 'seconds the source was not delivering (the current gap included)',
      labelNames: ['source'], registers: [r],
      collect() {
        this.reset()
        for (const s of model.sources(clock())) this.inc({source: s.name}, s.gapSeconds)
      },
    })
    this.takeover = new Histogram({
      name: 'halctl_monitor_takeover_duration_seconds', help: "gap between the old master's last advert (or its resign) and the new master's first advert",
      labelNames: ['family', 'vrid'], buckets: TAKEOVER_BUCKETS, registers: [r],
    })
    this.alerts = new Counter({
      name: 'halctl_monitor_alerts_total', help: 'deduplicated alert events by finding code and status (firing, resolved, event)',
      labelNames: ['code', 'status'], registers: [r],
    })
  }

  /** a deduplicated alert event: counted; a takeover's measured gap goes into the histogram */
  observe(a: AlertEvent): void {
    this.alerts.inc({code: a.finding.code, status: a.status})
    const f = a.finding
    if (f.code === 'takeover' && f.measuredMs !== null) this.takeover.observe({family: String(f.family ?? ''), vrid: String(f.vrid ?? '')}, f.measuredMs / 1000)
  }

  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
