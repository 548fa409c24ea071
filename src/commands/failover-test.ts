import {Flags} from '@oclif/core'
import {renderToString} from 'ink'
import {nameWriteFlag, writeFileSafeAsync} from '../lib/safe-write.js'
import {createElement} from 'react'
import {loadCluster} from '../deploy/from-spec.js'
import {getTransport} from '../deploy/transport.js'
import {FAULTS, type FaultKind} from '../failover/expectations.js'
import {failoverReportHtml, ms} from '../failover/report.js'
import {runFailoverTest, type FailoverResult, type RoundResult} from '../failover/run.js'
import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {FailoverView} from '../ui/failover-view.js'
import {outputColumns} from '../ui/text.js'

/** The --json payload: everything measured, without the raw event lists (see --report for those). */
export type FailoverTestResult = Omit<FailoverResult, 'rounds'> & {rounds: Array<Omit<RoundResult, 'events'> & {eventCount: number}>; report?: string}

export default class FailoverTest extends BaseCommand {
  static override summary = 'Inject a fault on the master and measure how long the VIP takes to move and how long clients were cut off.'
  static override description = `Preflight: every node reachable, keepalived running, firewall open, one master. Then, per round: capture VRRP on a backup (tcpdump over SSH), watch addresses on every node (ip monitor), optionally probe the service through the VIP, inject the fault on the master, measure the takeover and compare it with the protocol (Master_Down_Interval, or Skew_Time after a clean stop), restore the fault and check preempt or nopreempt as the spec says.
Faults: stop (clean stop: priority 0 is sent), kill (SIGKILL: no goodbye), block (nftables drops VRRP out of the master: split brain by construction), link (the interface goes down for a while and comes back by itself), script (the track script is made to fail).
A fault is always undone, also on Ctrl-C or an error.
Exit code: 0 every round passed, 3 a verdict failed or the cluster was unhealthy (without --force), 2 bad spec or flags, 4 a node could not be reached, 130 interrupted (the fault was undone).`

  static override examples = [
    '<%= config.bin %> failover-test -s cluster.yaml',
    '<%= config.bin %> failover-test -s cluster.yaml --fault stop --fault kill --rounds 3 --probe http://10.0.0.100/ --report failover.html',
    '<%= config.bin %> failover-test -s cluster.yaml --fault block --json',
  ]

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec (YAML)', required: true}),
    instance: Flags.string({summary: 'vrrp instance to test (default: the first)'}),
    fault: Flags.string({summary: 'fault to inject (repeatable)', options: [...FAULTS], multiple: true, default: ['kill']}),
    rounds: Flags.integer({summary: 'rounds per fault', default: 1, min: 1, max: 100}),
    probe: Flags.string({summary: 'probe the service through the VIP: http://VIP:PORT/path or tcp://VIP:PORT'}),
    'probe-interval': Flags.integer({summary: 'milliseconds between probes', default: 20, min: 10, max: 1000}),
    report: Flags.string({summary: 'write an HTML report with a timeline picture per round'}),
    force: Flags.boolean({summary: 'run even when the preflight finds the cluster unhealthy'}),
  }

  async run(): Promise<FailoverTestResult> {
    const {flags} = await this.parse(FailoverTest)
    const loaded = await loadCluster(flags.spec)
    const transport = await getTransport()
    const stop = this.abortOnSignals({once: true})
    let result: FailoverResult
    try {
      result = await runFailoverTest(loaded.cluster, transport, {
        instance: flags.instance,
        faults: flags.fault as FaultKind[],
        rounds: flags.rounds,
        probe: flags.probe,
        probeIntervalMs: flags['probe-interval'],
        force: flags.force,
        sshConfigFile: loaded.sshConfigFile,
        knownHostsFile: loaded.knownHostsFile,
        signal: stop.signal,
        onProgress: (m) => {
          if (!this.jsonEnabled()) this.logToStderr(m)
        },
        onRound: (r) => {
          if (!this.jsonEnabled()) this.logToStderr(`  round ${r.index} ${r.fault}: VIP moved ${ms(r.measurement.vipMovedMs)} (expected ${ms(r.expectation.minMs)}..${ms(r.expectation.maxMs)}) ${r.verdict.ok ? 'PASS' : 'FAIL'}`)
        },
      })
    } finally {
      stop.release()
    }
    if (flags.report) {
      await writeFileSafeAsync(flags.report, failoverReportHtml(result)).catch((e: unknown) => {
        throw nameWriteFlag(e, '--report')
      })
    }
    if (!this.jsonEnabled()) this.log(renderToString(createElement(FailoverView, {result}), {columns: outputColumns()}))
    if (!result.ok) this.resultExitCode = ExitCode.Finding
    return {...result, rounds: result.rounds.map(({events, ...r}) => ({...r, eventCount: events.length})), report: flags.report}
  }
}
