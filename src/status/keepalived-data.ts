import type {RemoteHost} from '../remote/types.js'
import type {InitSystem} from '../deploy/facts.js'
import {pidFiles} from '../deploy/paths.js'

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
 * Ask the node's keepalived for its data dump (SIGUSR1) and read it. The
 * script is a constant; the pid file arrives as "$1". Returns undefined when
 * keepalived does not run or did not write the dump in time.
 */
export const DUMP_SCRIPT = `
if [ "$2" = none ]; then pid=$(cat "$1" 2>/dev/null)
elif [ -s /run/keepalived.pid ]; then pid=$(cat /run/keepalived.pid)
else pid=$(pidof -s keepalived); fi
[ -n "$pid" ] || exit 3
rm -f /tmp/keepalived.data
kill -USR1 "$pid" || exit 4
i=0; last=-1
while [ $i -lt 40 ]; do
  size=$(stat -c %s /tmp/keepalived.data 2>/dev/null || echo -1)
  [ "$size" -gt 0 ] && [ "$size" = "$last" ] && break
  last=$size; sleep 0.1; i=$((i+1))
done
cat /tmp/keepalived.data
`

export async function readKeepalivedData(host: RemoteHost, node: string, init: InitSystem): Promise<DumpedInstance[] | undefined> {
  const r = await host.exec(['sh', '-c', DUMP_SCRIPT, 'halctl-dump', pidFiles(node).main, init], {sudo: !host.isRoot, timeoutMs: 15_000})
  if (r.code !== 0) return undefined
  const parsed = parseKeepalivedData(r.stdout)
  return parsed.length ? parsed : undefined
}
