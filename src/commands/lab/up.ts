import {Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/base-command.js'
import {parseLabUserFlag} from '../../lab/files.js'
import {DEFAULT_ENGINE_TIMEOUT_S} from '../../lab/embedded.js'
import {labFlags} from '../../lab/flags.js'
import {labUp, type LabUpResult} from '../../lab/lab.js'
import {HOST_INITS, type HostInit} from '../../lab/netns.js'
import {DEFAULT_LAB_SUBNET, LAB_ENGINES, MAX_HOSTS, MIN_HOSTS, type LabEngine} from '../../lab/plan.js'

export default class LabUp extends BaseCommand {
  static override summary = 'Bring up N local lab hosts (network namespaces with sshd) and write a ready cluster spec.'
  static override description = `Each host is a network namespace on a bridge with its own hostname, /etc/keepalived (and the other /etc paths deploy touches), /run, process list and firewall tables, and an OpenSSH sshd on its lab address. The root namespace gets a control address on the bridge.
Writes into the state directory: lab.yaml (cluster spec), ssh_config, known_hosts and the lab's key, so \`halctl deploy -s .lab/<name>/lab.yaml\` works at once. Refuses a subnet that overlaps an existing route. Needs root.
--engine keepalived (default) makes sure the keepalived package is installed; deploy writes the configs and starts it.
--engine embedded renders lab.yaml and starts the embedded VRRP engine (\`halctl run -f <host>/keepalived.conf --config-id <node>\`) on every host, no keepalived needed: \`lab status\` shows each engine's state and the VIP holder, \`lab down\` stops the engines (SIGTERM, then SIGKILL after 5 s). Each engine has --engine-timeout seconds (default ${DEFAULT_ENGINE_TIMEOUT_S}) to answer on its status socket; if one does not, the lab is removed again and the hosts' logs are kept in <dir>.failed. It runs the built halctl (npm run build first when working from a checkout).
--engine none brings up the hosts only.
--user NAME[:nopasswd|none] adds a login user on every host (key login with the lab key; :none gives it no sudo rights), and lab.yaml and ssh_config then log in as the first one, so deploy runs its commands through sudo -n. Each host has its own passwd, group, shadow and sudoers.d; sudo logs to the host's /run/sudo.log.
--package-root gives every host copy-on-write /usr, /var and /etc (overlays in the host's own mount namespace, gone with the host), so packages can be removed and installed on one host without touching this machine.\nExit code: 0 the lab is up, 2 bad flags, a subnet in use or the lab already up, 5 not root, a tool missing, or a host (sshd, engine) that did not start: what was made is removed again.`

  static override examples = [
    '<%= config.bin %> lab up',
    '<%= config.bin %> lab up -n 3 --subnet 10.213.1.0/24 --name demo',
    '<%= config.bin %> lab up --engine embedded',
    '<%= config.bin %> lab up --init sysv',
    '<%= config.bin %> lab up --init systemd',
    '<%= config.bin %> lab up --user ops --user guest:none',
    '<%= config.bin %> lab up --package-root',
    '<%= config.bin %> deploy -s .lab/lab/lab.yaml',
  ]

  static override flags = {
    ...labFlags,
    nodes: Flags.integer({char: 'n', description: `number of lab nodes (${MIN_HOSTS}..${MAX_HOSTS})`, default: 2, min: MIN_HOSTS, max: MAX_HOSTS, aliases: ['hosts'], deprecateAliases: true}),
    engine: Flags.string({
      description: 'keepalived: make sure the package is installed (deploy starts it); embedded: run `halctl run` on every host from the lab spec; none: hosts only',
      options: [...LAB_ENGINES],
      default: 'keepalived',
    }),
    subnet: Flags.string({description: 'IPv4 subnet of the lab bridge', default: DEFAULT_LAB_SUBNET}),
    init: Flags.string({
      description: "none: hosts without an init system (deploy runs keepalived with its own pid file); sysv: PID 1 is called init, so deploy manages keepalived with Debian's `service` and /etc/init.d script; systemd: PID 1 is systemd, deploy uses systemctl",
      options: [...HOST_INITS],
      default: 'none',
    }),
    user: Flags.string({description: 'login user besides root on every host, NAME[:nopasswd|none] (default nopasswd: passwordless sudo); repeatable; the spec logs in as the first', multiple: true}),
    'engine-timeout': Flags.integer({
      description: `--engine embedded: seconds each host's halctl run may take to answer on its status socket (a busy machine starts node slowly)`,
      default: DEFAULT_ENGINE_TIMEOUT_S,
      min: 1,
      max: 600,
    }),
    'package-root': Flags.boolean({description: 'copy-on-write /usr, /var and /etc per host, so packages can be installed and removed on a host alone', default: false}),
  }

  async run(): Promise<LabUpResult> {
    const {flags} = await this.parse(LabUp)
    const quiet = this.jsonEnabled()
    const users = (flags.user ?? []).map(parseLabUserFlag)
    const result = await labUp({
      name: flags.name,
      hosts: flags.nodes,
      subnet: flags.subnet,
      engine: flags.engine as LabEngine,
      init: flags.init as HostInit,
      users,
      packageRoot: flags['package-root'],
      engineTimeoutMs: flags['engine-timeout'] * 1000,
      stateDir: flags.dir,
      onProgress: quiet ? undefined : (m) => this.logToStderr(`  ${m}`),
    })
    if (!quiet) this.log((await import('../../ui/lab-view.js')).labUpText(result))
    return result
  }
}
