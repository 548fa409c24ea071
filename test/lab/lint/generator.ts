import {KEYWORDS, type BlockName, type KeywordSpec} from '../../../src/keepalived/keywords.js'
import type {Case} from './differential.js'
import {rng} from '../../unit/render/random-specs.js'

/**
 * Random keepalived.conf files from the keyword table, for the differential
 * test against keepalived -t: whole configs with nested blocks (instances
 * with authentication and tracking, sync groups, virtual servers with real
 * servers and every checker, trackers, BFD, SSL, static addresses), where each
 * block gets random keywords of its own with valid, boundary or invalid
 * values. A "broken" config also gets faults: unknown, misspelled, misplaced
 * and repeated keywords, odd spellings (case, quotes, tabs, comments), braces
 * missing, extra or misplaced, and parts moved into included files.
 * Deterministic for a seed.
 */

type Block = keyof typeof KEYWORDS

/** the seeded generator the spec generators use (mulberry32) */
export {rng}

/** Keywords the generated frame sets itself, or that act beyond the config (directories, namespaces, includes). */
const FRAME_KEYWORDS = new Set([
  'vrrp_instance:interface', 'vrrp_instance:virtual_router_id', 'vrrp_script:script', 'misc_check:misc_path', 'file_check:track_file',
  'bfd_check:name', 'track_process:process', 'track_file:file', 'bfd_instance:neighbor_ip', 'bfd_instance:neighbour_ip',
  'top:instance', 'top:net_namespace', 'top:net_namespace_ipvs', 'global_defs:config_save_dir', 'global_defs:tmp_config_directory',
  'global_defs:include_check', 'global_defs:reload_file', 'global_defs:reload_time_file', 'global_defs:use_pid_dir',
  'global_defs:process_names', 'global_defs:vrrp_process_name', 'global_defs:checker_process_name', 'global_defs:bfd_process_name',
  'global_defs:process_name', 'global_defs:lvs_process_name', 'global_defs:startup_script', 'global_defs:shutdown_script',
  'global_defs:notify_fifo', 'global_defs:vrrp_notify_fifo', 'global_defs:lvs_notify_fifo', 'global_defs:snmp_socket',
  'global_defs:dbus_service_name', 'global_defs:enable_dbus', 'global_defs:enable_snmp_vrrp', 'global_defs:enable_snmp_checker',
  'global_defs:enable_snmp_rfc', 'global_defs:enable_snmp_rfcv2', 'global_defs:enable_snmp_rfcv3', 'global_defs:enable_traps',
  'global_defs:enable_snmp_keepalived', 'global_defs:data_use_instance', 'top:use_pid_dir', 'top:namespace_with_ipsets',
])

export class Gen {
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1))
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]
  }
  chance(p: number): boolean {
    return this.r() < p
  }

  /** A value keepalived should take for this keyword (as far as the table knows). */
  valid(spec: KeywordSpec): string {
    switch (spec.kind) {
      case 'flag':
        return ''
      case 'optbool':
        return this.pick(['', 'on', 'off', 'yes', 'no', 'true', 'false'])
      case 'int': {
        const lo = spec.min ?? 0
        const hi = Math.min(spec.max ?? 1000, lo + 100000)
        return String(this.pick([lo, hi, this.int(lo, hi)]))
      }
      case 'number': {
        const lo = spec.min ?? 0
        const hi = Math.min(spec.max ?? 1000, 1000)
        return this.pick([String(lo), String(hi), String(Math.ceil(lo) + this.int(0, Math.max(0, Math.floor(hi - lo)))), (Math.ceil(lo) + 0.5).toString()])
      }
      case 'enum':
        return this.pick(spec.values ?? [''])
      case 'optenum':
        return this.pick(['', ...(spec.values ?? [])])
      default:
        if (spec.grammar) return this.pick(['0', '5', 'all 5', 'tcp 10 udp 5', 'tcpfin 30', 'MTU', 'advert', '1024', '00 11 22', 'ab0X', 'overwrite', '5 overwrite', '1 0'])
        if (spec.family === 'inet6') return 'ff02::12'
        if (spec.ip) return `10.117.${this.int(0, 9)}.${this.int(1, 254)}`
        if (spec.ifname) return 'eth0'
        if (spec.leadingInt) return String(this.int(spec.leadingInt[0], spec.leadingInt[1]))
        return this.pick(['v1', 'name', '/bin/true', 'a b', '10.117.0.5'])
    }
  }

  /** A value that is wrong, at a boundary, or odd for this keyword. */
  broken(spec: KeywordSpec): string {
    const common = ['', 'x1', '-', '-1', '1.5', '0', '99999999999', 'v1 extra', '"quoted value"', '1x']
    switch (spec.kind) {
      case 'int':
      case 'number': {
        const b: string[] = []
        if (spec.min !== undefined) b.push(String(spec.min - (spec.kind === 'int' ? 1 : 0.5)))
        if (spec.max !== undefined) b.push(String(spec.max + 1))
        return this.pick([...b, ...common, '+5', '0x10', '.5'])
      }
      case 'enum':
        return this.pick([...(spec.values ?? []).map((v) => v.toLowerCase()), 'bogus', '', ...common])
      case 'optbool':
        return this.pick(['bogus', 'On', 'YES', '1', 'on extra'])
      case 'flag':
        return this.pick(['extra', 'on'])
      default:
        return this.pick([...common, 'zz', 'all', 'tcp', 'tcp x', 'MTU 5', 'g0', '-300', '12345678901234567'])
    }
  }

  /** `n` random statements of a block (a broken config gets some broken values). */
  statements(block: Block, n: number, broken: boolean): string[] {
    const table = KEYWORDS[block]
    const kws = Object.entries(table).filter(([k, s]) => !s.block && !FRAME_KEYWORDS.has(`${block}:${k}`))
    if (kws.length === 0) return []
    const out: string[] = []
    for (let i = 0; i < n; i++) {
      const [kw, spec] = this.pick(kws)
      const v = broken && this.chance(0.35) ? this.broken(spec) : this.valid(spec)
      out.push(`${kw} ${v}`.trimEnd())
    }
    return out
  }

  /** A random keyword line that is wrong in this block: unknown, misspelled, from another block, or in odd case. */
  wrongKeyword(block: Block): string {
    const kws = Object.keys(KEYWORDS[block])
    const others = (Object.keys(KEYWORDS) as Block[]).filter((b) => b !== block)
    const other = Object.entries(KEYWORDS[this.pick(others)]).filter(([k, s]) => !s.block && !Object.hasOwn(KEYWORDS[block], k))
    const kw = kws.length ? this.pick(kws) : 'x'
    return this.pick([
      'no_such_keyword 1',
      `${kw.slice(0, -1)} 1`,
      `${kw}s 1`,
      `${kw.toUpperCase()} 1`,
      other.length ? `${this.pick(other)[0]} 1` : 'xyzzy',
    ])
  }
}

