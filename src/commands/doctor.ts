import {BaseCommand} from '../lib/base-command.js'
import {checkTools, type ToolReport} from '../lib/tools.js'

export interface DoctorResult {
  root: boolean
  tools: ToolReport[]
}

export default class Doctor extends BaseCommand {
  static override summary = 'Show which system tools halctl can use on this machine.'
  static override description =
    'Checks for the programs halctl drives (keepalived, tcpdump, nft, iptables, sshd, ip) and whether it runs as root. Exit code 0 always; read the table or --json.'

  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run(): Promise<DoctorResult> {
    await this.parse(Doctor)
    const result: DoctorResult = {root: process.getuid?.() === 0, tools: await checkTools()}
    if (!this.jsonEnabled()) {
      this.log(`running as root: ${result.root ? 'yes' : 'no'}`)
      for (const t of result.tools) this.log(`${t.found ? 'ok     ' : 'missing'} ${t.name.padEnd(12)} ${t.path ?? ''} ${t.version ?? ''}`.trimEnd())
    }
    return result
  }
}
