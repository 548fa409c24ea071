import {BaseCommand} from '../../lib/base-command.js'
import {labFlags} from '../../lab/flags.js'
import {labStatus, type LabStatusResult} from '../../lab/lab.js'

export default class LabStatus extends BaseCommand {
  static override summary = 'List the lab hosts: addresses, sshd up/down, keepalived or the embedded engine running, VIPs held.'
  static override description = `Reads the lab's recorded state (/run/halctl-lab/<name>.json or the state directory) and looks into each host: its address on the lab bridge, whether its sshd answers, whether keepalived or the embedded engine (lab up --engine embedded) runs and in which VRRP state, and which VIPs it holds.
Exit code: 0 the lab is listed, 2 no lab of that name is up.`

  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --name demo', '<%= config.bin %> lab status --json']

  static override flags = {...labFlags}

  async run(): Promise<LabStatusResult> {
    const {flags} = await this.parse(LabStatus)
    const result = await labStatus({name: flags.name, stateDir: flags.dir})
    if (!this.jsonEnabled()) this.log((await import('../../ui/lab-view.js')).labStatusText(result))
    return result
  }
}
