import ipaddr from 'ipaddr.js'
import type {KeepalivedConfig, VrrpInstance} from '../keepalived/model.js'
import type {FirewallKind, FirewalldState} from './facts.js'
import {IPTABLES_CHAIN, IPTABLES_FILE, NFT_FILE, NFT_TABLE} from './paths.js'
import {addressFamily} from '../net/address.js'

/** One accept rule for VRRP traffic (a protocol rule, not a port). */
export interface VrrpRule {
  family: 'ipv4' | 'ipv6'
  /** 112 = VRRP, 51 = AH */
  protocol: 112 | 51
  /** multicast group (multicast instances) */
  daddr?: string
  /** a unicast peer */
  saddr?: string
}

const isV6 = (addr: string): boolean => addressFamily(addr) === 6

function instanceIsV6(inst: VrrpInstance): boolean {
  if (inst.nativeIpv6) return true
  const first = inst.virtualIpaddress[0]?.address
  return first !== undefined && isV6(first)
}

/** The accept rules a node needs so VRRP (and AH when used) reaches keepalived. Deduplicated, stable order. */
export function vrrpRules(config: KeepalivedConfig): VrrpRule[] {
  const out = new Map<string, VrrpRule>()
  const add = (r: VrrpRule): void => void out.set(`${r.family}/${r.protocol}/${r.daddr ?? ''}/${r.saddr ?? ''}`, r)
  const g4 = config.globalDefs?.vrrpMcastGroup4 ?? '224.0.0.18'
  const g6 = config.globalDefs?.vrrpMcastGroup6 ?? 'ff02::12'
  for (const inst of config.instances) {
    const protocols: (112 | 51)[] = inst.authentication?.type === 'AH' ? [112, 51] : [112]
    for (const protocol of protocols) {
      if (inst.unicastPeer?.length) {
        for (const peer of inst.unicastPeer) {
          const saddr = ipaddr.process(peer).toString()
          add({family: isV6(saddr) ? 'ipv6' : 'ipv4', protocol, saddr})
        }
      } else if (instanceIsV6(inst)) add({family: 'ipv6', protocol, daddr: g6})
      else add({family: 'ipv4', protocol, daddr: g4})
    }
  }
  return [...out.values()]
}

/**
 * nftables: a table of halctl's own, replaced atomically by `nft -f` (declare,
 * delete, define), so applying it twice gives the same ruleset.
 */
export function renderNft(rules: VrrpRule[]): string {
  const lines = rules.map((r) => {
    const fam = r.family === 'ipv4' ? 'ip' : 'ip6'
    const addr = r.daddr ? `${fam} daddr ${r.daddr}` : `${fam} saddr ${r.saddr}`
    const proto = r.family === 'ipv4' ? `ip protocol ${r.protocol}` : `meta l4proto ${r.protocol}`
    return `\t\t${addr} ${proto} accept`
  })
  return [
    '# written by halctl deploy: VRRP accept rules',
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority -1; policy accept;',
    ...lines,
    '\t}',
    '}',
    '',
  ].join('\n')
}

/** iptables/ip6tables argv (without the binary) that append one rule to halctl's chain. */
export function iptablesRuleArgs(r: VrrpRule): string[] {
  const addr = r.daddr ? ['-d', r.daddr] : ['-s', r.saddr as string]
  return ['-A', IPTABLES_CHAIN, '-p', String(r.protocol), ...addr, '-j', 'ACCEPT']
}

/** The record of what halctl applied with iptables (its hash tells deploy whether rules changed). */
export function renderIptablesRecord(rules: VrrpRule[]): string {
  return ['# written by halctl deploy: VRRP accept rules (chain ' + IPTABLES_CHAIN + ')', ...rules.map((r) => `${r.family === 'ipv4' ? 'iptables' : 'ip6tables'} ${iptablesRuleArgs(r).join(' ')}`), ''].join('\n')
}

/** firewalld rich rule for one VRRP/AH rule, exactly as `firewall-cmd --list-rich-rules` lists it. */
export function firewalldRichRule(r: VrrpRule): string {
  const addr = r.daddr ? `destination address="${r.daddr}"` : `source address="${r.saddr}"`
  return `rule family="${r.family}" ${addr} protocol value="${r.protocol === 112 ? 'vrrp' : 'ah'}" accept`
}

/**
 * The zones VRRP arrives in on a firewalld node: the zone each instance's
 * interface is bound to, else the default zone. (Direct rules are not used:
 * with firewalld's nftables backend they are iptables rules, and firewalld's
 * own chains still reject what they accept.)
 */
export function firewalldZones(config: KeepalivedConfig, state: FirewalldState): string[] {
  const zones = new Set<string>()
  for (const inst of config.instances) {
    const bound = Object.entries(state.zoneInterfaces).find(([, ifaces]) => ifaces.includes(inst.interface))?.[0]
    zones.add(bound ?? state.defaultZone ?? 'public')
  }
  return [...zones]
}

/** Rich rules missing for a node's VRRP traffic, per zone (empty: the firewall lets it in). */
export function missingFirewalldRules(config: KeepalivedConfig, state: FirewalldState): Array<{zone: string; rule: string}> {
  const rules = vrrpRules(config).map(firewalldRichRule)
  return firewalldZones(config, state).flatMap((zone) => rules.filter((rule) => !(state.richRules[zone] ?? []).includes(rule)).map((rule) => ({zone, rule})))
}

/** The file deploy keeps on the node as the record of the firewall rules (nftables and iptables). */
export function firewallRecord(kind: FirewallKind, rules: VrrpRule[]): {path: string; content: string} | undefined {
  if (kind === 'nftables') return {path: NFT_FILE, content: renderNft(rules)}
  if (kind === 'iptables') return {path: IPTABLES_FILE, content: renderIptablesRecord(rules)}
  return undefined
}

/** Human one-liner for plans and reports. */
export function describeRule(r: VrrpRule): string {
  const proto = r.protocol === 112 ? 'vrrp' : 'ah'
  return `${r.family} ${proto} ${r.daddr ? `to ${r.daddr}` : `from ${r.saddr}`}`
}
