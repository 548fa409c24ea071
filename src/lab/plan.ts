/**
 * Lab layout, pure: which addresses the control side, the hosts and the VIP
 * get in the lab subnet, and whether the subnet collides with a route.
 */
import ipaddr from 'ipaddr.js'
import {HalError} from '../lib/errors.js'
import {checkNames} from './names.js'

export const LAB_ENGINES = ['keepalived', 'embedded', 'none'] as const
export type LabEngine = (typeof LAB_ENGINES)[number]

export const DEFAULT_LAB_NAME = 'lab'
export const DEFAULT_LAB_SUBNET = '10.213.0.0/24'
export const MIN_HOSTS = 2
export const MAX_HOSTS = 16

/** First host address offset in the subnet: .11, .12, ... */
const HOST_OFFSET = 11
/** Preferred VIP offset (.100), when the subnet is large enough. */
const VIP_OFFSET = 100

export interface LabHostPlan {
  name: string
  /** address without prefix */
  address: string
  /** address/prefix on eth0 */
  cidr: string
}

export interface LabPlan {
  name: string
  subnet: string
  prefixLength: number
  /** control address (root namespace, on the bridge), address/prefix */
  control: string
  hosts: LabHostPlan[]
  /** VIP for the spec's instance, address/prefix */
  vip: string
  engine: LabEngine
}

function addOffset(network: number[], offset: number): string {
  let n = ((network[0] << 24) >>> 0) + (network[1] << 16) + (network[2] << 8) + network[3] + offset
  const out: number[] = []
  for (let i = 0; i < 4; i++) {
    out.unshift(n & 255)
    n = Math.floor(n / 256)
  }
  return out.join('.')
}

/** Parse and normalise an IPv4 CIDR; throws HalError (exit 2) on anything else. */
export function parseSubnet(cidr: string): {network: string; prefixLength: number} {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number]
  try {
    parsed = ipaddr.parseCIDR(cidr)
  } catch {
    throw new HalError('LAB_BAD_SUBNET', `--subnet ${cidr} is not a CIDR`, {hint: `give an IPv4 network such as ${DEFAULT_LAB_SUBNET}`})
  }
  const [addr, len] = parsed
  if (addr.kind() !== 'ipv4')
    throw new HalError('LAB_BAD_SUBNET', `--subnet ${cidr} is not IPv4`, {hint: `give an IPv4 network such as ${DEFAULT_LAB_SUBNET}`})
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()
  return {network, prefixLength: len}
}

/** Compute the lab layout for n hosts named lb1..lbN. */
export function planLab(opts: {name: string; subnet: string; hosts: number; engine: LabEngine}): LabPlan {
  checkNames(opts.name)
  if (!Number.isInteger(opts.hosts) || opts.hosts < MIN_HOSTS || opts.hosts > MAX_HOSTS)
    throw new HalError('LAB_BAD_COUNT', `-n ${opts.hosts}: a lab has ${MIN_HOSTS} to ${MAX_HOSTS} hosts`)
  const {network, prefixLength} = parseSubnet(opts.subnet)
  const size = 2 ** (32 - prefixLength)
  const lastHost = HOST_OFFSET + opts.hosts - 1
  const vipOffset = size - 2 > VIP_OFFSET && VIP_OFFSET > lastHost ? VIP_OFFSET : lastHost + 1
  if (vipOffset > size - 2)
    throw new HalError('LAB_SUBNET_SMALL', `--subnet ${opts.subnet} is too small for ${opts.hosts} hosts`, {
      hint: `use a /${Math.min(26, prefixLength)} or larger network`,
    })
  const octets = network.split('.').map(Number)
  const hosts = Array.from({length: opts.hosts}, (_, i) => {
    const address = addOffset(octets, HOST_OFFSET + i)
    return {name: `lb${i + 1}`, address, cidr: `${address}/${prefixLength}`}
  })
  return {
    name: opts.name,
    subnet: `${network}/${prefixLength}`,
    prefixLength,
    control: `${addOffset(octets, 1)}/${prefixLength}`,
    hosts,
    vip: `${addOffset(octets, vipOffset)}/${prefixLength}`,
    engine: opts.engine,
  }
}

/** One entry of `ip -j route` (the fields used here). */
export interface RouteEntry {
  dst: string
  dev?: string
}

function routeRange(dst: string): [ipaddr.IPv4, number] | undefined {
  if (dst === 'default') return undefined // a default route overlaps everything; it is no conflict
  try {
    if (dst.includes('/')) {
      const [a, l] = ipaddr.parseCIDR(dst)
      return a.kind() === 'ipv4' ? [a as ipaddr.IPv4, l] : undefined
    }
    const a = ipaddr.parse(dst)
    return a.kind() === 'ipv4' ? [a as ipaddr.IPv4, 32] : undefined
  } catch {
    return undefined
  }
}

/** Routes (other than default) whose range overlaps the subnet. */
export function overlappingRoutes(subnet: string, routes: RouteEntry[]): RouteEntry[] {
  const [net, len] = ipaddr.parseCIDR(subnet) as [ipaddr.IPv4, number]
  return routes.filter((r) => {
    const range = routeRange(r.dst)
    if (!range) return false
    const [rnet, rlen] = range
    // two ranges overlap when the shorter prefix contains the other's network address
    return rlen <= len ? net.match(rnet, rlen) : rnet.match(net, len)
  })
}
