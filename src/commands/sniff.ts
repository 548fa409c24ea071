import {Flags} from '@oclif/core'
import {BaseCommand} from '../lib/base-command.js'
import {sniffCommand} from '../sniff/command.js'
import {SNIFF_FLAGS} from '../sniff/flags.js'
import type {SniffSummary} from '../sniff/service.js'

export type SniffResult = SniffSummary

export default class Sniff extends BaseCommand {
  static override summary = 'Decode VRRP (live, from a pcap/pcapng file, or on a node over SSH) and find split brain and misconfiguration.'
  static override description = `Reads VRRPv2/v3 over IPv4/IPv6 from a capture file (-r), a local interface (-i, needs root) or a node of a cluster spec over SSH (--node NAME -s spec.yaml; tcpdump runs there and the packets are decoded here: the only way to see unicast VRRP between two nodes).
Per packet: --format tcpdump prints exactly what \`tcpdump -n\` prints (with -v, \`tcpdump -n -v\`); --json prints one NDJSON object per packet and per finding, then the summary object. On a terminal the default is a live table per (interface, VRID) with a findings pane.
Findings: split brain, silent master (and who should take over), resigned master and the measured takeover gap, flapping, config mismatch between routers (VIPs, advert interval, auth, version), VRID collision, bad TTL/checksum, truncated, unknown version/type, auth in v3, address count mismatch, priority 255, equal priorities.
--summary prints per-VRID statistics and all findings at the end (end of file, Ctrl-C, --count or --duration). Exit code 3 when an error finding was seen, else 0.`

  static override examples = [
    '<%= config.bin %> sniff -r capture.pcap --format tcpdump -v',
    '<%= config.bin %> sniff -r capture.pcapng --summary',
    'sudo <%= config.bin %> sniff -i eth0',
    'sudo <%= config.bin %> sniff -i eth0 --duration 30 --summary --write vrrp.pcap',
    '<%= config.bin %> sniff --node lb1 -s cluster.yaml --json',
  ]

  static override flags = {
    read: Flags.string({...SNIFF_FLAGS.read, exclusive: [...SNIFF_FLAGS.read.exclusive]}),
    interface: Flags.string({...SNIFF_FLAGS.interface, exclusive: [...SNIFF_FLAGS.interface.exclusive]}),
    node: Flags.string({...SNIFF_FLAGS.node, multiple: true, exclusive: [...SNIFF_FLAGS.node.exclusive], dependsOn: [...SNIFF_FLAGS.node.dependsOn]}),
    spec: Flags.string(SNIFF_FLAGS.spec),
    'remote-interface': Flags.string(SNIFF_FLAGS['remote-interface']),
    format: Flags.string({...SNIFF_FLAGS.format, options: [...SNIFF_FLAGS.format.options]}),
    verbose: Flags.boolean(SNIFF_FLAGS.verbose),
    'show-auth': Flags.boolean(SNIFF_FLAGS['show-auth']),
    summary: Flags.boolean(SNIFF_FLAGS.summary),
    count: Flags.integer(SNIFF_FLAGS.count),
    duration: Flags.string(SNIFF_FLAGS.duration),
    write: Flags.string(SNIFF_FLAGS.write),
    'flap-count': Flags.integer(SNIFF_FLAGS['flap-count']),
    'flap-window': Flags.string(SNIFF_FLAGS['flap-window']),
  }

  protected override logJson(json: unknown): void {
    // NDJSON: the summary is one line like the packet and finding records before it
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<SniffResult> {
    const {flags} = await this.parse(Sniff)
    const {summary, exitCode} = await sniffCommand(flags, {json: this.jsonEnabled(), log: (line) => this.log(line)})
    this.resultExitCode = exitCode
    return summary
  }
}