interface Built {
  lines: string[]
  files: Record<string, string>
}

/** Indent and close a block. */
const wrap = (head: string, body: string[], ind: string): string[] => [`${ind}${head} {`, ...body, `${ind}}`]

/** One random config. */
export function randomConfig(g: Gen, broken: boolean): Built {
  const files: Record<string, string> = {}
  const body = (block: Block, ind: string, extra: string[] = [], n = g.int(0, 5)) => {
    const lines = [...extra, ...g.statements(block, n, broken)]
    if (broken && g.chance(0.3)) lines.splice(g.int(0, lines.length), 0, g.wrongKeyword(block))
    if (broken && g.chance(0.15) && lines.length) lines.push(g.pick(lines))
    return lines.map((l) => `${ind}${l}`)
  }
  const out: string[] = []
  const scripts: string[] = []
  if (g.chance(0.7)) out.push(...wrap('global_defs', body('global_defs', ' ', [], g.int(1, 8)), ''))
  for (let i = 0; i < g.int(0, 2); i++) {
    scripts.push(`chk${i}`)
    out.push(...wrap(`vrrp_script chk${i}`, body('vrrp_script', ' ', ['script /bin/true']), ''))
  }
  if (g.chance(0.3)) out.push(...wrap('track_file tf', body('track_file', ' ', ['file /dev/null']), ''))
  if (g.chance(0.2)) out.push(...wrap('vrrp_track_process tp', body('track_process', ' ', ['process init']), ''))
  if (g.chance(0.15)) out.push(...wrap('bfd_instance bf', body('bfd_instance', ' ', ['neighbor_ip 10.117.0.3']), ''))
  if (g.chance(0.1)) out.push(...wrap('garp_group', body('garp_group', ' ', ['interface eth0']), ''))
  if (g.chance(0.1)) out.push(...wrap('SSL', body('ssl', ' '), ''))
  if (g.chance(0.15)) out.push(...wrap('static_ipaddress', [`  10.117.${g.int(0, 9)}.${g.int(1, 254)}/24 dev eth0`], ''))
  const names: string[] = []
  for (let i = 0; i < g.int(1, 3); i++) {
    const name = `VI_${i}`
    names.push(name)
    const vips = Array.from({length: g.int(1, 3)}, () => `  10.117.${g.int(0, 9)}.${g.int(1, 254)}/24`)
    const inner = [' interface eth0', ` virtual_router_id ${g.int(1, 255)}`, ...wrap('virtual_ipaddress', vips, ' ')]
    if (g.chance(0.4)) inner.push(...wrap('authentication', body('authentication', '  ', [], g.int(1, 2)), ' '))
    if (scripts.length && g.chance(0.5)) inner.push(...wrap('track_script', scripts.map((s) => `  ${s}`), ' '))
    if (g.chance(0.2)) inner.push(...wrap('track_interface', ['  eth0'], ' '))
    if (g.chance(0.2)) inner.push(...wrap('unicast_peer', [`  10.117.0.${g.int(2, 9)}`], ' '))
    inner.push(...body('vrrp_instance', ' ', [], g.int(1, 8)))
    out.push(...wrap(`vrrp_instance ${name}`, inner, ''))
  }
  if (names.length > 1 && g.chance(0.4)) out.push(...wrap('vrrp_sync_group G', [...wrap('group', names.map((n) => `  ${n}`), ' '), ...body('vrrp_sync_group', ' ', [], g.int(0, 3))], ''))
  const checkers: [string, Block, string[]][] = [
    ['TCP_CHECK', 'tcp_check', []],
    ['HTTP_GET', 'http_check', []],
    ['SSL_GET', 'http_check', []],
    ['MISC_CHECK', 'misc_check', ['misc_path /bin/true']],
    ['SMTP_CHECK', 'smtp_check', []],
    ['DNS_CHECK', 'dns_check', []],
    ['UDP_CHECK', 'udp_check', []],
    ['PING_CHECK', 'ping_check', []],
  ]
  for (let i = 0; i < g.int(0, 2); i++) {
    const inner = body('virtual_server', ' ', [], g.int(0, 6))
    for (let k = 0; k < g.int(1, 2); k++) {
      const rs = body('real_server', '  ', [], g.int(0, 3))
      if (g.chance(0.8)) {
        const [type, block, pre] = g.pick(checkers)
        const ck = body(block, '   ', pre, g.int(0, 4))
        if (type === 'HTTP_GET' || type === 'SSL_GET') ck.push(...wrap('url', body('url', '    ', ['path /'], g.int(0, 2)), '   '))
        if (type === 'SMTP_CHECK' && g.chance(0.4)) ck.push(...wrap('host', body('smtp_host', '    ', [], g.int(0, 2)), '   '))
        rs.push(...wrap(type, ck, '  '))
      }
      inner.push(...wrap(`real_server 10.117.1.${k + 2} 80`, rs, ' '))
    }
    out.push(...wrap(`virtual_server 10.117.1.${i + 100} 80`, inner, ''))
  }
  if (broken) mutate(g, out, files)
  return {lines: out, files}
}

