import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {lintFiles, type LintReport} from '../lint/files.js'
import {formatLintReport} from '../lint/format.js'

export type LintResult = LintReport

export default class Lint extends BaseCommand {
  static override summary = 'Check keepalived.conf files or a cluster spec: what keepalived -t rejects, known traps, and cross-node consistency.'
  static override description = `Give one keepalived.conf per node of a cluster (they are also checked against each other), or a cluster spec (.yaml/.yml), which is rendered per node as \`halctl init\` would and checked the same way.
Findings carry file:line, a severity, a rule id and a fix. Per config: values keepalived rejects (VRID, priority, advert_int ranges, addresses, unknown keywords with a did-you-mean, auth_pass over 8 characters, duplicate VRIDs), and traps (nopreempt with state MASTER, vrrp_strict with authentication or unicast, undefined or unused vrrp_script, scripts without enable_script_security, unfilled placeholders). Across nodes: VRID/auth/advert_int/VIP/version mismatches, equal priorities, two MASTERs, asymmetric unicast peers, track weights too small to move the VIP, VRID collisions between clusters.
Exit code: 0 clean (or warnings only), 1 warnings only with --strict, 2 errors.`

  static override examples = [
    '<%= config.bin %> lint /etc/keepalived/keepalived.conf',
    '<%= config.bin %> lint out/lb1/keepalived.conf out/lb2/keepalived.conf',
    '<%= config.bin %> lint cluster.yaml --strict',
    '<%= config.bin %> lint lb1.conf lb2.conf --json',
  ]

  static override strict = false

  static override args = {
    file: Args.string({description: 'keepalived.conf file(s), one per node, or a cluster spec (.yaml/.yml)', required: true}),
  }

  static override flags = {
    strict: Flags.boolean({summary: 'fail (exit 1) on warnings too'}),
    'config-id': Flags.string({summary: "keepalived's -i: keep @ID conditional lines for this id (default: host name; for a spec, each node's name)"}),
  }

  async run(): Promise<LintResult> {
    const {argv, flags} = await this.parse(Lint)
    const report = await lintFiles(argv as string[], {configId: flags['config-id']})
    if (!this.jsonEnabled()) this.log(formatLintReport(report))
    const {errors, warnings} = report.summary
    this.resultExitCode = errors > 0 ? ExitCode.BadInput : warnings > 0 && flags.strict ? ExitCode.Warnings : ExitCode.Ok
    return report
  }
}
