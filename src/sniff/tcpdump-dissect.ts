/**
 * The text tcpdump 4.99 prints for a captured frame after its timestamp (`tcpdump -n`, `-n -v`),
 * read from the frame's bytes as tcpdump's own printers read them: link header (Ethernet with
 * 802.1Q/802.1ad tags, Linux cooked SLL and SLL2 with their 802.1Q tags, raw IP, BSD loopback),
 * then ip_print / ip6_print (every check in their order, "truncated-ip - N bytes missing!",
 * bad-hlen, bad-len, the snap end cut at the IP length, IPv4 options with -v including timestamp
 * and source routes, IPv6 hop-by-hop, destination options and fragment headers), then VRRP
 * (vrrp_print, checksums with -v). A field past the captured bytes (or past the IP datagram) ends
 * the line with " [|proto]" as tcpdump's GET_ macros do. Other IP protocols print as tcpdump's
 * default (`ip-proto-N LEN`); ARP through the formatter's ARP printer.
 *
 * Exported API:
 * - `dissect(data, linkType, wireLen, opts) -> string`: the text after the timestamp, starting
 *   with the space tcpdump prints after it; `opts` = {verbose, showAuth, mask, ifName, arp, other}
 */
import {formatIPv4, formatIPv6} from '../vrrp/address.js'
import {foldChecksum, onesSum} from '../vrrp/checksum.js'
import {isVlanTag, LinkType} from '../capture/link-types.js'

export interface DissectOptions {
  verbose: boolean
  showAuth: boolean
  /** what a masked v2 password prints as */
  mask: string
  /** if_indextoname() for SLL2 */
  ifName: (index: number) => string
  /** the ARP text at offset p */
  arp: (d: Uint8Array, p: number) => string
  /** text for an ethertype tcpdump prints with a printer halctl does not have */
  other: (etherType: number) => string
}

const ETHERTYPE_NAMES: Record<number, string> = {0x0800: 'IPv4', 0x86dd: 'IPv6', 0x8100: '802.1Q', 0x9100: '802.1Q-9100', 0x88a8: '802.1Q-QinQ', 0x9200: '802.1Q-9200', 0x0806: 'ARP', 0x8035: 'Reverse ARP'}
const PKT_TYPES: Record<number, string> = {0: 'In', 1: 'B', 2: 'M', 3: 'P', 4: 'Out'}
const AUTH_NAMES: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}
const PROTO_NAMES: Record<number, string> = {0: 'Options', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 8: 'EGP', 9: 'IGRP', 17: 'UDP', 33: 'DCCP', 41: 'IPv6', 43: 'Routing', 44: 'Fragment', 46: 'RSVP', 47: 'GRE', 50: 'ESP', 51: 'AH', 55: 'Mobile IP', 58: 'ICMPv6', 62: 'Mobile IP (old)', 88: 'EIGRP', 89: 'OSPF', 103: 'PIM', 108: 'Compressed IP', 112: 'VRRP', 113: 'PGM', 132: 'SCTP', 135: 'Mobility', 143: 'Ethernet'}
const IP_OPTION_NAMES: Record<number, string> = {0: 'EOL', 1: 'NOP', 68: 'timestamp', 130: 'security', 7: 'RR', 137: 'SSRR', 131: 'LSRR', 148: 'RA', 82: 'traceroute'}
const VRRP = 112

/** thrown where tcpdump's GET_ macros longjmp: the line ends with " [|proto]" */
const TRUNC = Symbol('truncated')

function hex(n: number, width = 0): string {
  return n.toString(16).padStart(width, '0')
}

/** tcpdump's fn_print_char: M- for the high bit, ^X for control characters */
function printChar(c: number): string {
  let out = ''
  if (c & 0x80) {
    out += 'M-'
    c &= 0x7f
  }
  if (c < 0x20 || c === 0x7f) {
    out += '^'
    c ^= 0x40
  }
  return out + String.fromCharCode(c)
}

