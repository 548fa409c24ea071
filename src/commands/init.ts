import {Flags} from '@oclif/core'
import {render, renderToString} from 'ink'
import {homedir} from 'node:os'
import {dirname, resolve} from 'node:path'
import {createElement} from 'react'
import {initFromSpec, type InitRenderResult} from '../init/render-spec.js'
import {writeStarterSpec, type InitSpecResult} from '../init/starter.js'
import {BaseCommand} from '../lib/base-command.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {redact} from '../lib/redact.js'
import {isValidCidrOrAddress} from '../net/address.js'
import {loadSpec, PRESET_NAMES, type PresetName} from '../spec/index.js'
import {parseEndpointFlag, parseNodeFlag, presetDefaults, PRESET_SUMMARIES, type PresetOptions} from '../spec/presets.js'
import {InitPrompt, type PromptField} from '../ui/init-prompt.js'
import {InitSummary} from '../ui/init-summary.js'
import {outputColumns} from '../ui/text.js'

export type InitResult = InitSpecResult | InitRenderResult
export type {InitRenderResult, InitSpecResult}

export default class Init extends BaseCommand {
  static override summary = 'Write a starter cluster spec from a preset, or render a spec into matched keepalived.conf files per node.'
  static override description = `Two modes.

--preset NAME writes a commented starter spec (to -o FILE, or stdout). Presets:
${PRESET_NAMES.map((p) => `  ${p.padEnd(15)} ${PRESET_SUMMARIES[p]}`).join('\n')}
--cluster, --node NAME=ADDRESS and --vip fill it in; on a terminal (and not in CI) halctl asks for what the flags leave out.

-s SPEC -o DIR renders the spec: DIR/<node>/keepalived.conf and every script it refers to, under DIR/<node>/scripts/ at their path on the node (executable). VRIDs, state, priority, router_id and unicast peers are derived so the nodes match. A file edited since halctl wrote it is never overwritten without --force. --dry-run prints a unified diff and writes nothing.
Exit code: 0 done, 2 bad spec, flags, or edited output files, 5 no room (or no right) to write the output: nothing was replaced.`

  static override examples = [
    '<%= config.bin %> init --preset nginx -o cluster.yaml',
    '<%= config.bin %> init --preset active-passive --cluster db --node db1=10.0.0.11 --node db2=10.0.0.12 --vip 10.0.0.100/24 -o db.yaml',
    '<%= config.bin %> init --preset nginx --ssh-from .lab/lab/lab.yaml -o web.yaml',
    '<%= config.bin %> init -s cluster.yaml -o out/',
    '<%= config.bin %> init -s cluster.yaml -o out/ --dry-run',
    '<%= config.bin %> init -s cluster.yaml -o out/ --json',
  ]

  static override flags = {
    spec: Flags.string({char: 's', summary: 'cluster spec (YAML) to render', exclusive: ['preset']}),
    out: Flags.string({char: 'o', summary: 'output: a directory with -s (default: out), a spec file with --preset (default: stdout)'}),
    preset: Flags.string({summary: 'write a starter spec for this layout', options: [...PRESET_NAMES]}),
    cluster: Flags.string({summary: 'cluster name for the starter spec', dependsOn: ['preset']}),
    node: Flags.string({summary: 'NAME=ADDRESS of a node for the starter spec (repeatable, first = MASTER)', multiple: true, dependsOn: ['preset']}),
    vip: Flags.string({summary: 'a VIP (ADDRESS/PREFIX) for the starter spec (repeatable)', multiple: true, dependsOn: ['preset']}),
    'ssh-from': Flags.string({summary: 'take SSH settings (user, key, ssh_config, known_hosts), nodes and interface from this spec, e.g. a lab\'s .lab/NAME/lab.yaml; flags still win', dependsOn: ['preset']}),
    interface: Flags.string({char: 'i', summary: 'VRRP interface for the starter spec', dependsOn: ['preset']}),
    'real-server': Flags.string({summary: 'lvs-dr, lvs-nat: a real server ADDRESS[:PORT] (repeatable; default: placeholders in the VIP\'s or gateway\'s network, marked as such)', multiple: true, dependsOn: ['preset']}),
    'sorry-server': Flags.string({summary: 'lvs-dr, lvs-nat: the sorry server ADDRESS[:PORT]', dependsOn: ['preset']}),
    'gateway-vip': Flags.string({summary: "lvs-nat: the real servers' default gateway, held by the directors (ADDRESS/PREFIX)", dependsOn: ['preset']}),
    'internal-interface': Flags.string({summary: "lvs-nat: the directors' interface on the real servers' network (default eth1)", dependsOn: ['preset']}),
    force: Flags.boolean({summary: 'overwrite files edited since halctl wrote them (or an existing spec file)'}),
    'dry-run': Flags.boolean({summary: 'show a unified diff of what would change and write nothing'}),
  }

