import {Flags} from '@oclif/core'
import {runDaemon, type RunResult} from '../engine/daemon.js'
import {RUN_FLAGS} from '../engine/run-flags.js'
import {BaseCommand} from '../lib/base-command.js'

export type {RunResult} from '../engine/daemon.js'

export default class Run extends BaseCommand {
  static override summary = 'Run the VRRP part of a keepalived.conf in userspace, as a keepalived peer.'
  static override description = [
    'Reads vrrp_instance, vrrp_script, vrrp_sync_group and static_ipaddress from a keepalived.conf and speaks VRRP v2/v3',
    'on the wire (libpcap capture and injection) with no keepalived installed. On MASTER it adds the virtual addresses',
    'and sends gratuitous ARP / unsolicited NA; on leaving MASTER or exiting it removes them.',
    'SIGTERM/SIGINT, loss of the terminal, an internal error: priority 0 advert, addresses removed, notify run, exit',
    '(also when the signal goes to the whole process group or cgroup). SIGHUP otherwise: reload the file, keeping the addresses that stay.',
    'virtual_server blocks are served by the userspace IPVS (TCP/UDP proxy with IPVS schedulers and keepalived checkers),',
    'listening on a vrrp_instance\'s VIPs while this node is MASTER for it.',
    'Needs root (raw capture, ip addr).',
    'Exit code: 0 stopped (SIGTERM, --duration), 130 stopped by SIGINT, 1 an internal error (the engine still stopped cleanly), 2 bad config or flags, 5 no root or no libpcap.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> run -f /etc/keepalived/keepalived.conf',
    '<%= config.bin %> run -f lb1.conf --config-id lb1 --json-status /run/halctl-run.sock',
    '<%= config.bin %> run -f lb1.conf --status-port 8765 --duration 60 --json',
  ]

  static override flags = {
    // -f as keepalived's own -f/--use-file; -s (the input file in every other command) is accepted too
    'use-file': Flags.string({...RUN_FLAGS['use-file'], charAliases: [...RUN_FLAGS['use-file'].charAliases]}),
    'config-id': Flags.string(RUN_FLAGS['config-id']),
    'json-status': Flags.string({...RUN_FLAGS['json-status'], exclusive: [...RUN_FLAGS['json-status'].exclusive]}),
    'status-port': Flags.integer(RUN_FLAGS['status-port']),
    duration: Flags.integer(RUN_FLAGS.duration),
  }

  async run(): Promise<RunResult> {
    const {flags} = await this.parse(Run)
    const {result, exitCode} = await runDaemon(flags, {json: this.jsonEnabled(), log: (l) => this.log(l), logToStderr: (l) => this.logToStderr(l)})
    this.resultExitCode = exitCode
    return result
  }
}