export function dissect(d: Uint8Array, linkType: number, wireLen: number, opts: DissectOptions): string {
  const p = new Dissector(d, opts)
  try {
    p.link(linkType, wireLen)
  } catch (e) {
    if (e !== TRUNC) throw e
    p.s += ` [|${p.proto}]`
  }
  return ` ${p.s}`
}

class Dissector {
  s = ''
  proto = ''
  /** tcpdump's snapend: the captured bytes, cut at the end of the IP datagram */
  end: number

  constructor(
    readonly d: Uint8Array,
    readonly o: DissectOptions,
  ) {
    this.end = d.length
  }

  private has(at: number, n: number): boolean {
    return at >= 0 && at + n <= this.end
  }

  private u8(at: number): number {
    if (!this.has(at, 1)) throw TRUNC
    return this.d[at]
  }

  private u16(at: number): number {
    if (!this.has(at, 2)) throw TRUNC
    return (this.d[at] << 8) | this.d[at + 1]
  }

  private u32(at: number): number {
    if (!this.has(at, 4)) throw TRUNC
    return ((this.d[at] << 24) | (this.d[at + 1] << 16) | (this.d[at + 2] << 8) | this.d[at + 3]) >>> 0
  }

  private ip4(at: number): string {
    if (!this.has(at, 4)) throw TRUNC
    return formatIPv4(this.d, at)
  }

  private ip6(at: number): string {
    if (!this.has(at, 16)) throw TRUNC
    return formatIPv6(this.d, at)
  }

  link(linkType: number, wireLen: number): void {
    const cap = this.d.length
    switch (linkType) {
      case LinkType.ETHERNET: {
        this.proto = 'ether'
        if (cap < 14) throw TRUNC
        this.tagged(linkType, this.u16(12), 14, wireLen - 14)
        return
      }
      case LinkType.LINUX_SLL: {
        this.proto = 'sll'
        if (cap < 16) throw TRUNC
        this.tagged(linkType, this.u16(14), 16, wireLen - 16)
        return
      }
      case LinkType.LINUX_SLL2: {
        this.proto = 'sll2'
        if (cap < 20) throw TRUNC
        this.s += `${this.o.ifName(this.u32(4)).padEnd(5)} ${(PKT_TYPES[this.d[10]] ?? '?').padEnd(3)} `
        this.tagged(linkType, this.u16(0), 20, wireLen - 20)
        return
      }
      case LinkType.NULL: {
        this.proto = 'null'
        if (cap < 4) throw TRUNC
        // host byte order (little-endian here), swapped when the high half is set
        const le = (this.d[0] | (this.d[1] << 8) | (this.d[2] << 16) | (this.d[3] << 24)) >>> 0
        const fam = le & 0xffff0000 ? this.u32(0) : le
        if (fam === 2) this.ipv4(4, wireLen - 4)
        else if (fam === 24 || fam === 28 || fam === 30) this.ipv6(4, wireLen - 4)
        else this.s += this.o.other(-1)
        return
      }
      default: {
        // DLT_RAW, DLT_IPV4, DLT_IPV6: raw_if_print, ipN_print
        this.proto = 'ipn'
        if (wireLen < 1) {
          this.s += `truncated-ip ${wireLen}`
          return
        }
        const v = this.u8(0) >> 4
        if (v === 4) this.ipv4(0, wireLen)
        else if (v === 6) this.ipv6(0, wireLen)
        else this.s += `unknown ip ${v}`
      }
    }
  }

  /** the tags after a link header, then the payload by its ethertype */
  private tagged(linkType: number, type: number, off: number, length: number): void {
    const cooked = linkType !== LinkType.ETHERNET
    while (isVlanTag(linkType, type)) {
      if (this.end - off < 4 || length < 4) {
        this.proto = 'vlan'
        throw TRUNC
      }
      type = this.u16(off + 2)
      if (cooked) {
        // sll_if_print names each inner type (a length becomes LINUX_SLL_P_802_2)
        this.s += `ethertype ${ETHERTYPE_NAMES[type <= 1500 ? 4 : type] ?? 'Unknown'}, `
      }
      off += 4
      length -= 4
    }
    if (type === 0x0800) this.ipv4(off, length)
    else if (type === 0x86dd) this.ipv6(off, length)
    else if (type === 0x0806) this.s += this.o.arp(this.d, off)
    else this.s += this.o.other(type)
  }