/** Structural faults and odd spellings in a broken config. */
function mutate(g: Gen, lines: string[], files: Record<string, string>): void {
  const at = () => g.int(0, Math.max(0, lines.length - 1))
  const faults = g.int(1, 3)
  for (let f = 0; f < faults; f++) {
    switch (g.int(0, 8)) {
      case 0: {
        // a closing brace dropped
        const closes = lines.map((l, i) => (l.trim() === '}' ? i : -1)).filter((i) => i >= 0)
        if (closes.length) lines.splice(g.pick(closes), 1)
        break
      }
      case 1:
        lines.splice(at(), 0, '}')
        break
      case 2: {
        // a "{" after a value keyword
        const i = at()
        if (!lines[i].includes('{') && lines[i].trim() !== '}') lines[i] = `${lines[i]} {`
        break
      }
      case 3: {
        // a top-level block moved into an included file
        const starts = lines.map((l, i) => (/^\S.*\{$/.test(l) ? i : -1)).filter((i) => i >= 0)
        if (!starts.length) break
        const s = g.pick(starts)
        let e = s + 1
        while (e < lines.length && lines[e] !== '}') e++
        const name = `inc/part${Object.keys(files).length}.conf`
        files[name] = lines.slice(s, e + 1).join('\n') + '\n'
        lines.splice(s, e - s + 1, g.chance(0.5) ? `include ${name}` : 'include inc/*.conf')
        break
      }
      case 4: {
        // comments, tabs and quotes
        const i = at()
        lines[i] = g.pick([`${lines[i]} # trailing`, `${lines[i]} ! bang`, lines[i].replace(/^ +/, '\t'), lines[i].replace(/ (\S+)$/, ' "$1"')])
        break
      }
      case 5:
        lines.splice(at(), 0, g.pick(['# a comment', '! another', '', 'no_such_top_level 1']))
        break
      case 6: {
        // a value keyword in upper case, or a value word in lower case
        const i = at()
        lines[i] = g.chance(0.5) ? lines[i].replace(/^(\s*)(\S+)/, (_m, s: string, k: string) => s + k.toUpperCase()) : lines[i].toLowerCase()
        break
      }
      case 7:
        lines.splice(at(), 0, `include missing/${g.int(0, 9)}.conf`)
        break
      default: {
        // a line duplicated
        const i = at()
        lines.splice(i, 0, lines[i])
      }
    }
  }
}

/** `count` random cases, alternately valid and broken. */
export function randomCases(count: number, seed: number): Case[] {
  const g = new Gen(rng(seed))
  const out: Case[] = []
  for (let i = 0; i < count; i++) {
    const broken = i % 2 === 1
    const c = randomConfig(g, broken)
    out.push({block: 'random', lines: c.lines, files: c.files, what: `${broken ? 'broken' : 'valid'} #${i} seed ${seed}`})
  }
  return out
}
