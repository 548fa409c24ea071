/**
 * `halctl run`'s flags, one table for both ways in: the oclif command and the
 * daemon's own lean start (bin/run.js), which parses them with node:util.
 */
export const RUN_FLAGS = {
  'use-file': {char: 'f', charAliases: ['s'], summary: 'keepalived.conf to run (-f as in keepalived; -s also accepted)', default: '/etc/keepalived/keepalived.conf'},
  'config-id': {summary: "keepalived's -i: keep @ID lines for this id (default: host name)"},
  'json-status': {summary: 'serve the status as JSON over HTTP on this unix socket path', exclusive: ['status-port']},
  'status-port': {summary: 'serve the status as JSON over HTTP on 127.0.0.1:PORT', min: 1, max: 65535},
  duration: {summary: 'stop cleanly after this many seconds (tests, benchmarks)', min: 1},
} as const

const INTEGER_FLAGS = ['status-port', 'duration'] as const