  /** ip_print() */
  private ipv4(o: number, length: number): void {
    this.proto = 'ip'
    const vhl = this.u8(o)
    const v = vhl >> 4
    if (v !== 4) {
      this.s += `${v === 6 ? 'IP6, wrong link-layer encapsulation' : `IP${v}`} (invalid)`
      return
    }
    this.s += 'IP '
    if (!this.has(o, 20)) throw TRUNC
    if (length < 20) {
      this.s += `truncated-ip ${length}`
      return
    }
    const hlen = (vhl & 0x0f) * 4
    if (hlen < 20) {
      this.s += `bad-hlen ${hlen}`
      return
    }
    let len = this.u16(o + 2)
    if (length < len) this.s += `truncated-ip - ${len - length} bytes missing! `
    if (len < hlen) {
      this.s += `bad-len ${len}`
      return
    }
    this.end = Math.min(this.end, o + len)
    len -= hlen
    const off = this.u16(o + 6)
    const proto = this.u8(o + 9)
    const src = this.ip4(o + 12)
    const dst = this.ip4(o + 16)
    if (this.o.verbose) {
      const tos = this.u8(o + 1)
      this.s += `(tos 0x${hex(tos)}${['', ',ECT(1)', ',ECT(0)', ',CE'][tos & 3]}`
      const ttl = this.u8(o + 8)
      if (ttl >= 1) this.s += `, ttl ${ttl}`
      const flags = [off & 0x2000 ? '+' : '', off & 0x4000 ? 'DF' : '', off & 0x8000 ? 'rsvd' : ''].filter(Boolean)
      this.s += `, id ${this.u16(o + 4)}, offset ${(off & 0x1fff) * 8}, flags [${flags.length ? flags.join(', ') : 'none'}], proto ${PROTO_NAMES[proto] ?? 'unknown'} (${proto})`
      this.s += `, length ${this.u16(o + 2)}`
      let truncated = false
      if (hlen > 20) {
        this.s += ', options ('
        if (!this.ipOptions(o + 20, hlen - 20)) {
          this.s += ' [truncated-option]'
          truncated = true
        }
        this.s += ')'
      }
      if (o + hlen <= this.end) {
        const sum = foldChecksum(onesSum(this.d, o, o + hlen))
        if (sum !== 0) {
          // in_cksum_shouldbe(): the value the checksum field should have held
          const sent = this.u16(o + 10)
          let shouldbe = sent + sum
          shouldbe = (shouldbe & 0xffff) + (shouldbe >>> 16)
          shouldbe = (shouldbe & 0xffff) + (shouldbe >>> 16)
          this.s += `, bad cksum ${hex(sent)} (->${hex(shouldbe)})!`
        }
      }
      this.s += ')\n    '
      if (truncated) {
        this.s += `${src} > ${dst}: `
        throw TRUNC
      }
    }
    if ((off & 0x1fff) === 0) {
      this.s += `${src} > ${dst}: `
      if (!this.has(o, hlen)) {
        this.s += ` [remaining caplen(${Math.max(0, this.end - o)}) < header length(${hlen})]`
        throw TRUNC
      }
      this.demux(proto, o + hlen, len, 4, this.u8(o + 8), o)
    } else {
      this.s += `${src} > ${dst}: ip-proto-${proto}`
    }
  }

