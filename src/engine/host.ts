/**
 * The host side of the engine: interface facts and addresses through `ip`
 * (execa). Behind an interface so the engine can run against a fake host in
 * unit tests.
 */
import {execa} from 'execa'
import type {VirtualAddress} from '../keepalived/model.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface LinkFacts {
  name: string
  mac: string
  up: boolean
  /** first global IPv4 address (keepalived's default source) */
  ipv4?: string
  /** first link-local IPv6 address (source of IPv6 adverts) */
  ipv6LinkLocal?: string
  ipv6Global?: string
}

export interface HostOps {
  link(name: string): Promise<LinkFacts | undefined>
  /** operational state of every interface, by name */
  linkStates(): Promise<Map<string, boolean>>
  addAddress(v: VirtualAddress, defaultDev: string): Promise<void>
  delAddress(v: VirtualAddress, defaultDev: string): Promise<void>
  neighbourMac(ip: string, dev: string): Promise<string | undefined>
}

interface IpAddrJson {
  ifname: string
  address?: string
  flags?: string[]
  operstate?: string
  addr_info?: Array<{family: string; local: string; prefixlen: number; scope: string; secondary?: boolean; label?: string}>
}

async function ipJson<T>(args: string[]): Promise<T> {
  const r = await execa('ip', ['-j', ...args], {reject: false})
  if (r.exitCode !== 0) return [] as T
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T
}

/** `ip addr add|del` arguments for one keepalived address line (host prefix when none is given). */
export function addressArgs(op: 'add' | 'del', v: VirtualAddress, defaultDev: string): string[] {
  const addr = v.address.includes('/') ? v.address : `${v.address}/${v.address.includes(':') ? 128 : 32}`
  const args = ['addr', op, addr, 'dev', v.dev ?? defaultDev]
  if (op === 'add') {
    if (v.brd) args.push('brd', v.brd)
    if (v.scope) args.push('scope', v.scope)
    if (v.label) args.push('label', v.label)
    if (addr.includes(':')) args.push('nodad')
  }
  return args
}

export const ipHost: HostOps = {
  async link(name) {
    const j = await ipJson<IpAddrJson[]>(['addr', 'show', 'dev', name])
    const l = j[0]
    if (!l) return undefined
    const infos = l.addr_info ?? []
    return {
      name,
      mac: l.address ?? '00:00:00:00:00:00',
      up: (l.flags ?? []).includes('UP') && l.operstate !== 'DOWN',
      ipv4: infos.find((a) => a.family === 'inet' && a.scope === 'global' && !a.secondary)?.local,
      ipv6LinkLocal: infos.find((a) => a.family === 'inet6' && a.scope === 'link')?.local,
      ipv6Global: infos.find((a) => a.family === 'inet6' && a.scope === 'global')?.local,
    }
  },
  async linkStates() {
    const j = await ipJson<IpAddrJson[]>(['link', 'show'])
    return new Map(j.map((l) => [l.ifname, (l.flags ?? []).includes('UP') && l.operstate !== 'DOWN' && !(l.flags ?? []).includes('NO-CARRIER')]))
  },
  async addAddress(v, dev) {
    const r = await execa('ip', addressArgs('add', v, dev), {reject: false})
    if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) {
      throw new HalError('ENGINE_ADDR', `ip ${addressArgs('add', v, dev).join(' ')}: ${r.stderr.trim()}`, {
        exitCode: ExitCode.Environment,
        hint: 'the engine needs root (CAP_NET_ADMIN) and an existing interface',
        where: v.loc ? `${v.loc.file}:${v.loc.line}` : undefined,
      })
    }
  },
  async delAddress(v, dev) {
    await execa('ip', addressArgs('del', v, dev), {reject: false})
  },
  async neighbourMac(ip, dev) {
    const j = await ipJson<Array<{lladdr?: string; state?: string[]}>>(['neigh', 'show', 'to', ip, 'dev', dev])
    const e = j.find((n) => n.lladdr && !(n.state ?? []).includes('FAILED') && !(n.state ?? []).includes('INCOMPLETE'))
    return e?.lladdr
  },
}
