import {BaseCommand} from '../../lib/base-command.js'
import {labFlags} from '../../lab/flags.js'
import {labDown, type LabDownResult} from '../../lab/lab.js'

export default class LabDown extends BaseCommand {
  static override summary = 'Remove a lab: its processes, namespaces, links, bridge, /etc/netns dirs and state.'
  static override description =
    'Safe to run twice and after a crash: it works from the state recorded in /run/halctl-lab/<name>.json (or the state directory) and also sweeps anything named after the lab. Needs root.\nExit code: 0 removed (or nothing was there), 5 not root.'

  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --name demo']

  static override flags = {...labFlags}

  async run(): Promise<LabDownResult> {
    const {flags} = await this.parse(LabDown)
    const quiet = this.jsonEnabled()
    const result = await labDown({name: flags.name, stateDir: flags.dir, onProgress: quiet ? undefined : (m) => this.logToStderr(`  ${m}`)})
    if (!quiet) this.log(result.removedHosts.length > 0 || result.found ? `lab ${result.name} is down` : `lab ${result.name} was not up; nothing left to remove`)
    return result
  }
}
