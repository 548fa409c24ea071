import Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {templatesDir} from '../keepalived/render.js'
import {isValidAddress, isValidCidrOrAddress} from './addresses.js'
import {PRESET_NAMES, type PresetName} from './schema.js'

/** What a starter spec is filled with (flags or prompts). */
export interface PresetOptions {
  cluster: string
  interface: string
  nodes: {name: string; address: string}[]
  vips: string[]
  /** how halctl reaches the nodes (defaults.ssh), and an ssh_config/known_hosts (the spec's ssh block), e.g. a lab's */
  ssh: PresetSsh
}

export interface PresetSsh {
  user: string
  port: number
  identityFile?: string
  configFile?: string
  knownHostsFile?: string
  /** the spec these settings were taken from (named in a comment) */
  from?: string
}

export const PRESET_SUMMARIES: Record<PresetName, string> = {
  'active-passive': 'two nodes, one VIP: the first holds it, the second takes over',
  'active-active': 'two instances with mirrored priorities: one VIP per node, DNS round robin to both',
  'lvs-dr': 'LVS director pair, direct routing, HTTP/TCP checkers and a sorry server',
  'lvs-nat': 'LVS director pair, NAT, public VIP and gateway VIP in a sync group, TCP/MISC checkers',
  nginx: 'nginx front-end pair: check_web script (restart, else stop keepalived) and split-brain fencing',
  haproxy: 'HAProxy front-end pair: check_web script (restart, else stop keepalived) and split-brain fencing',
}

/** The values a preset uses when no flag or prompt gives one. */
export function presetDefaults(preset: PresetName): PresetOptions {
  return {
    cluster: 'web',
    interface: 'eth0',
    nodes: [
      {name: 'lb1', address: '10.0.0.11'},
      {name: 'lb2', address: '10.0.0.12'},
    ],
    vips: preset === 'active-active' ? ['10.0.0.100/24', '10.0.0.101/24'] : ['10.0.0.100/24'],
    ssh: {user: 'root', port: 22},
  }
}

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(s)
}

/** Parse `name=address` (or a bare address, named lbN). */
export function parseNodeFlag(value: string, index: number): {name: string; address: string} {
  const [a, b] = value.includes('=') ? value.split('=', 2) : [`lb${index + 1}`, value]
  if (!/^[A-Za-z0-9_.-]+$/.test(a) || !isValidAddress(b)) {
    throw new HalError('BAD_FLAG', `--node ${value}: expected NAME=ADDRESS, e.g. lb1=10.0.0.11`, {exitCode: ExitCode.BadInput})
  }
  return {name: a, address: b}
}

function checkOptions(preset: PresetName, o: PresetOptions): void {
  const bad = (m: string, hint?: string) => new HalError('BAD_FLAG', m, {exitCode: ExitCode.BadInput, hint})
  if (!/^[A-Za-z0-9_.-]+$/.test(o.cluster)) throw bad(`cluster name "${o.cluster}" may hold only letters, digits, "_", "." and "-"`)
  if (o.nodes.length < 2) throw bad(`preset ${preset} needs at least two nodes`, 'give --node NAME=ADDRESS twice')
  for (const v of o.vips) if (!isValidCidrOrAddress(v)) throw bad(`VIP "${v}" is not an address with optional /prefix`)
  const need = preset === 'active-active' ? 2 : 1
  if (o.vips.length < need) throw bad(`preset ${preset} needs ${need} VIPs`, 'give --vip ADDRESS/PREFIX')
  if (!/^[\w.:-]{1,15}$/.test(o.interface)) throw bad(`interface "${o.interface}" is not a valid interface name`)
}

/** A commented starter spec (YAML text) for a preset, from templates/presets/. */
export function presetSpecText(preset: PresetName, options: Partial<PresetOptions> = {}): string {
  const o = {...presetDefaults(preset), ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)))} as PresetOptions
  checkOptions(preset, o)
  const env = Handlebars.create()
  const opts = {noEscape: true, strict: true}
  const dir = join(templatesDir(), 'presets')
  env.registerPartial('nodes', env.compile(readFileSync(join(dir, '_nodes.hbs'), 'utf8'), opts))
  const file = preset === 'nginx' || preset === 'haproxy' ? 'frontend' : preset
  const template = env.compile(readFileSync(join(dir, `${file}.yaml.hbs`), 'utf8'), opts)
  // every key present for the strict templates; paths quoted for YAML
  const q = (v: string | undefined): string => (v === undefined ? '' : JSON.stringify(v))
  const defaults = `{user: ${o.ssh.user}, port: ${o.ssh.port}${o.ssh.identityFile ? `, identityFile: ${q(o.ssh.identityFile)}` : ''}}`
  const ssh = {defaults, configFile: q(o.ssh.configFile), knownHostsFile: q(o.ssh.knownHostsFile), from: o.ssh.from ?? ''}
  const text = template({...o, ssh, preset, vip0: o.vips[0].split('/')[0], service: preset, url: 'http://127.0.0.1/'})
  return text.endsWith('\n') ? text : `${text}\n`
}
