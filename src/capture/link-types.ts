/**
 * pcap link-layer types halctl reads and writes (LINKTYPE_* values from tcpdump.org).
 *
 * Exports: `LinkType` constants, `linkTypeName(n)`, `isSupportedLinkType(n)`, `isVlanTag(linkType,
 * etherType)`: an 802.1Q/802.1ad tag as tcpdump reads it on that link type (Ethernet: 0x8100,
 * 0x88a8, 0x9100, 0x9200; Linux cooked SLL and SLL2: 0x8100 only).
 */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as some platforms number it in pcap files */
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  12: 'RAW',
  14: 'RAW',
  101: 'RAW',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
}

export function linkTypeName(n: number): string {
  return NAMES[n] ?? `linktype ${n}`
}

export function isSupportedLinkType(n: number): boolean {
  return n in NAMES
}

/** the tags tcpdump's Ethernet printer skips (ether_common_print); its cooked printers skip 0x8100 only */
const ETHER_TAGS = new Set([0x8100, 0x88a8, 0x9100, 0x9200])

export function isVlanTag(linkType: number, etherType: number): boolean {
  if (linkType === LinkType.ETHERNET) return ETHER_TAGS.has(etherType)
  if (linkType === LinkType.LINUX_SLL || linkType === LinkType.LINUX_SLL2) return etherType === 0x8100
  return false
}
