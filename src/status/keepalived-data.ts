import type {RemoteHost} from '../remote/types.js'
import type {InitSystem} from '../host/facts.js'
import {pidFiles} from '../host/paths.js'

export interface DumpedInstance {
  name: string
  state: string
  priority?: number
  effectivePriority?: number
}

/**
 * Parse keepalived's SIGUSR1 data dump (/tmp/keepalived.data, 2.x format):
 * the "VRRP Topology" section, one block per "VRRP Instance = NAME".
 */
export function parseKeepalivedData(text: string): DumpedInstance[] {
  const out: DumpedInstance[] = []
  let cur: DumpedInstance | undefined
  let inTopology = false
  for (const line of text.split('\n')) {
    const header = /^-+<\s*(.+?)\s*>-+$/.exec(line.trim())
    if (header) {
      inTopology = header[1] === 'VRRP Topology'
      cur = undefined
      continue
    }
    if (!inTopology) continue
    const inst = /^ VRRP Instance = (.+)$/.exec(line)
    if (inst) {
      cur = {name: inst[1].trim(), state: 'UNKNOWN'}
      out.push(cur)
      continue
    }
    if (!cur) continue
    const kv = /^ {3}([A-Za-z][\w ]*?) = (.+)$/.exec(line)
    if (!kv) continue
    if (kv[1] === 'State') cur.state = kv[2].trim()
    else if (kv[1] === 'Priority') cur.priority = Number(kv[2])
    else if (kv[1] === 'Effective priority') cur.effectivePriority = Number(kv[2])
  }
  return out
}

/**
 * Ask the node's keepalived for its data dump (SIGUSR1) and read it, trusting
 * only a dump that keepalived itself wrote after our signal. keepalived 2.2.7
 * writes `$TMPDIR/keepalived.data` (TMPDIR from its own environment, else
 * /tmp) through a root-owned mkostemp file renamed into place. The script:
 * - takes the pid from the service's pid file, and accepts it only when
 *   /proc/PID/exe is a keepalived binary;
 * - reads TMPDIR from /proc/PID/environ (a private directory when the service
 *   sets one), and refuses a directory another user could write into unless
 *   it is root-owned and sticky (then nobody but root can replace root's file);
 * - signals, then accepts the file only when it is a new inode (keepalived's
 *   rename), a regular file (not a symlink), owned by root, with one link and
 *   modified no earlier than the signal; reads it without following a link
 *   (dd iflag=nofollow) and checks the inode did not change while reading.
 * The caller then checks the dump's Router ID, so a dump of another keepalived
 * on the same host is never taken for this node's. The script is a constant;
 * the pid file arrives as "$1".
 */
export const DUMP_SCRIPT = `
if [ "$2" = none ]; then pid=$(cat "$1" 2>/dev/null)
elif [ -s /run/keepalived.pid ]; then pid=$(cat /run/keepalived.pid)
else pid=$(pidof -s keepalived); fi
case "$pid" in ''|*[!0-9]*) exit 3 ;; esac
case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in */keepalived) ;; *) exit 3 ;; esac
dir=$(tr '\\000' '\\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^TMPDIR=\\(\\/.*\\)$/\\1/p' | head -n 1)
[ -n "$dir" ] || dir=/tmp
set -- $(stat -c '%u %a %F' "$dir" 2>/dev/null)
[ "$1" = 0 ] && [ "$3" = directory ] || exit 5
perm=$(( 0$2 ))
if [ $(( perm & 18 )) -ne 0 ] && [ $(( perm & 512 )) -eq 0 ]; then exit 5; fi
f="$dir/keepalived.data"
before=$(stat -c %i "$f" 2>/dev/null || echo none)
start=$(date +%s)
kill -USR1 "$pid" || exit 4
i=0
while [ $i -lt 50 ]; do
  set -- $(stat -c '%i %u %h %Y %F' "$f" 2>/dev/null) x x x x x
  if [ "$1" != x ] && [ "$1" != "$before" ] && [ "$2" = 0 ] && [ "$3" = 1 ] && [ "$4" -ge "$start" ] && [ "$5 $6" = "regular file" ]; then
    ino=$1
    out=$(dd if="$f" iflag=nofollow status=none) || exit 6
    [ "$(stat -c %i "$f" 2>/dev/null)" = "$ino" ] || { i=$((i+1)); continue; }
    printf '%s\\n' "$out"
    exit 0
  fi
  sleep 0.1; i=$((i+1))
done
exit 7
`

/** The " Router ID = X" line of a dump, if any. */
export const dumpRouterId = (text: string): string | undefined => /^ Router ID = (.*)$/m.exec(text)?.[1]

/**
 * The node's keepalived state, or undefined when keepalived does not run, did
 * not write a trustworthy dump in time, or the dump is another keepalived's
 * (its Router ID is not the one the spec gives this node).
 */
export async function readKeepalivedData(host: RemoteHost, node: string, init: InitSystem, expect: {routerId?: string} = {}): Promise<DumpedInstance[] | undefined> {
  const r = await host.exec(['sh', '-c', DUMP_SCRIPT, 'halctl-dump', pidFiles(node).main, init], {sudo: !host.isRoot, timeoutMs: 15_000})
  if (r.code !== 0) return undefined
  if (expect.routerId !== undefined && dumpRouterId(r.stdout) !== expect.routerId) return undefined
  const parsed = parseKeepalivedData(r.stdout)
  return parsed.length ? parsed : undefined
}