  async run(): Promise<InitResult> {
    const {flags} = await this.parse(Init)
    if (flags.preset) return this.starter(flags.preset as PresetName, flags)
    if (!flags.spec) {
      throw new HalError('BAD_FLAG', 'give a spec to render (-s cluster.yaml) or a preset to start from (--preset NAME)', {
        hint: `presets: ${PRESET_NAMES.join(', ')}`,
        exitCode: ExitCode.BadInput,
      })
    }
    const result = await initFromSpec(flags.spec, flags.out ?? 'out', {dryRun: flags['dry-run'], force: flags.force})
    if (!this.jsonEnabled()) {
      if (result.diff) this.log(result.diff.trimEnd())
      this.log(renderToString(createElement(InitSummary, {result}), {columns: outputColumns()}))
    }
    return result
  }

  private async starter(
    preset: PresetName,
    flags: {
      out?: string
      cluster?: string
      node?: string[]
      vip?: string[]
      interface?: string
      'ssh-from'?: string
      'real-server'?: string[]
      'sorry-server'?: string
      'gateway-vip'?: string
      'internal-interface'?: string
      force: boolean
      'dry-run': boolean
    },
  ): Promise<InitSpecResult> {
    const from: Partial<PresetOptions> = flags['ssh-from'] ? await sshFrom(flags['ssh-from']) : {}
    let options: Partial<PresetOptions> = {
      cluster: flags.cluster,
      interface: flags.interface ?? from.interface,
      nodes: flags.node?.map((n, i) => parseNodeFlag(n, i)) ?? from.nodes,
      vips: flags.vip,
      realServers: flags['real-server']?.map((v) => parseEndpointFlag('real-server', v)),
      sorryServer: flags['sorry-server'] === undefined ? undefined : parseEndpointFlag('sorry-server', flags['sorry-server']),
      gatewayVip: flags['gateway-vip'],
      internalInterface: flags['internal-interface'],
      ssh: from.ssh,
    }
    const missing = options.cluster === undefined || options.nodes === undefined || options.vips === undefined
    if (missing && this.canPrompt()) options = await this.ask(preset, options)
    const result = writeStarterSpec(preset, options, flags['dry-run'] ? undefined : flags.out, {force: flags.force})
    if (!this.jsonEnabled()) {
      if (result.path) this.log(`wrote ${result.path}: ${preset} spec for cluster ${result.cluster} (${result.nodes.map((n) => n.name).join(', ')}); render it with: halctl init -s ${result.path} -o out/`)
      else process.stdout.write(redact(result.text))
    }
    return result
  }

  /** Prompts only on a terminal, never in CI or with --json. */
  private canPrompt(): boolean {
    // CI set at all (even empty) is how ink recognises CI, where it draws only the last frame
    const ci = process.env.CI !== undefined && process.env.CI !== '0' && process.env.CI !== 'false'
    return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !ci && !this.jsonEnabled()
  }

  private async ask(preset: PresetName, given: Partial<PresetOptions>): Promise<Partial<PresetOptions>> {
    const d = presetDefaults(preset)
    const fields: PromptField[] = []
    if (given.cluster === undefined) fields.push({key: 'cluster', label: 'cluster name', initial: d.cluster, check: (v) => (/^[A-Za-z0-9_.-]+$/.test(v) ? undefined : 'letters, digits, "_", "." and "-" only')})
    if (given.nodes === undefined) {
      fields.push({
        key: 'nodes',
        label: 'nodes (NAME=ADDRESS, space separated, first = MASTER)',
        initial: d.nodes.map((n) => `${n.name}=${n.address}`).join(' '),
        check: (v) => {
          try {
            const list = v.trim().split(/\s+/).map((n, i) => parseNodeFlag(n, i))
            return list.length < 2 ? 'give at least two nodes' : undefined
          } catch (e) {
            return (e as Error).message
          }
        },
      })
    }
    if (given.vips === undefined) {
      fields.push({key: 'vips', label: 'VIPs (ADDRESS/PREFIX, space separated)', initial: d.vips.join(' '), check: (v) => (v.trim().split(/\s+/).every(isValidCidrOrAddress) ? undefined : 'each VIP is ADDRESS/PREFIX')})
    }
    let answers: Record<string, string> | undefined
    const app = render(createElement(InitPrompt, {title: `halctl init --preset ${preset}`, fields, onDone: (a) => (answers = a)}))
    await app.waitUntilExit()
    if (!answers) throw new HalError('ABORTED', 'cancelled; nothing was written', {exitCode: ExitCode.Interrupted})
    const a = answers as Record<string, string>
    return {
      ...given,
      cluster: given.cluster ?? a.cluster,
      nodes: given.nodes ?? a.nodes.trim().split(/\s+/).map((n, i) => parseNodeFlag(n, i)),
      vips: given.vips ?? a.vips.trim().split(/\s+/),
    }
  }
}

/** SSH settings, nodes and interface of another spec (a lab's lab.yaml), its paths made absolute. */
async function sshFrom(path: string): Promise<Pick<PresetOptions, 'ssh' | 'nodes' | 'interface'>> {
  const spec = await loadSpec(path)
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(dirname(path), p.replace(/^~(?=\/)/, homedir())))
  const d = spec.defaults?.ssh
  return {
    ssh: {user: d?.user ?? 'root', port: d?.port ?? 22, identityFile: abs(d?.identityFile), configFile: abs(spec.ssh?.configFile), knownHostsFile: abs(spec.ssh?.knownHostsFile), from: path},
    nodes: spec.nodes.map((n) => ({name: n.name, address: n.address})),
    interface: spec.defaults?.interface ?? 'eth0',
  }
}
