import type {Finding} from '../../lib/findings.js'
import {familyOf, type Family} from '../../net/address.js'
import type {Statement} from './tree.js'

/**
 * The grammar of the one-line items in address, route and rule blocks
 * (virtual_ipaddress, static_ipaddress, virtual_routes, static_routes,
 * virtual_rules, static_rules), checked the way keepalived 2.2 reads them:
 * the options each accepts, their values, and what keepalived reports (and
 * does) when an item is wrong. Diagnostics only; the model keeps the items.
 */

type ItemKind = 'address' | 'route' | 'rule'

/** block keyword -> item kind, and whether it is a static_* block (track_group allowed) */
export const IP_ITEM_BLOCKS: Record<string, {kind: ItemKind; static: boolean}> = {
  virtual_ipaddress: {kind: 'address', static: false},
  virtual_ipaddress_excluded: {kind: 'address', static: false},
  static_ipaddress: {kind: 'address', static: true},
  virtual_routes: {kind: 'route', static: false},
  static_routes: {kind: 'route', static: true},
  virtual_rules: {kind: 'rule', static: false},
  static_rules: {kind: 'rule', static: true},
}

/** Linux IFNAMSIZ - 1: the longest interface name or address label */
export const IFNAME_MAX = 15

const U32 = 4294967295
const UINT = /^\d+$/
const isU = (w: string | undefined, max = U32): boolean => w !== undefined && UINT.test(w) && Number(w) <= max

/** Route types keepalived (iproute2's rtntype names) accepts before a destination. */
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'])
const RULE_ACTIONS = new Set(['blackhole', 'unreachable', 'prohibit'])
/** scope names keepalived knows without /etc/iproute2 */
const SCOPES = new Set(['global', 'universe', 'site', 'link', 'host', 'nowhere'])
/** routing table names keepalived knows without /etc/iproute2/rt_tables */
const TABLES = new Set(['default', 'main', 'local', 'unspec'])

/** a routing table given by a name other than the standard ones: it exists or not on the node */
const tableByName = (v: string) => `routing table "${v}" is a name: keepalived looks it up in /etc/iproute2/rt_tables on the node and drops the item when it is not there (checked on the node)`
const TABLE_FIX = 'use the table number, or make sure the node defines the name'

interface Parsed {
  family?: Family
  ok: boolean
  /** the prefix length is not a number within the family's range */
  badPrefix?: string
}

/** keepalived's parse_ipaddress: family from ':', optional /prefix, inet_pton. */
function parseIp(text: string, allowPrefix: boolean): Parsed {
  const family: Family = text.includes(':') ? 'inet6' : 'inet'
  const slash = allowPrefix ? text.indexOf('/') : -1
  const bare = slash >= 0 ? text.slice(0, slash) : text
  const prefix = slash >= 0 ? text.slice(slash + 1) : undefined
  const ok = familyOf(bare) === family
  const badPrefix = prefix !== undefined && !isU(prefix, family === 'inet' ? 32 : 128) ? prefix : undefined
  return {family, ok, badPrefix}
}

/** keepalived's parse_route: default/any/all (any family), default6, or an address. */
function parseRoute(text: string): Parsed {
  if (text === 'default' || text === 'any' || text === 'all') return {ok: true}
  if (text === 'default6') return {ok: true, family: 'inet6'}
  return parseIp(text, true)
}

class ItemChecker {
  readonly words: string[]
  constructor(
    private readonly stmt: Statement,
    private readonly out: Finding[],
  ) {
    this.words = [stmt.keyword, ...stmt.args]
  }

  report(severity: Finding['severity'], rule: string, message: string, fix?: string): void {
    this.out.push({rule, severity, message, file: this.stmt.loc.file, line: this.stmt.loc.line, ...(fix ? {fix} : {})})
  }

  /** a prefix length keepalived cannot read (it then uses the full length) */
  prefix(text: string, p: Parsed): void {
    if (p.badPrefix === undefined) return
    this.report('error', 'invalid-prefix', `prefix length "${p.badPrefix}" of ${text} is not valid; keepalived uses /${p.family === 'inet' ? 32 : 128}`, 'write a prefix length from 0 to 32 (IPv4) or 128 (IPv6)')
  }
}

