import type {SourceLoc} from '../model.js'
import type {Finding, Severity} from '../../lib/findings.js'
import {familyOf, type Family} from '../../net/address.js'
import {keywordSpec, type BlockName} from '../keywords.js'
import {IFNAME_MAX} from './ip-items.js'
import type {Statement} from './tree.js'

/**
 * Checks that depend on the order of statements in a block, as keepalived
 * 2.2.7 reads them one at a time: a keyword given again (the keyword table's
 * `repeat`), and keywords whose reading depends on an earlier keyword of the
 * same block (sources: vrrp/vrrp_parser.c, check/check_parser.c,
 * check/check_udp.c).
 */

type Report = (at: SourceLoc, severity: Severity, rule: string, message: string, fix?: string) => void

interface BlockRule<S> {
  start: (owner: Statement) => S
  statement: (state: S, s: Statement, report: Report) => void
  /** at the block's closing brace */
  end?: (state: S, at: SourceLoc, report: Report) => void
}

const rule = <S>(r: BlockRule<S>): BlockRule<unknown> => r as BlockRule<unknown>

const INT = /^\s*[+-]?\d+$/
/** an IPv4 address as inet_aton reads it (getaddrinfo with AI_NUMERICHOST): 1 to 4 parts, decimal, octal or hex */
const INET_ATON = /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/i

/** vrrp_instance: state, vrf, version against what came before */
const UNICAST = new Set(['unicast_peer', 'unicast_fault_no_peer', 'check_unicast_src', 'old_unicast_checksum', 'unicast_src_ip'])
const instanceRule = rule<{master: boolean; ifname: boolean; version?: number; family?: Family; unicast: boolean; vmac: boolean; xmitBase: boolean}>({
  start: () => ({master: false, ifname: false, unicast: false, vmac: false, xmitBase: false}),
  statement(st, s, report) {
    const [a] = s.args
    if (UNICAST.has(s.keyword)) st.unicast = true
    switch (s.keyword) {
      case 'use_vmac':
      case 'use_ipvlan':
        st.vmac = true
        return
      case 'vmac_xmit_base':
        st.xmitBase = true
        return
      case 'state':
        if (a === 'MASTER') st.master = true
        else if (a === 'BACKUP' && st.master) report(s.loc, 'warning', 'duplicate-keyword', 'state BACKUP after state MASTER: keepalived keeps MASTER and ignores this line', 'give state once')
        return
      case 'interface':
        if (a !== undefined && a.length <= IFNAME_MAX) st.ifname = true
        return
      case 'vrf':
        if (st.ifname && a !== undefined && a.length <= IFNAME_MAX)
          report(s.loc, 'error', 'vrf-after-interface', 'vrf after interface: keepalived ignores the VRF when the interface is set first', 'put vrf before interface, or drop one of them')
        return
      case 'native_ipv6':
        if (st.family === 'inet') {
          report(s.loc, 'error', 'native-ipv6', 'native_ipv6 in an instance whose addresses are IPv4; keepalived ignores it', 'remove native_ipv6 or use IPv6 addresses')
          return
        }
        st.family = 'inet6'
        st.version = 3
        return
      case 'mcast_src_ip':
      case 'unicast_src_ip':
      case 'mcast_dst_ip':
        st.family ??= a === undefined ? undefined : familyOf(a)
        return
      case 'virtual_ipaddress':
      case 'unicast_peer':
        for (const item of s.block ?? []) st.family ??= familyOf(item.keyword)
        return
      case 'version': {
        if (a === undefined || !INT.test(a)) return
        const v = Number(a)
        if (v !== 2 && v !== 3) return
        if ((st.version !== undefined && st.version !== v) || (v === 2 && st.family === 'inet6')) {
          const why = st.version !== undefined && st.version !== v ? `version ${st.version} is already set` : 'the instance is IPv6, which needs version 3'
          report(s.loc, 'warning', 'version-conflict', `version ${v}: ${why}; keepalived ignores this line`, 'give one version that fits the addresses')
          return
        }
        st.version = v
        return
      }
    }
  },
  end(st, at, report) {
    if (st.unicast && st.vmac && !(st.ifname && st.xmitBase))
      report(at, 'warning', 'unicast-vmac', 'unicast with use_vmac/use_ipvlan needs vmac_xmit_base and an interface; keepalived sets vmac_xmit_base itself or drops the VMAC', 'add vmac_xmit_base')
  },
})

