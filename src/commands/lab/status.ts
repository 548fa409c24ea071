import {BaseCommand} from '../../lib/base-command.js'
import {labFlags} from '../../lab/flags.js'
import {labStatus, type LabStatusResult} from '../../lab/lab.js'

export default class LabStatus extends BaseCommand {
  static override summary = 'List the lab hosts: addresses, sshd up/down, keepalived or the embedded engine running, VIPs held.'
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json']

  static override flags = {...labFlags}

  async run(): Promise<LabStatusResult> {
    const {flags} = await this.parse(LabStatus)
    const result = await labStatus({name: flags.name, stateDir: flags.dir})
    if (!this.jsonEnabled()) this.log((await import('../../ui/lab-view.js')).labStatusText(result))
    return result
  }
}