/**
 * One address line. Addresses of vrrp_instance blocks are also in the model,
 * where lint checks the address itself, its prefix, brd and dangling options;
 * here those are reported for static_ipaddress only.
 */
function checkAddress(c: ItemChecker, isStatic: boolean): void {
  const w = c.words
  const addr = parseIp(w[0], true)
  if (isStatic) {
    c.prefix(w[0], addr)
    if (!addr.ok) c.report('error', 'invalid-address', `"${w[0]}" is not an IP address; keepalived skips this line`, 'write an IPv4 or IPv6 address')
  }
  if (!addr.ok) return
  let hasDev = false
  let label: string | undefined
  let scope = false
  let brd = false
  let peer = false
  let trackGroup = false
  for (let i = 1; i < w.length; i++) {
    const opt = w[i]
    const withValue = ['dev', 'scope', 'broadcast', 'brd', 'label', 'peer', 'preferred_lft', ...(isStatic ? ['track_group'] : [])]
    if (withValue.includes(opt)) {
      const v = w[i + 1]
      if (v === undefined) {
        if (isStatic || !['dev', 'brd', 'scope', 'label'].includes(opt)) c.report('error', 'missing-value', `"${opt}" has no value for ${w[0]}; keepalived skips this address`, `write "${opt} VALUE" or remove it`)
        return
      }
      i++
      switch (opt) {
        case 'dev':
          if (hasDev) {
            c.report('error', 'address-option', `dev is given twice for ${w[0]}; keepalived skips this address`, 'give one dev')
            return
          }
          hasDev = true
          break
        case 'scope':
          if (!SCOPES.has(v) && !isU(v, 255)) c.report('error', 'address-option', `scope "${v}" of ${w[0]} is not valid; keepalived ignores it`, 'use global, site, link, host or nowhere')
          else scope = true
          break
        case 'broadcast':
        case 'brd':
          if (addr.family === 'inet6') {
            c.report('error', 'address-option', `${w[0]} is IPv6 and cannot have a broadcast address; keepalived skips this address`, 'remove brd')
            return
          }
          if (v !== '+' && v !== '-' && familyOf(v) !== 'inet') {
            if (isStatic) c.report('error', 'invalid-address', `broadcast "${v}" is not an IPv4 address; keepalived skips this address`, 'write brd ADDRESS, brd + or brd -')
            return
          }
          brd = true
          break
        case 'label':
          if (v.length > IFNAME_MAX) {
            c.report('error', 'address-option', `label "${v}" is longer than ${IFNAME_MAX} characters; keepalived removes this address`, `use a label of at most ${IFNAME_MAX} characters`)
            return
          }
          label = v
          break
        case 'peer':
          if (peer) c.report('error', 'address-option', `${w[0]} has more than one peer; keepalived uses the first`, 'give one peer')
          else {
            const p = parseIp(v, false)
            if (!p.ok) c.report('error', 'invalid-address', `peer "${v}" is not an IP address`, 'write a peer address')
            else if (p.family !== addr.family) c.report('error', 'address-family', `peer ${v} is not of the family of ${w[0]}`, 'use a peer of the same family')
            else {
              peer = true
              if (w[0].includes('/')) c.report('warning', 'address-option', `${w[0]} has a prefix and a peer; keepalived ignores the prefix`, 'write the address without /prefix')
            }
          }
          break
        case 'preferred_lft':
          if (v !== 'forever' && !isU(v)) c.report('error', 'address-option', `preferred_lft "${v}" is not valid`, 'use a number of seconds or forever')
          break
        case 'track_group':
          if (trackGroup) {
            c.report('error', 'address-option', `track_group is given twice for ${w[0]}`)
            return
          }
          trackGroup = true
          break
      }
      continue
    }
    if (['home', '-nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track'].includes(opt) || (!isStatic && opt === 'use_vmac')) continue
    c.report('error', 'address-option', `unknown option "${opt}" for address ${w[0]}; keepalived ignores it`, 'use dev, brd, scope, label, peer, preferred_lft, home, -nodad, mngtmpaddr, noprefixroute, autojoin or no_track')
  }
  if (brd && peer) c.report('error', 'address-option', `${w[0]} has both a broadcast and a peer address; keepalived ignores the broadcast`)
  if (addr.family === 'inet6' && scope) c.report('error', 'address-option', `${w[0]} is IPv6: keepalived ignores its scope`, 'remove scope')
  if (addr.family === 'inet6' && label) c.report('error', 'address-option', `${w[0]} is IPv6: keepalived ignores its label`, 'remove label')
  if (trackGroup && !hasDev) c.report('error', 'address-option', `${w[0]} has a track_group but no dev; keepalived ignores the track_group`, 'add dev IFNAME')
}