  /** ip_optprint(): false where tcpdump's option printer found the options cut short */
  private ipOptions(p: number, length: number): boolean {
    let sep = ''
    while (length > 0) {
      this.s += sep
      sep = ','
      const code = this.u8(p)
      this.s += IP_OPTION_NAMES[code] ?? `unknown ${code}`
      let olen = 1
      if (code !== 0 && code !== 1) {
        olen = this.u8(p + 1)
        if (olen < 2) {
          this.s += ` [bad length ${olen}]`
          return true
        }
      }
      if (olen > length) {
        this.s += ` [bad length ${olen}]`
        return true
      }
      if (!this.has(p, olen)) return false
      if (code === 0) return true
      if (code === 68) {
        if (!this.timestamp(p, olen)) return false
      } else if (code === 7 || code === 137 || code === 131) {
        if (!this.route(p, olen)) return false
      } else if (code === 148) {
        if (olen < 4) this.s += ` [bad length ${olen}]`
        else if (this.u16(p + 2) !== 0) this.s += ` value ${this.u16(p + 2)}`
      }
      p += olen
      length -= olen
    }
    return true
  }

  /** ip_printroute() */
  private route(p: number, length: number): boolean {
    if (length < 3) {
      this.s += ` [bad length ${length}]`
      return true
    }
    if ((length + 1) & 3) this.s += ` [bad length ${length}]`
    const ptr = (this.u8(p + 2) - 1) >>> 0
    if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) this.s += ` [bad ptr ${this.u8(p + 2)}]`
    for (let len = 3; len < length; len += 4) {
      if (!this.has(p + len, 4)) return false
      this.s += ` ${this.ip4(p + len)}`
      if (ptr > len) this.s += ','
    }
    return true
  }

  /** ip_printts(): the IPv4 timestamp option */
  private timestamp(p: number, length: number): boolean {
    if (length < 4) {
      this.s += `[bad length ${length}]`
      return true
    }
    this.s += ' TS{'
    const flags = this.u8(p + 3)
    const hoplen = (flags & 0xf) !== 0 ? 8 : 4
    if ((length - 4) & (hoplen - 1)) this.s += `[bad length ${length}]`
    const ptr = (this.u8(p + 2) - 1) >>> 0
    let len = 0
    if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) this.s += `[bad ptr ${this.u8(p + 2)}]`
    const type = flags & 0xf
    if (type === 0 || type === 1 || type === 3) {
      this.s += type === 0 ? 'TSONLY' : type === 1 ? 'TS+ADDR' : 'PRESPEC'
      let sep = ' '
      for (len = 4; len < length; len += hoplen) {
        if (ptr === len) sep = ' ^ '
        if (!this.has(p + len, hoplen)) return false
        this.s += `${sep}${this.u32(p + len + hoplen - 4)}@${hoplen !== 8 ? '' : this.ip4(p + len)}`
        sep = ' '
      }
    } else {
      this.s += `[bad ts type ${type}]`
    }
    this.s += ptr === len ? ' ^ ' : ''
    this.s += flags >> 4 ? ` [${flags >> 4} hops not recorded]} ` : '}'
    return true
  }

  /** ip6_print() */
  private ipv6(o: number, length: number): void {
    this.proto = 'ip6'
    if (!this.has(o, 40)) throw TRUNC
    if (length < 40) {
      this.s += `truncated-ip6 ${length}`
      return
    }
    this.s += 'IP6 '
    const v = this.d[o] >> 4
    if (v !== 6) {
      this.s += `version error: ${v} != 6`
      return
    }
    const payloadLen = this.u16(o + 4)
    let len: number
    if (payloadLen !== 0) {
      len = payloadLen + 40
      if (length < len) this.s += `truncated-ip6 - ${len - length} bytes missing!`
    } else {
      len = length + 40
    }
    let nh = this.u8(o + 6)
    const hlim = this.u8(o + 7)
    if (this.o.verbose) {
      const flow = this.u32(o)
      this.s += '('
      if (flow & 0x0ff00000) this.s += `class 0x${hex((flow & 0x0ff00000) >>> 20, 2)}, `
      if (flow & 0x000fffff) this.s += `flowlabel 0x${hex(flow & 0x000fffff, 5)}, `
      this.s += `hlim ${hlim}, next-header ${PROTO_NAMES[nh] ?? 'unknown'} (${nh}) payload length: ${payloadLen}) `
    }
    this.end = Math.min(this.end, o + len)
    let cp = o
    let advance = 40
    let total = 0
    let foundExt = false
    let foundHbh = false
    let ph = 255
    while (cp < this.end && advance > 0) {
      if (len < advance) throw TRUNC
      cp += advance
      len -= advance
      total += advance
      if (cp === o + 40 && nh !== 6 && nh !== 17 && nh !== 33 && nh !== 132) this.s += `${this.ip6(o + 8)} > ${this.ip6(o + 24)}: `
      if (nh === 0) {
        if (foundHbh) {
          this.s += '[The Hop-by-Hop Options header was already found] (invalid)'
          return
        }
        if (ph !== 255) {
          this.s += "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)"
          return
        }
        advance = this.extHeader(cp, 'hbhopt', 'HBH ', true)
        if (payloadLen === 0) {
          // halctl reads no Jumbo Payload option: tcpdump's verdict on a zero payload length without one
          this.s += '[No valid Jumbo Payload Hop-by-Hop option found] (invalid)'
          return
        }
        if (advance < 0) return
        foundExt = foundHbh = true
        nh = this.u8(cp)
      } else if (nh === 60) {
        advance = this.extHeader(cp, 'dstopt', 'DSTOPT ', this.o.verbose)
        if (advance < 0) return
        foundExt = true
        nh = this.u8(cp)
      } else if (nh === 44) {
        advance = this.frag6(cp, o)
        if (advance < 0 || this.end <= cp + advance) return
        foundExt = true
        nh = this.u8(cp)
      } else {
        if (payloadLen === 0) {
          if (foundExt) throw TRUNC
          len = 40
          this.end = Math.min(this.end, o + 40)
          len -= total
        }
        this.demux(nh, cp, len, 6, hlim, o)
        return
      }
      ph = nh
      this.proto = 'ip6'
    }
  }

  /** hbhopt_process() / dstopt_process(): the header's length, -1 when cut short */
  private extHeader(cp: number, proto: string, name: string, options: boolean): number {
    this.proto = proto
    const hlen = (this.u8(cp + 1) + 1) << 3
    if (!this.has(cp, hlen)) {
      this.s += ` [|${proto}]`
      return -1
    }
    this.s += name
    if (options && !this.v6Options(cp + 2, hlen - 2)) {
      this.s += ` [|${proto}]`
      return -1
    }
    return hlen
  }

  /** ip6_opt_process(); false when cut short */
  private v6Options(bp: number, len: number): boolean {
    const v = this.o.verbose
    if (len === 0) return true
    for (let i = 0, optlen = 0; i < len; i += optlen) {
      const t = this.u8(bp + i)
      if (t === 0) optlen = 1
      else if (i + 1 < len) optlen = this.u8(bp + i + 1) + 2
      else return false
      if (i + optlen > len) return false
      if (t === 0) {
        if (v) this.s += '(pad1)'
      } else if (t === 1) {
        if (len - i < 2) {
          this.s += '(padn: trunc)'
          return false
        }
        if (v) this.s += '(padn)'
      } else if (t === 5) {
        if (len - i < 4) {
          this.s += '(rtalert: trunc)'
          return false
        }
        if (this.u8(bp + i + 1) !== 2) {
          this.s += `(rtalert: invalid len ${this.u8(bp + i + 1)})`
          return false
        }
        if (v) this.s += `(rtalert: 0x${hex(this.u16(bp + i + 2), 4)}) `
      } else {
        if (len - i < 2) {
          this.s += `(type ${t}: trunc)`
          return false
        }
        if (v) this.s += `(opt_type 0x${hex(t, 2)}: len=${this.u8(bp + i + 1)})`
      }
    }
    if (v) this.s += ' '
    return true
  }

  /** frag6_print() */
  private frag6(cp: number, ip6: number): number {
    this.proto = 'frag6'
    const offset = this.u16(cp + 2) & 0xfff8
    const ident = this.o.verbose ? `0x${hex(this.u32(cp + 4), 8)}:` : ''
    // a size_t in C: a negative length wraps
    const rest = 40 + this.u16(ip6 + 4) - (cp - ip6) - 8
    this.s += `frag (${ident}${offset}|${rest < 0 ? (2n ** 64n + BigInt(rest)).toString() : rest})`
    if (offset !== 0) return -1
    this.s += ' '
    return 8
  }

  /** ip_demux_print() for VRRP; tcpdump's default line for the protocols halctl does not print */
  private demux(nh: number, p: number, len: number, ver: 4 | 6, ttl: number, iph: number): void {
    if (nh === VRRP) this.vrrp(p, len, ver, ttl, iph)
    else this.s += ` ip-proto-${nh} ${len}`
  }

  /** ip_finddst(): the final hop of a source route, else the destination (for the pseudo-header) */
  private finalDst(iph: number): number {
    const hl = (this.d[iph] & 0x0f) * 4
    let p = iph + 20
    let length = hl - 20
    try {
      for (let len = 0; length > 0; p += len, length -= len) {
        const t = this.u8(p)
        if (t === 0) break
        if (t === 1) len = 1
        else {
          len = this.u8(p + 1)
          if (len < 2) break
        }
        if (length < len || !this.has(p, len)) break
        if ((t === 137 || t === 131) && len >= 7) return p + len - 4
      }
    } catch (e) {
      if (e !== TRUNC) throw e
    }
    return iph + 16
  }

  /** vrrp_print() */
  private vrrp(p: number, len: number, ver: 4 | 6, ttl: number, iph: number): void {
    this.proto = 'vrrp'
    this.s += 'VRRP'
    const b0 = this.u8(p)
    const version = b0 >> 4
    const type = b0 & 0x0f
    this.s += `v${version}, ${type === 1 ? 'Advertisement' : `unknown type (${type})`}`
    if (ttl !== 255) this.s += `, (ttl ${ttl})`
    if (version < 2 || version > 3 || type !== 1) return
    this.s += `, vrid ${this.u8(p + 1)}, prio ${this.u8(p + 2)}`
    const authType = version === 2 ? this.u8(p + 4) : 0
    if (version === 2) {
      this.s += `, authtype ${AUTH_NAMES[authType] ?? `#${authType}`}`
      this.s += `, intvl ${this.u8(p + 5)}s, length ${len}`
    } else {
      const intvl = ((this.u8(p + 4) & 0x0f) << 8) | this.u8(p + 5)
      this.s += `, intvl ${intvl}cs, length ${len}`
    }
    if (!this.o.verbose) return
    const naddrs = this.u8(p + 3)
    if (this.has(p, len)) {
      let sum = onesSum(this.d, p, p + len)
      if (version === 3) {
        const size = ver === 4 ? 4 : 16
        const src = iph + (ver === 4 ? 12 : 8)
        const dst = ver === 4 ? this.finalDst(iph) : iph + 24
        sum = onesSum(this.d, src, src + size, sum)
        sum = onesSum(this.d, dst, dst + size, sum)
        sum += ver === 4 ? VRRP + (len & 0xffff) : (len >>> 16) + (len & 0xffff) + VRRP
      }
      if (foldChecksum(sum) !== 0) this.s += `, (bad vrrp cksum ${hex(this.u16(p + 6))})`
    }
    this.s += naddrs > 1 ? `, addrs(${naddrs}):` : ', addrs:'
    let at = p + 8
    for (let i = 0; i < naddrs; i++) {
      this.s += (i === 0 ? ' ' : ',') + (ver === 4 ? this.ip4(at) : this.ip6(at))
      at += ver === 4 ? 4 : 16
    }
    if (version === 2 && authType === 1) {
      this.s += ' auth "'
      // nd_printjnp(): up to 8 characters, to a NUL, each read with a bounds check
      let text = ''
      for (let i = 0; i < 8; i++) {
        if (!this.has(at + i, 1)) {
          this.s += this.o.showAuth ? text : this.o.mask
          throw TRUNC
        }
        const c = this.d[at + i]
        if (c === 0) break
        text += printChar(c)
      }
      this.s += `${this.o.showAuth ? text : this.o.mask}"`
    }
  }
}
