import {Flags} from '@oclif/core'
import {loadCluster} from '../deploy/from-spec.js'
import {getTransport} from '../deploy/transport.js'
import {checkNodes, type NodeCheck} from '../doctor/nodes.js'
import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {checkLibpcap, checkTools, type ToolReport} from '../lib/tools.js'

export interface DoctorResult {
  root: boolean
  tools: ToolReport[]
  /** with -s: what each node needs for its rendered config and scripts, and whether it has it */
  nodes?: NodeCheck[]
}

export default class Doctor extends BaseCommand {
  static override summary = 'Check the tools halctl uses on this machine and, with -s, on every node of a cluster spec.'
  static override description = `This machine: the programs halctl drives (keepalived, ip, tcpdump, nft, iptables, firewall-cmd, sshd, arping, curl, rsyslogd), libpcap through the pcap addon (live capture, halctl run), and whether it runs as root.
With -s SPEC: each node over SSH, for what the config and scripts rendered for it need there: keepalived or a package manager to install it, ip, sysctl, a firewall tool, tcpdump (sniff --node, failover-test), sudo when the spec logs in as another user than root, rsyslog with spec logging, and every program the scripts call (curl, arping, logger, ...), each with the Debian package to install.
Exit code: 0 (this machine only: always, read the table or --json); with -s: 0 every node has what it needs, 5 a node lacks something, 4 a node could not be reached.`

  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor -s cluster.yaml', '<%= config.bin %> doctor -s .lab/lab/lab.yaml --accept-new']

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec: also check every node over SSH'}),
    'accept-new': Flags.boolean({summary: 'accept and record unknown SSH host keys (a changed key is always refused)'}),
  }

  async run(): Promise<DoctorResult> {
    const {flags} = await this.parse(Doctor)
    const [tools, libpcap] = await Promise.all([checkTools(), checkLibpcap()])
    const result: DoctorResult = {root: process.getuid?.() === 0, tools: [...tools, libpcap]}
    if (flags.spec) {
      const loaded = await loadCluster(flags.spec)
      result.nodes = await checkNodes(loaded.cluster, getTransport(), {sshConfigFile: loaded.sshConfigFile, knownHostsFile: loaded.knownHostsFile, acceptNew: flags['accept-new']})
      if (result.nodes.some((n) => !n.reachable)) this.resultExitCode = ExitCode.Remote
      else if (result.nodes.some((n) => n.checks.some((c) => !c.found))) this.resultExitCode = ExitCode.Environment
    }
    if (!this.jsonEnabled()) this.log(doctorText(result))
    return result
  }
}

function doctorText(r: DoctorResult): string {
  const out = [`this machine (running as root: ${r.root ? 'yes' : 'no'})`]
  for (const t of r.tools) out.push(`  ${t.found ? 'ok     ' : 'missing'} ${t.name.padEnd(13)} ${t.path ?? ''} ${t.version ?? ''}`.trimEnd())
  for (const n of r.nodes ?? []) {
    out.push('', `node ${n.node}`)
    if (!n.reachable) {
      out.push(`  unreachable: ${n.error}`, ...(n.hint ? [`  hint: ${n.hint}`] : []))
      continue
    }
    for (const c of n.checks) {
      out.push(`  ${c.found ? 'ok     ' : 'missing'} ${c.need.padEnd(13)} ${c.found ?? `${c.why}${c.apt ? `; install: apt-get install ${c.apt}` : ''}`}`.trimEnd())
    }
  }
  return out.join('\n')
}
