import {Args} from '@oclif/core'
import {execa} from 'execa'
import {BaseCommand} from '../../lib/base-command.js'
import {HalError} from '../../lib/errors.js'
import {labFlags} from '../../lab/flags.js'
import {labHostArgv, resolveLabHost} from '../../lab/lab.js'

export interface LabExecResult {
  node: string
  command: string[]
  exitCode: number
  /** captured only with --json; otherwise the output goes straight to the terminal */
  stdout?: string
  stderr?: string
}

export default class LabExec extends BaseCommand {
  static override summary = 'Run a command on a lab host (its namespaces, /etc, /run and hostname), as root.'
  static override description = 'The exit code is the command\'s own. Put `--` before the command so its flags are not read as halctl flags.\nExit code: the command\'s, else 2 no such lab or node, 5 not root.'
  static override strict = false

  static override examples = ['<%= config.bin %> lab exec lb1 -- ip addr', '<%= config.bin %> lab exec lb2 -- cat /etc/keepalived/keepalived.conf']

  static override args = {
    node: Args.string({description: 'lab node (lb1, lb2, ...)', required: true}),
  }

  static override flags = {...labFlags}

  async run(): Promise<LabExecResult> {
    const {args, flags, argv} = await this.parse(LabExec)
    const command = (argv as string[]).slice(1)
    if (command.length === 0) throw new HalError('LAB_NO_COMMAND', 'give the command to run after the node', {hint: 'halctl lab exec lb1 -- hostname'})
    const host = await resolveLabHost({name: flags.name, stateDir: flags.dir, node: args.node})
    const full = labHostArgv(host, command)
    const capture = this.jsonEnabled()
    const r = await execa(full[0], full.slice(1), {reject: false, stdio: capture ? 'pipe' : 'inherit'})
    const exitCode = r.exitCode ?? 1
    this.resultExitCode = exitCode
    return capture ? {node: host.name, command, exitCode, stdout: String(r.stdout), stderr: String(r.stderr)} : {node: host.name, command, exitCode}
  }
}
