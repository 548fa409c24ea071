/**
 * `halctl sniff`'s flags, one table for both ways in: the oclif command and the lean start of
 * `halctl sniff -r FILE` (bin/run.js, src/sniff/lean-cli.ts), which parses them with node:util.
 *
 * Exports: `SNIFF_FLAGS`, `SniffFlags` (the parsed values), `SNIFF_FORMATS`.
 */
export const SNIFF_FORMATS = ['tcpdump', 'json', 'table', 'none'] as const

export const SNIFF_FLAGS = {
  read: {kind: 'string', char: 'r', summary: 'read a pcap or pcapng file', exclusive: ['interface', 'node']},
  interface: {kind: 'string', char: 'i', summary: 'capture live on this interface (root or CAP_NET_RAW)', exclusive: ['read', 'node']},
  node: {
    kind: 'string',
    summary: 'capture on this node of the cluster spec over SSH (tcpdump -U -w -); repeatable: all at once, a packet seen on several nodes counted once',
    multiple: true,
    exclusive: ['read', 'interface'],
    dependsOn: ['spec'],
  },
  spec: {kind: 'string', char: 's', summary: 'cluster spec (for --node)'},
  'remote-interface': {kind: 'string', summary: "interface to capture on the node (default: the node's VRRP interface from the spec)"},
  format: {kind: 'string', summary: 'per-packet output: tcpdump (as tcpdump -n), json (NDJSON), table (live view), none', options: SNIFF_FORMATS},
  verbose: {kind: 'boolean', char: 'v', summary: 'with --format tcpdump: as tcpdump -n -v'},
  'show-auth': {kind: 'boolean', summary: 'with -v: print VRRPv2 simple passwords as tcpdump does (masked otherwise)'},
  summary: {kind: 'boolean', summary: 'print per-VRID statistics and all findings at the end (alone: no per-packet output)'},
  count: {kind: 'integer', char: 'c', summary: 'stop after this many packets', min: 1},
  duration: {kind: 'string', summary: 'stop after this many seconds (capture time for files)'},
  write: {kind: 'string', char: 'w', summary: 'also save the captured frames to this pcap file'},
  'flap-count': {kind: 'integer', summary: 'flapping: more master changes than this in the window', default: 3, min: 1},
  'flap-window': {kind: 'string', summary: 'flapping window in seconds', default: '60'},
} as const

export interface SniffFlags {
  read?: string
  interface?: string
  node?: string[]
  spec?: string
  'remote-interface'?: string
  format?: string
  verbose: boolean
  'show-auth': boolean
  summary: boolean
  count?: number
  duration?: string
  write?: string
  'flap-count': number
  'flap-window': string
}
