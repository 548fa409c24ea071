/**
 * Fault injection on the current master, as argv lists run over SSH, each
 * with the argv lists that undo it. Pure: the runner executes them.
 */
import type {InitSystem} from '../host/facts.js'
import {serviceCommands} from '../host/service.js'
import type {FaultKind} from './expectations.js'

export interface FaultTarget {
  node: string
  init: InitSystem
  /** the VRRP interface of the instance under test */
  interface: string
  /** path of the track script to make fail (fault `script`) */
  trackScript?: string
  /** how long a `link` fault keeps the interface down, seconds (it restores itself: SSH may use that link) */
  linkDownSeconds: number
}

export interface FaultPlan {
  fault: FaultKind
  inject: string[][]
  restore: string[][]
  /** the fault undoes itself after this many ms (link); restore() must still be run to be sure */
  selfRestoresAfterMs?: number
  /** what the fault does, for the report */
  description: string
}

/** nft table used for the `block` fault; removing it is the whole restore. */
export const BLOCK_TABLE = 'halctl_fault'

export const BLOCK_RULESET = `table inet ${BLOCK_TABLE} {
  chain out {
    type filter hook output priority -10; policy accept;
    ip protocol vrrp drop
    ip6 nexthdr vrrp drop
  }
}
`

export function planFault(fault: FaultKind, t: FaultTarget): FaultPlan {
  const start = serviceCommands(t.init, 'start', t.node)
  switch (fault) {
    case 'stop':
      // a stop by signal (no init system) or by a SysV script returns before keepalived has exited:
      // a start while it still runs is refused by keepalived itself (its pid file), so wait it out (10 s at most)
      return {
        fault,
        inject: serviceCommands(t.init, 'stop', t.node),
        restore: [...start.slice(0, -1), ['sh', '-c', 'i=0; while pgrep -x keepalived >/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; exec "$@"', 'halctl-restart', ...start.at(-1)!]],
        description: 'clean stop of keepalived (it sends priority 0)',
      }
    case 'kill':
      // every keepalived process (parent and VRRP/checker children), no goodbye. Stopped first:
      // the children get SIGTERM when their parent dies (PDEATHSIG) and would send priority 0
      return {fault, inject: [['sh', '-c', 'pkill -STOP -x keepalived; pkill -KILL -x keepalived']], restore: [['sh', '-c', 'pgrep -x keepalived >/dev/null || "$@"', 'halctl-restart', ...start.at(-1)!]], description: 'SIGKILL to keepalived: no priority 0 advert, addresses left in place'}
    case 'block':
      return {
        fault,
        inject: [['sh', '-c', 'printf %s "$1" | nft -f -', 'halctl-block', BLOCK_RULESET]],
        restore: [['sh', '-c', 'nft list table inet "$1" >/dev/null 2>&1 && nft delete table inet "$1" || true', 'halctl-unblock', BLOCK_TABLE]],
        description: 'nftables drops VRRP sent by the master: it keeps its VIP while the backup takes over (split brain)',
      }
    case 'link':
      return {
        fault,
        inject: [['sh', '-c', 'ip link set dev "$1" down; (sleep "$2"; ip link set dev "$1" up) >/dev/null 2>&1 </dev/null &', 'halctl-link', t.interface, String(t.linkDownSeconds)]],
        restore: [['ip', 'link', 'set', 'dev', t.interface, 'up']],
        selfRestoresAfterMs: t.linkDownSeconds * 1000,
        description: `interface ${t.interface} down for ${t.linkDownSeconds} s`,
      }
    case 'script': {
      if (!t.trackScript) throw new Error('the instance has no track script to fail')
      return {
        fault,
        // the script's path now runs /bin/false; undone by unmounting
        inject: [['mount', '--bind', '/bin/false', t.trackScript]],
        restore: [['sh', '-c', 'while mountpoint -q "$1" || grep -q " $1 " /proc/self/mounts; do umount "$1" || break; done', 'halctl-unfail', t.trackScript]],
        description: `track script ${t.trackScript} made to fail`,
      }
    }
  }
}
