/**
 * pcap link-layer types halctl reads and writes (LINKTYPE_* values from tcpdump.org).
 *
 * Exports: `LinkType` constants, `linkTypeName(n)`, `isSupportedLinkType(n)`.
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
