import {Flags} from '@oclif/core'
import {fileSource, liveSource, mergedSource, remoteSource, type PacketSource} from '../capture/sources.js'
import {BaseCommand} from '../lib/base-command.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {findingLine, renderSummary} from '../sniff/format-summary.js'
import {connectSpecNodes} from '../sniff/remote-node.js'
import {runSniff, type PacketOutput, type SniffSummary} from '../sniff/service.js'

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
    read: Flags.string({char: 'r', summary: 'read a pcap or pcapng file', exclusive: ['interface', 'node']}),
    interface: Flags.string({char: 'i', summary: 'capture live on this interface (root or CAP_NET_RAW)', exclusive: ['read', 'node']}),
    node: Flags.string({
      summary: 'capture on this node of the cluster spec over SSH (tcpdump -U -w -); repeatable: all at once, a packet seen on several nodes counted once',
      multiple: true,
      exclusive: ['read', 'interface'],
      dependsOn: ['spec'],
    }),
    spec: Flags.string({char: 's', summary: 'cluster spec (for --node)'}),
    'remote-interface': Flags.string({summary: "interface to capture on the node (default: the node's VRRP interface from the spec)"}),
    format: Flags.string({summary: 'per-packet output: tcpdump (as tcpdump -n), json (NDJSON), table (live view), none', options: ['tcpdump', 'json', 'table', 'none']}),
    verbose: Flags.boolean({char: 'v', summary: 'with --format tcpdump: as tcpdump -n -v'}),
    'show-auth': Flags.boolean({summary: 'with -v: print VRRPv2 simple passwords as tcpdump does (masked otherwise)'}),
    summary: Flags.boolean({summary: 'print per-VRID statistics and all findings at the end (alone: no per-packet output)'}),
    count: Flags.integer({char: 'c', summary: 'stop after this many packets', min: 1}),
    duration: Flags.string({summary: 'stop after this many seconds (capture time for files)'}),
    write: Flags.string({char: 'w', summary: 'also save the captured frames to this pcap file'}),
    'flap-count': Flags.integer({summary: 'flapping: more master changes than this in the window', default: 3, min: 1}),
    'flap-window': Flags.string({summary: 'flapping window in seconds', default: '60'}),
  }

  protected override logJson(json: unknown): void {
    // NDJSON: the summary is one line like the packet and finding records before it
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<SniffResult> {
    const {flags} = await this.parse(Sniff)
    const json = this.jsonEnabled()
    const durationMs = seconds('--duration', flags.duration)
    const flapWindowMs = seconds('--flap-window', flags['flap-window'])
    let output: PacketOutput | 'table'
    if (json) output = flags.summary ? 'none' : 'json'
    else if (flags.format) output = flags.format as PacketOutput | 'table'
    else if (flags.summary) output = 'none'
    else output = process.stdout.isTTY ? 'table' : 'tcpdump'

    const closers: Array<() => Promise<void>> = []
    let source: PacketSource
    if (flags.read) source = fileSource(flags.read)
    else if (flags.interface) source = liveSource(flags.interface)
    else if (flags.node?.length) {
      const {captures, close} = await connectSpecNodes(flags.spec!, flags.node, flags['remote-interface'])
      closers.push(close)
      const sources = captures.map(({host, iface}) => remoteSource(host, iface))
      source = sources.length === 1 ? sources[0] : mergedSource(sources)
    } else {
      throw new HalError('SNIFF_NO_INPUT', 'nothing to read: give -r FILE, -i IFACE or --node NAME -s SPEC', {
        hint: 'e.g. halctl sniff -r capture.pcap --summary',
      })
    }

    const ac = new AbortController()
    const onSigint = () => ac.abort()
    // on, not once: with our listener gone, ink's exit handler re-raises the signal and the summary is lost
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    let view: {update(tracker: Parameters<NonNullable<Parameters<typeof runSniff>[0]['onUpdate']>>[0], packets?: number): void; done(): void} | undefined
    if (output === 'table') view = await import('../ui/sniff-live.js').then((m) => m.startSniffView(source.label, source.live))
    let summary: SniffSummary
    try {
      summary = await runSniff({
        source,
        output: output === 'table' ? 'none' : output,
        verbose: flags.verbose,
        showAuth: flags['show-auth'],
        count: flags.count,
        durationMs,
        writeFile: flags.write,
        signal: ac.signal,
        flapCount: flags['flap-count'],
        flapWindowMs,
        write: (chunk) => void process.stdout.write(chunk),
        onFinding: output === 'tcpdump' && !json ? (event, f) => void process.stderr.write(`${findingLine(event, f)}\n`) : undefined,
        onUpdate: view ? (t) => view!.update(t) : undefined,
      })
    } finally {
      process.removeListener('SIGINT', onSigint)
      process.removeListener('SIGTERM', onSigint)
      view?.done()
      for (const c of closers) await c()
    }
    if (!json && (flags.summary || output === 'table')) this.log(renderSummary(summary))
    this.resultExitCode = summary.errors ? ExitCode.Finding : ExitCode.Ok
    return summary
  }
}

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) {
    throw new HalError('BAD_FLAG', `${flag} ${v}: not a positive number of seconds`, {hint: `e.g. ${flag} 30 or ${flag} 0.5`})
  }
  return n * 1000
}
