/**
 * Argument grammars keepalived 2.2.7 reads word by word, where no plain kind
 * of the keyword table describes them: CPU lists, lvs_timeouts, receive buffer
 * policies, garp_extra_if, hex strings of UDP_CHECK and track_file's
 * init_file. Each returns what keepalived reports about the arguments, or
 * undefined when it takes them. Sources: core/global_parser.c,
 * vrrp/vrrp_parser.c, check/check_udp.c, trackers/track_file.c, lib/parser.c.
 */

export type Grammar = (args: readonly string[]) => string | undefined

const UINT_MAX = 4294967295
const INT_MIN = -2147483648
const INT_MAX = 2147483647

/** strtoul as read_unsigned_func takes it: digits, an optional "+", no "-" */
export function readsUnsigned(word: string, min: number, max: number): boolean {
  const w = word.trimStart()
  if (!/^\+?\d+$/.test(w)) return false
  const n = Number(w)
  return n >= min && n <= max && n <= UINT_MAX
}

/** strtol as read_int_func takes it */
export function readsInt(word: string, min: number, max: number): boolean {
  if (!/^\s*[+-]?\d+$/.test(word)) return false
  const n = Number(word)
  return n >= min && n <= max
}

/** vrrp_cpu_affinity, checker_cpu_affinity, bfd_cpu_affinity: CPU numbers (the highest is this host's CPU count - 1) */
export const cpuList: Grammar = (args) => {
  if (args.length === 0) return 'needs at least one CPU number'
  const bad = args.find((w) => !readsInt(w, 0, INT_MAX))
  return bad === undefined ? undefined : `"${bad}" is not a CPU number; keepalived drops the whole CPU set`
}

/** LVS_MAX_TIMEOUT: 31 days */
const LVS_MAX_TIMEOUT = 86400 * 31

/** lvs_timeouts [tcp N] [tcpfin N] [udp N] */
export const lvsTimeouts: Grammar = (args) => {
  if (args.length < 2) return 'needs at least one of tcp|tcpfin|udp SECONDS'
  for (let i = 0; i < args.length; i++) {
    const w = args[i]
    if (w === 'tcp' || w === 'tcpfin' || w === 'udp') {
      if (i === args.length - 1) return `no value for ${w}`
      if (!readsUnsigned(args[i + 1], 0, LVS_MAX_TIMEOUT)) return `${w} "${args[i + 1]}" is not a number of seconds from 0 to ${LVS_MAX_TIMEOUT}`
      i++
      continue
    }
    return `unknown option "${w}" (tcp, tcpfin or udp)`
  }
  return undefined
}

/** vrrp_rx_bufs_policy MTU|ADVERT|SIZE (keepalived reads a size from the first word only) */
export const rxBufsPolicy: Grammar = (args) => {
  if (args.length === 0) return 'needs MTU, ADVERT or a buffer size'
  let size = false
  let mtu = false
  let advert = false
  for (const w of args) {
    if (w.toUpperCase() === 'MTU') mtu = true
    else if (w.toUpperCase() === 'ADVERT') advert = true
    else if (readsUnsigned(args[0], 0, UINT_MAX)) size = true
    else return `"${w}" is not MTU, ADVERT or a buffer size`
  }
  if (size && (mtu || advert)) return 'a size and a policy cannot both be set; keepalived ignores the policy'
  if (mtu && advert) return 'MTU and ADVERT cannot both be set; keepalived ignores ADVERT'
  return undefined
}

/** garp_extra_if [all] SECONDS (vrrp_garp_extra_if: 1..86400; an instance's garp_extra_if: 0..86400) */
export const garpExtraIf =
  (min: number): Grammar =>
  (args) => {
    let delay = false
    for (const w of args) {
      if (w === 'all') continue
      if (!readsUnsigned(w, min, 86400)) return `"${w}" is not "all" or a number of seconds from ${min} to 86400`
      delay = true
    }
    return delay ? undefined : 'needs a number of seconds'
  }

/** read_hex_str: the length of the octet string keepalived reads, 0 when it is invalid */
export function hexLength(text: string, wildcard: boolean): number {
  const hexVal = (c: string): number => {
    if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48
    const u = c >= 'a' ? String.fromCharCode(c.charCodeAt(0) - 32) : c
    if (u >= 'A' && u <= 'F') return u.charCodeAt(0) - 55
    if (wildcard && u === 'X') return 0xfe
    return 0xff
  }
  let p = 0
  let val = 0
  let len = 0
  for (;;) {
    while (text[p] === ' ' || text[p] === '\t') p++
    if (p >= text.length) break
    val = hexVal(text[p++])
    if (val === 0xff) break
    if (val === 0xfe) val = 0
    if (p < text.length && text[p] !== ' ') {
      const hi = val << 4
      val = hexVal(text[p++])
      if (val === 0xff) break
      if (val === 0xfe) val = 0
      val |= hi
    }
    len++
  }
  return val === 0xff || len === 0 ? 0 : len
}