/** virtual_server: scheduler flags against the scheduler set before them */
const LB_FLAGS: Record<string, string> = {'sh-port': 'sh', 'sh-fallback': 'sh', 'mh-port': 'mh', 'mh-fallback': 'mh', hashed: 'sh or mh'}
const virtualServerRule = rule<{sched?: string; sorry: boolean; family?: Family}>({
  start: (owner) => ({sorry: false, family: owner.args[0] === 'fwmark' || owner.args[0] === 'group' ? undefined : familyOf(owner.args[0] ?? '')}),
  statement(st, s, report) {
    const a = s.args[0]
    if (s.keyword === 'ip_family' && (a === 'inet' || a === 'inet6')) {
      if (st.family && st.family !== a) report(s.loc, 'error', 'ip-family', `ip_family ${a} conflicts with the virtual server's ${st.family === 'inet' ? 'IPv4' : 'IPv6'} address; keepalived ignores it`, 'remove ip_family or fix the address')
      st.family ??= a
    }
    if (s.keyword === 'sorry_server') st.sorry = true
    if ((s.keyword === 'sorry_server_inhibit' || s.keyword === 'sorry_server_lvs_method') && !st.sorry)
      report(s.loc, 'error', 'sorry-server-order', `${s.keyword} before (or without) sorry_server: keepalived ignores it`, `put ${s.keyword} after sorry_server`)
    if (s.keyword === 'persistence_granularity' && a !== undefined) {
      const family = st.family ?? (a.includes('.') ? 'inet' : 'inet6')
      const ok = family === 'inet6' ? /^\+?\d+$/.test(a) && Number(a) >= 1 && Number(a) <= 128 : INET_ATON.test(a)
      if (!ok) report(s.loc, 'error', 'invalid-value', `persistence_granularity "${a}" is not ${family === 'inet6' ? 'a prefix length from 1 to 128' : 'an IPv4 netmask'}; keepalived ignores it`, family === 'inet6' ? 'write e.g. 64' : 'write e.g. 255.255.255.0')
    }
    if ((s.keyword === 'lb_algo' || s.keyword === 'lvs_sched') && s.args[0] !== undefined && keywordSpec('virtual_server', s.keyword)?.values?.includes(s.args[0])) st.sched = s.args[0]
    const needs = LB_FLAGS[s.keyword]
    if (!needs) return
    if (st.sched === 'sh' || st.sched === 'mh') {
      if (!needs.includes(st.sched)) report(s.loc, 'warning', 'scheduler-flag', `${s.keyword} is for the ${needs} scheduler; with ${st.sched} keepalived ignores it`, `remove ${s.keyword}`)
    } else report(s.loc, 'error', 'scheduler-flag', `${s.keyword} only applies to the ${needs} scheduler, and no such lb_algo comes before it; keepalived ignores it`, `set lb_algo ${needs} before ${s.keyword}`)
  },
})

/** track_process: quorum and quorum_max against each other (quorum starts at 1, quorum_max at unlimited) */
const trackProcessRule = rule<{quorum: number; max: number}>({
  start: () => ({quorum: 1, max: Infinity}),
  statement(st, s, report) {
    const a = s.args[0]
    if ((s.keyword !== 'quorum' && s.keyword !== 'quorum_max') || a === undefined || !/^\s*\+?\d+$/.test(a)) return
    const n = Number(a)
    if (s.keyword === 'quorum') {
      if (n < 1 || n > 65535) return
      if (n > st.max) report(s.loc, 'error', 'quorum-max', `quorum ${n} is greater than quorum_max ${st.max}; keepalived ignores it`, 'set quorum no higher than quorum_max')
      else st.quorum = n
      return
    }
    if (n > 65535) return
    if ((n !== 0 || st.quorum > 1) && n < st.quorum) {
      report(s.loc, 'error', 'quorum-max', `quorum_max ${n} is less than quorum ${st.quorum}; keepalived ignores it`, 'set quorum_max no lower than quorum')
      return
    }
    st.max = n
    if (n === 0) st.quorum = 0
    else if (st.quorum === 0) st.quorum = 1
  },
})

/** UDP_CHECK: reply length bounds (min 0, max 255 by default), judged at the closing brace */
const udpCheckRule = rule<{min: number; max: number}>({
  start: () => ({min: 0, max: 255}),
  statement(st, s) {
    const a = s.args[0]
    if (a === undefined || !/^\s*\+?\d+$/.test(a) || Number(a) > 65535) return
    if (s.keyword === 'min_reply_length') st.min = Number(a)
    if (s.keyword === 'max_reply_length') st.max = Number(a)
  },
  end(st, at, report) {
    if (st.min > st.max)
      report(at, 'error', 'reply-length', `UDP_CHECK min_reply_length ${st.min} > max_reply_length ${st.max}${st.max === 255 ? ' (the default)' : ''}: the check always fails`, 'raise max_reply_length or lower min_reply_length')
  },
})

const BLOCK_RULES: Partial<Record<BlockName, BlockRule<unknown>>> = {
  vrrp_instance: instanceRule,
  virtual_server: virtualServerRule,
  track_process: trackProcessRule,
  udp_check: udpCheckRule,
}

export function checkOrder(statements: Statement[], out: Finding[]): void {
  const report: Report = (at, severity, rule, message, fix) => out.push({rule, severity, message, file: at.file, line: at.line, ...(fix ? {fix} : {})})
  const walk = (owner: Statement | undefined, body: Statement[]) => {
    const seen = new Set<string>()
    const r = owner?.blockContext ? BLOCK_RULES[owner.blockContext] : undefined
    const state = owner && r ? r.start(owner) : undefined
    for (const s of body) {
      if (!s.unknown) {
        const repeat = keywordSpec(s.context, s.keyword)?.repeat
        if (repeat && seen.has(s.keyword)) {
          const what = repeat === 'ignored' ? 'keepalived keeps the first and ignores this one' : 'keepalived reports it and uses this one'
          report(s.loc, 'warning', 'duplicate-keyword', `${s.keyword} is given twice in this block; ${what}`, `give ${s.keyword} once`)
        }
        seen.add(s.keyword)
        r?.statement(state, s, report)
      }
      if (s.block && s.blockContext !== 'list' && s.blockContext !== 'opaque') walk(s, s.block)
    }
    if (owner && r?.end) r.end(state, owner.end ?? owner.loc, report)
  }
  walk(undefined, statements)
}
