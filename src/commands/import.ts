import {Args, Flags} from '@oclif/core'
import {formatImportReport} from '../import/format.js'
import {runImport, runRemoteImport, type ImportCommandResult} from '../import/index.js'
import {getTransport} from '../deploy/transport.js'
import {BaseCommand} from '../lib/base-command.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {redact} from '../lib/redact.js'

export type {ImportCommandResult}

export default class Import extends BaseCommand {
  static override summary = "Adopt a running cluster: each node's keepalived.conf (local files, or read over SSH) becomes one cluster spec."
  static override description = `Parses each node's keepalived.conf (includes resolved), pairs the nodes' vrrp_instances by VRID and interface, and writes one spec: shared values once; priority, router_id and unicast addresses per node. auth_pass values move to env:NAME references; the values go to a mode 0600 file beside the spec (-o web.yaml -> web.env) and are never printed. What the spec does not model is carried in raw, with a comment saying why, never dropped.
Before writing, halctl renders the spec again and checks that every node's config parses back to the same model as its original (keyword by keyword); the report says so per node, lists what went into raw, the scripts the configs run (copy them yourself), and the cross-node findings of halctl lint.
Over SSH (--node NAME=[USER@]HOST[:PORT], and/or -s SPEC for the SSH settings and nodes of another spec, e.g. a lab's lab.yaml; ssh_config and known_hosts as for deploy): halctl reads the file the running keepalived uses (its -f, else DAEMON_ARGS/KEEPALIVED_OPTIONS, the unit's ExecStart, a source install's default, else /etc/keepalived/keepalived.conf) with its -i config id, and every file it includes (globs expanded on the node); the spec keeps the SSH settings.
Node names: --node NAME, else --node-name in file order, else the configs' router_ids, else the file names. A node's address comes from unicast_src_ip or mcast_src_ip, else (over SSH) the node's address on the instance's interface; without any the spec holds a placeholder (192.0.2.N) to replace before deploying.
Exit code: 0 imported and round-trips, 2 bad input or the configs have errors (the spec is still written), 1 the spec does not render the originals back (see "unrepresented").`

  static override examples = [
    '<%= config.bin %> import lb1/keepalived.conf lb2/keepalived.conf -o web.yaml',
    '<%= config.bin %> import /etc/keepalived/keepalived.conf --node-name lb1 --cluster web -o web.yaml',
    '<%= config.bin %> import lb1.conf lb2.conf --json',
    '<%= config.bin %> import --node lb1=root@10.0.0.11 --node lb2=root@10.0.0.12 -o web.yaml',
    '<%= config.bin %> import -s .lab/lab/lab.yaml -o adopted.yaml',
    'set -a; . ./web.env; set +a; <%= config.bin %> init -s web.yaml -o out/ --dry-run',
  ]

  static override strict = false

  static override args = {
    file: Args.string({description: 'keepalived.conf of each node (or read them over SSH with --node / -s)'}),
  }

  static override flags = {
    out: Flags.string({char: 'o', summary: 'write the spec here (and the secrets to NAME.env beside it); default: print the spec'}),
    'node-name': Flags.string({summary: 'name of the node of each file, in file order (repeatable)', multiple: true}),
    cluster: Flags.string({summary: 'cluster name for the spec', default: 'imported'}),
    'config-id': Flags.string({summary: "keepalived's -i: keep @ID conditional lines for this id (default: host name)"}),
    force: Flags.boolean({summary: 'overwrite an existing spec or env file'}),
    node: Flags.string({summary: 'read this node over SSH: NAME=[USER@]HOST[:PORT] (repeatable)', multiple: true}),
    spec: Flags.string({char: 's', summary: "read over SSH the nodes of this spec, with its SSH settings (e.g. a lab's lab.yaml)"}),
    'accept-new': Flags.boolean({summary: 'accept and record unknown SSH host keys (a changed key is always refused)'}),
  }

  async run(): Promise<ImportCommandResult> {
    const {argv, flags} = await this.parse(Import)
    const files = argv as string[]
    const names = flags['node-name'] ?? []
    const remote = flags.node !== undefined || flags.spec !== undefined
    if (remote && (files.length || names.length || flags['config-id'])) {
      throw new HalError('BAD_FLAG', 'give either files (with --node-name, --config-id) or nodes to read over SSH (--node, -s), not both', {exitCode: ExitCode.BadInput})
    }
    if (!remote && files.length === 0) {
      throw new HalError('BAD_FLAG', 'nothing to import', {hint: 'halctl import lb1.conf lb2.conf, or halctl import --node lb1=root@10.0.0.11 --node lb2=root@10.0.0.12', exitCode: ExitCode.BadInput})
    }
    if (names.length > files.length) {
      throw new HalError('BAD_FLAG', `${names.length} --node-name for ${files.length} file(s)`, {hint: 'give at most one --node-name per file, in file order', exitCode: ExitCode.BadInput})
    }
    const {result, yaml} = remote
      ? await runRemoteImport(getTransport(), {sshFrom: flags.spec, nodes: flags.node ?? [], acceptNew: flags['accept-new'], out: flags.out, cluster: flags.cluster, force: flags.force})
      : runImport(
          files.map((file, i) => (names[i] ? {file, node: names[i]} : {file})),
          {out: flags.out, cluster: flags.cluster, configId: flags['config-id'], force: flags.force},
        )
    if (!this.jsonEnabled()) {
      if (!flags.out) this.log(redact(yaml))
      this.logToStderr(redact(formatImportReport(result)))
    }
    this.resultExitCode = result.summary.errors > 0 ? ExitCode.BadInput : result.summary.roundTrip ? ExitCode.Ok : ExitCode.Warnings
    return result
  }
}