/** UDP_CHECK payload: a hex string, required */
export const hexPayload: Grammar = (args) => {
  if (args.length === 0) return 'needs a hex string'
  return hexLength(args.join(' '), false) ? undefined : `"${args.join(' ')}" is not a hex string (0-9, a-f; a final ff octet is refused too)`
}

/** UDP_CHECK require_reply [HEX]: a hex string where x is a wildcard nibble */
export const hexReply: Grammar = (args) => {
  if (args.length === 0) return undefined
  return hexLength(args.join(' '), true) ? undefined : `"${args.join(' ')}" is not a hex string (0-9, a-f, x for any nibble; a final ff octet is refused too)`
}

/** track_file's init_file [VALUE] [overwrite] */
export const trackFileInit: Grammar = (args) => {
  for (const w of args) {
    const t = w.trimStart()
    if (/^[\d-]/.test(t)) {
      if (!readsInt(t, INT_MIN, INT_MAX)) return `init value "${w}" is not an integer`
      if (Number(t) < -254 || Number(t) > 254) return `init value ${t} is outside -254..254`
    } else if (t !== 'overwrite') return `unknown option "${w}" (an integer or overwrite)`
  }
  return undefined
}

/** dev_name_valid: what the kernel takes as an interface name */
export const devNameValid = (name: string): boolean => name.length > 0 && name.length <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name)

/** use_vmac [NAME] [MAC] (the first two words; a word with ":" is the MAC address) */
export const useVmac: Grammar = (args) => {
  let name = false
  let mac = false
  for (const w of args.slice(0, 2)) {
    if (w.includes(':')) {
      if (mac) return 'the MAC address is given twice'
      mac = true
      const parts = w.split(':')
      if (parts.length !== 6 || parts.some((p) => !/^[0-9A-Fa-f]{1,2}$/.test(p))) return `"${w}" is not a MAC address`
      if (Number.parseInt(parts[0], 16) & 1) return `"${w}" is a multicast MAC address`
    } else {
      if (name) return 'the interface name is given twice'
      name = true
      if (!devNameValid(w)) return `"${w}" is not a valid interface name (at most 15 characters, no "/" or ":")`
    }
  }
  return undefined
}

const UMASK_BITS = ['IRUSR', 'IWUSR', 'IXUSR', 'IRGRP', 'IWGRP', 'IXGRP', 'IROTH', 'IWOTH', 'IXOTH']

/** umask NUMBER (decimal, 0octal or 0xhex, within 0777) or BIT|BIT... */
export const umask: Grammar = (args) => {
  const [first] = args
  if (first === undefined) return 'needs a value'
  if (/^\d/.test(first)) {
    if (args.length !== 1) return 'takes one number'
    const n = /^0x[0-9a-f]+$/i.test(first) ? Number.parseInt(first, 16) : /^0[0-7]*$/.test(first) ? Number.parseInt(first, 8) : /^[1-9]\d*$/.test(first) ? Number(first) : NaN
    return Number.isNaN(n) || n & ~0o777 ? `"${first}" is not a umask (e.g. 0077)` : undefined
  }
  let needOr = false
  for (const w of args) {
    for (let p = 0; p < w.length; ) {
      if (needOr) {
        if (w[p] !== '|') return `"${w}": bits are joined with "|"`
        needOr = false
        p++
        continue
      }
      if (!UMASK_BITS.includes(w.slice(p, p + 5))) return `unknown umask bit "${w.slice(p)}" (${UMASK_BITS.join(', ')})`
      p += 5
      needOr = true
    }
  }
  return undefined
}

/** use_ipvlan [INTERFACE] [ADDRESS[/PREFIX]] [bridge|private|vepa] */
export const useIpvlan: Grammar = (args) => {
  let type = false
  let addr = false
  let name = false
  for (const w of args) {
    if (w === 'bridge' || w === 'private' || w === 'vepa') {
      if (type) return `the ipvlan type is given twice ("${w}")`
      type = true
    } else if (/^[\d.]+(\/\d+)?$|:/.test(w)) {
      if (addr) return `the ipvlan address is given twice ("${w}")`
      addr = true
    } else {
      if (name) return `the ipvlan interface is given twice ("${w}")`
      name = true
      if (!devNameValid(w)) return `"${w}" is not a valid interface name`
    }
  }
  return undefined
}