/** route options that take one value; `lock` may precede the value of some */
const ROUTE_VALUE_OPTS = new Set(['src', 'from', 'tos', 'dsfield', 'table', 'protocol', 'scope', 'metric', 'priority', 'preference', 'dev', 'oif', 'expires', 'hoplimit', 'window', 'realms', 'initcwnd', 'initrwnd', 'features', 'quickack', 'pref', 'ttl-propagate', 'fastopen_no_cookie', 'vrf'])
const ROUTE_LOCK_OPTS = new Set(['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'cwnd', 'ssthresh', 'rto_min', 'congctl'])
const ROUTE_U32 = new Set(['metric', 'priority', 'preference', 'expires', 'mtu', 'advmss', 'reordering', 'window', 'cwnd', 'ssthresh', 'initcwnd', 'initrwnd'])

function checkRoute(c: ItemChecker, isStatic: boolean): void {
  const w = c.words
  let family: Family | undefined
  let dest: string | undefined
  let oif = false
  let noTrack = false
  let trackGroup = false
  const mix = (f: Family | undefined): boolean => {
    if (!f) return false
    if (family && family !== f) {
      c.report('error', 'route-option', 'the route mixes IPv4 and IPv6 addresses; keepalived skips it', 'use one address family per route')
      return true
    }
    family = f
    return false
  }
  for (let i = 0; i < w.length; i++) {
    const opt = w[i]
    if (opt === 'inet6' || opt === 'inet') {
      if (mix(opt)) return
      continue
    }
    if (opt === 'via' || opt === 'gw') {
      if (opt === 'gw') c.report('warning', 'deprecated-keyword', '"gw" for routes is deprecated; keepalived reads it as "via"', 'write via')
      let v = w[++i]
      if (v === 'inet' || v === 'inet6') v = w[++i]
      if (v === undefined) return
      const p = parseIp(v, false)
      if (!p.ok) {
        c.report('error', 'invalid-address', `route via address "${v}" is not valid; keepalived skips the route`, 'write via ADDRESS')
        return
      }
      if (mix(p.family)) return
      continue
    }
    if (opt === 'src' || opt === 'from') {
      const v = w[++i]
      if (v === undefined) return
      const p = parseIp(v, opt === 'from')
      if (!p.ok) {
        c.report('error', 'invalid-address', `route ${opt} address "${v}" is not valid; keepalived skips the route`)
        return
      }
      if (opt === 'from' && p.family !== 'inet6') {
        c.report('error', 'route-option', `route "from" is only supported for IPv6 (${v})`)
        return
      }
      if (mix(p.family)) return
      continue
    }
    if (opt === 'as') {
      if (w[i + 1] === 'to') i++
      i++
      c.report('error', 'route-option', '"as [to]" is for MPLS only; keepalived ignores it')
      continue
    }
    if (opt === 'or') {
      c.report('warning', 'deprecated-keyword', '"or" for routes is deprecated; use nexthop', 'write "nexthop via A nexthop via B"')
      const v = w[++i]
      if (v === undefined) return
      if (!parseIp(v, false).ok) {
        c.report('error', 'invalid-address', `"or" address "${v}" is not valid; keepalived skips the route`)
        return
      }
      continue
    }
    if (opt === 'nexthop' || opt === 'encap') return // multipath and encapsulation: not checked further
    if (opt === 'onlink' || opt === 'add' || opt === 'prepend' || opt === 'append') continue
    if (opt === 'no_track') {
      noTrack = true
      continue
    }
    if (isStatic && opt === 'track_group') {
      i++
      trackGroup = true
      continue
    }
    if (ROUTE_VALUE_OPTS.has(opt) || ROUTE_LOCK_OPTS.has(opt)) {
      let v = w[++i]
      if (ROUTE_LOCK_OPTS.has(opt) && v === 'lock') v = w[++i]
      if (v === undefined) return
      if (opt === 'dev' || opt === 'oif') oif = true
      if (ROUTE_U32.has(opt) && !isU(v)) c.report('error', 'route-option', `route ${opt} "${v}" is not a number from 0 to ${U32}`)
      if (opt === 'hoplimit' && !isU(v, 255)) c.report('error', 'route-option', `route hoplimit "${v}" is not a number from 0 to 255`)
      if ((opt === 'quickack' || opt === 'fastopen_no_cookie') && !isU(v, 1)) c.report('error', 'route-option', `route ${opt} "${v}" must be 0 or 1`)
      if (opt === 'table' && !TABLES.has(v) && !isU(v)) c.report('warning', 'host-dependent', tableByName(v), TABLE_FIX)
      if (opt === 'scope' && !SCOPES.has(v) && !isU(v, 255)) c.report('error', 'route-option', `route scope "${v}" is not valid`, 'use global, site, link, host or nowhere')
      if (opt === 'pref' && !['low', 'medium', 'high'].includes(v) && !isU(v, 255)) c.report('error', 'route-option', `route pref "${v}" is not valid`, 'use low, medium or high')
      if (opt === 'ttl-propagate' && v !== 'enabled' && v !== 'disabled') c.report('error', 'route-option', `ttl-propagate value "${v}" is not enabled or disabled`)
      if (opt === 'features' && v !== 'ecn') c.report('error', 'route-option', `route feature "${v}" is not supported (only ecn)`)
      continue
    }
    // [to] [TYPE] DESTINATION
    if (opt === 'to') i++
    else if (ROUTE_TYPES.has(opt)) i++
    const d = w[i]
    if (d === undefined) break
    const p = parseRoute(d)
    c.prefix(d, p)
    if (!p.ok) {
      c.report('error', 'route-option', `unknown route keyword "${d}"; keepalived skips the route`, 'check the route syntax (ip route: [TYPE] PREFIX [via ADDR] [dev IFNAME] ...)')
      return
    }
    dest = d
    if (mix(p.family)) return
  }
  if (dest === undefined) {
    c.report('error', 'route-option', 'the route has no destination; keepalived skips it', 'write the destination prefix (or default)')
    return
  }
  if (!noTrack && !oif) {
    c.report('warning', 'route-untracked', `keepalived cannot track route ${dest} with no interface (dev); it does not track it`, 'add dev IFNAME, or no_track')
  }
  if (trackGroup && !oif) c.report('error', 'route-option', 'a static route with track_group needs dev; keepalived ignores the track_group', 'add dev IFNAME')
}

const RULE_VALUE_OPTS = new Set(['tos', 'dsfield', 'fwmark', 'realms', 'suppress_ifgroup', 'sup_group', 'dev', 'iif', 'oif', 'tunnel-id', 'uidrange', 'ipproto', 'sport', 'dport'])

function checkRule(c: ItemChecker, isStatic: boolean): void {
  const w = c.words
  let family: Family | undefined
  let action = false
  let preference = false
  let gotoTarget: number | undefined
  let prio = 0
  const setAction = (): boolean => {
    if (action) {
      c.report('error', 'rule-option', 'a rule can have only one of table/nop/goto/blackhole/prohibit/unreachable; keepalived skips it')
      return false
    }
    action = true
    return true
  }
  for (let i = 0; i < w.length; i++) {
    const opt = w[i]
    if (opt === 'inet' || opt === 'inet6') {
      if (family && family !== opt) {
        c.report('error', 'rule-option', `${opt} given for a rule of the other family; keepalived skips it`)
        return
      }
      family = opt
      continue
    }
    if (opt === 'from' || opt === 'to') {
      const v = w[++i]
      if (v === undefined) return
      const p = parseRoute(v)
      c.prefix(v, p)
      if (!p.ok) {
        c.report('error', 'invalid-address', `rule ${opt} address "${v}" is not valid; keepalived skips the rule`)
        return
      }
      if (p.family && family && p.family !== family) {
        c.report('error', 'rule-option', 'the rule mixes IPv4 and IPv6; keepalived skips it')
        return
      }
      family = p.family ?? family
      continue
    }
    if (opt === 'table' || opt === 'lookup') {
      const v = w[++i]
      if (v === undefined) return
      if (!TABLES.has(v) && !isU(v)) {
        c.report('warning', 'host-dependent', tableByName(v), TABLE_FIX)
        return
      }
      if (v === '0' || v === 'unspec') {
        c.report('error', 'rule-option', 'table 0 is not valid for a rule; keepalived skips it')
        return
      }
      if (!setAction()) return
      continue
    }
    if (opt === 'not' || opt === 'no_track' || opt === 'l3mdev') {
      if (opt === 'l3mdev' && !setAction()) return
      continue
    }
    if (opt === 'preference' || opt === 'order' || opt === 'priority') {
      const v = w[++i]
      if (v === undefined) return
      if (!isU(v) && !/^0x[0-9a-f]+$/i.test(v)) {
        c.report('error', 'rule-option', `rule preference "${v}" is not valid; keepalived skips the rule`, 'use a number')
        return
      }
      preference = true
      prio = Number(v)
      continue
    }
    if (opt === 'suppress_prefixlength' || opt === 'sup_pl') {
      const v = w[++i]
      if (v === undefined) return
      if (!isU(v, 2147483647)) {
        c.report('error', 'rule-option', `rule ${opt} "${v}" is not valid; keepalived skips the rule`)
        return
      }
      continue
    }
    if (opt === 'protocol') {
      const v = w[++i]
      if (v === undefined) return
      if (!isU(v, 255)) c.report('error', 'rule-option', `rule protocol "${v}" is not a number from 0 to 255`)
      continue
    }
    if (RULE_VALUE_OPTS.has(opt)) {
      if (w[++i] === undefined) return
      continue
    }
    if (isStatic && opt === 'track_group') {
      i++
      continue
    }
    const a = opt === 'type' ? w[++i] : opt
    if (a === undefined) return
    if (a === 'goto') {
      const v = w[++i]
      if (!isU(v)) {
        c.report('error', 'rule-option', `rule goto target "${v ?? ''}" is not valid; keepalived skips the rule`)
        return
      }
      gotoTarget = Number(v)
    } else if (a !== 'nop' && !RULE_ACTIONS.has(a)) {
      c.report('error', 'rule-option', ROUTE_TYPES.has(a) ? `"${a}" is not a rule action; keepalived skips the rule` : `unknown rule option "${a}"; keepalived skips the rule`, 'use table N, goto N, nop, blackhole, prohibit or unreachable')
      return
    }
    if (!setAction()) return
  }
  if (gotoTarget !== undefined) {
    if (!preference) {
      c.report('error', 'rule-option', `rule goto ${gotoTarget} has no preference; keepalived skips the rule`, 'add preference N (below the goto target)')
      return
    }
    if (prio >= gotoTarget) {
      c.report('error', 'rule-option', `rule preference ${prio} is not below its goto target ${gotoTarget}; keepalived skips the rule`)
      return
    }
  }
  if (!action) {
    c.report('error', 'rule-option', 'the rule has no action (table, goto, nop, blackhole, prohibit or unreachable); keepalived ignores it', 'add table N')
    return
  }
  if (!preference) {
    c.report('warning', 'rule-no-preference', 'the rule has no preference; keepalived picks one (counting down from 32767), which is probably not what you want', 'add preference N')
  }
}

/** Check every item of the address/route/rule blocks in a statement tree. */
export function checkIpItems(statements: Statement[], out: Finding[]): void {
  for (const s of statements) {
    if (!s.block) continue
    const kind = IP_ITEM_BLOCKS[s.keyword]
    if (kind && s.blockContext === 'list') {
      for (const item of s.block) {
        const c = new ItemChecker(item, out)
        if (kind.kind === 'address') checkAddress(c, kind.static)
        else if (kind.kind === 'route') checkRoute(c, kind.static)
        else checkRule(c, kind.static)
      }
    } else checkIpItems(s.block, out)
  }
}
