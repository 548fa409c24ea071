import Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {templatesDir} from '../keepalived/render.js'
import {bareAddress, hostInNetwork, isValidAddress, isValidCidrOrAddress, networkOf} from '../net/address.js'
import type {PresetName} from './schema.js'

/** What a starter spec is filled with (flags or prompts). */
export interface PresetOptions {
  cluster: string
  interface: string
  nodes: {name: string; address: string}[]
  vips: string[]
  /** lvs-dr, lvs-nat: the real servers (default: derived from the VIP's, or the gateway's, network) */
  realServers?: Endpoint[]
  /** lvs-dr, lvs-nat: the sorry server (default: derived like the real servers) */
  sorryServer?: Endpoint
  /** lvs-nat: the real servers' default gateway, a VIP on the internal interface (ADDRESS/PREFIX) */
  gatewayVip?: string
  /** lvs-nat: the interface on the real servers' network */
  internalInterface?: string
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

/** A real or sorry server: address and optional port. */
export interface Endpoint {
  ip: string
  port?: number
}

/** Parse `ADDRESS[:PORT]` (IPv6 as `[ADDRESS]:PORT`). */
export function parseEndpointFlag(flag: string, value: string): Endpoint {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value) ?? [value, value, undefined]
  const ip = m[1]
  const port = m[2] === undefined ? undefined : Number(m[2])
  if (!isValidAddress(ip) || (port !== undefined && (port < 1 || port > 65535))) {
    throw new HalError('BAD_FLAG', `--${flag} ${value}: expected ADDRESS or ADDRESS:PORT, e.g. 10.0.0.21:80`, {exitCode: ExitCode.BadInput})
  }
  return {ip, ...(port !== undefined ? {port} : {})}
}

export const PRESET_SUMMARIES: Record<PresetName, string> = {
  'active-passive': 'two nodes, one VIP: the first holds it, the second takes over',
  'active-active': 'two instances with mirrored priorities: one VIP per node, DNS round robin to both',
  'lvs-dr': 'LVS director pair, direct routing, HTTP/TCP checkers and a sorry server',
  'lvs-nat': 'LVS director pair, NAT, public VIP and gateway VIP in a sync group, TCP/MISC checkers',
  nginx: 'nginx front-end pair: check_web script (lowers the priority, restarts the service) and split-brain fencing',
  haproxy: 'HAProxy front-end pair: check_web script (lowers the priority, restarts the service) and split-brain fencing',
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
    ...(preset === 'lvs-nat' ? {gatewayVip: '192.168.10.1/24', internalInterface: 'eth1'} : {}),
    ssh: {user: 'root', port: 22},
  }
}

/** Host offsets of the placeholder real servers and sorry server in a network. */
const RS_OFFSETS = [21, 22]
const SORRY_OFFSET = 30

/**
 * The LVS presets' servers: the ones the flags give, else placeholders in the
 * network they belong to (the VIP's for DR, the gateway's for NAT), with a
 * comment that says so, so a rendered spec never points at a network the user
 * did not name.
 */
function lvsServers(preset: PresetName, o: PresetOptions): {realServers: Required<Endpoint>[]; sorryServer: Required<Endpoint>; serversNote: string} {
  const base = preset === 'lvs-nat' ? o.gatewayVip! : o.vips[0]
  if (!base.includes('/')) throw new HalError('BAD_FLAG', `${preset === 'lvs-nat' ? '--gateway-vip' : '--vip'} ${base} has no /prefix to place the real servers in`, {exitCode: ExitCode.BadInput, hint: 'give ADDRESS/PREFIX, or the servers with --real-server and --sorry-server'})
  const where = preset === 'lvs-nat' ? `the gateway's network ${networkOf(base)}` : `the VIP's network ${networkOf(base)}`
  const place = (offset: number): Endpoint => {
    const ip = hostInNetwork(base, offset)
    if (!ip) throw new HalError('BAD_FLAG', `${networkOf(base)} is too small to place example servers in`, {exitCode: ExitCode.BadInput, hint: 'give the servers with --real-server ADDRESS[:PORT] and --sorry-server ADDRESS[:PORT]'})
    return {ip}
  }
  const port = preset === 'lvs-nat' ? 8080 : 80
  if (preset === 'lvs-dr' && [...(o.realServers ?? []), ...(o.sorryServer ? [o.sorryServer] : [])].some((e) => e.port !== undefined && e.port !== 80)) {
    throw new HalError('BAD_FLAG', 'with direct routing the real and sorry servers answer on the virtual server\'s own ports (80 and 443)', {exitCode: ExitCode.BadInput, hint: 'give --real-server and --sorry-server without :PORT (or :80)'})
  }
  const withPort = (e: Endpoint, p: number) => ({ip: e.ip, port: e.port ?? p, urlHost: e.ip.includes(':') ? `[${e.ip}]` : e.ip})
  const realServers = (o.realServers?.length ? o.realServers : RS_OFFSETS.map(place)).map((e) => withPort(e, port))
  const sorryServer = withPort(o.sorryServer ?? place(SORRY_OFFSET), 80)
  const derived = [...(o.realServers?.length ? [] : [['real servers', '--real-server']]), ...(o.sorryServer ? [] : [['sorry server', '--sorry-server']])]
  const serversNote = derived.length
    ? `# ${derived.map((d) => d[0]).join(' and ')}: placeholders in ${where} (no ${derived.map((d) => d[1]).join(' or ')} given); replace them with yours`
    : '# real servers and sorry server as given with --real-server and --sorry-server'
  return {realServers, sorryServer, serversNote}
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
  if (preset === 'lvs-nat') {
    if (!o.gatewayVip || !isValidCidrOrAddress(o.gatewayVip)) throw bad(`preset lvs-nat needs the real servers' gateway: --gateway-vip ADDRESS/PREFIX`, 'the VIP the directors hold on the internal interface; the real servers route through it')
    if (!/^[\w.:-]{1,15}$/.test(o.internalInterface ?? '')) throw bad(`interface "${o.internalInterface}" is not a valid interface name`)
  } else if (o.gatewayVip !== undefined || o.internalInterface !== undefined) {
    throw bad(`--gateway-vip and --internal-interface are for preset lvs-nat, not ${preset}`)
  }
  if (preset !== 'lvs-dr' && preset !== 'lvs-nat' && (o.realServers?.length || o.sorryServer)) throw bad(`--real-server and --sorry-server are for the lvs-dr and lvs-nat presets, not ${preset}`)
}

/** A commented starter spec (YAML text) for a preset, from templates/presets/. */
export function presetSpecText(preset: PresetName, options: Partial<PresetOptions> = {}): string {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as Partial<PresetOptions>
  const base = presetDefaults(preset)
  // the internal network is the user's once they name any address of their own: no default gateway then
  if (preset === 'lvs-nat' && (given.vips || given.nodes || given.realServers)) delete base.gatewayVip
  const o = {...base, ...given} as PresetOptions
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
  const servers = preset === 'lvs-dr' || preset === 'lvs-nat' ? lvsServers(preset, o) : {}
  const text = template({...o, ...servers, ssh, preset, vip0: bareAddress(o.vips[0]), service: preset, url: 'http://127.0.0.1/'})
  return text.endsWith('\n') ? text : `${text}\n`
}
