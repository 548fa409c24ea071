import {randomBytes} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {RemoteHost} from './types.js'

/**
 * One writer per node. deploy and failover-test hold this lock on every node
 * they change, for the whole run. The lock is a symlink (created atomically by
 * `ln -s`, exclusive) whose target text names its owner: the run id, who runs
 * it (user, controller host, pid, what, since) and the pid of the sshd process
 * serving the owner's connection on the node. A lock whose sshd process is gone
 * belongs to a run whose connection died (killed, cut, crashed): the next run
 * takes it over. Check and take happen under flock(1) on a guard file, so two
 * runs never both take over the same stale lock.
 */
export const LOCK_PATH = '/run/halctl/node.lock'

export interface LockOwner {
  run: string
  user: string
  host: string
  pid: number
  what: string
  since: string
  /** pid of the sshd process of the owner's connection, on the node */
  sess?: number
}

/**
 * $1 = lock path, $2 = owner text (no session yet), $3 = run id.
 * Exit 0 and "ACQUIRED": ours (new, re-entered by the same run, or taken over
 * from a dead run: then "STALE <old owner>" first). Exit 75 and "HELD <owner>":
 * another live run holds it.
 */
export const LOCK_SCRIPT = `
l=$1; owner=$2; run=$3; d=\${l%/*}
mkdir -p -m 700 "$d" || exit 1
p=$$; s=
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm 2>/dev/null)" in sshd*) s=$p; break;; esac
  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)
done
me="$owner sess=$s"
if command -v flock >/dev/null 2>&1; then exec 9>"$d/.guard"; flock -w 10 9 || { echo "BUSY"; exit 75; }; fi
if ln -s "$me" "$l" 2>/dev/null; then echo ACQUIRED; exit 0; fi
cur=$(readlink "$l" 2>/dev/null)
case " $cur " in *" run=$run "*) ln -sfn "$me" "$l" && { echo ACQUIRED; exit 0; };; esac
hs=$(printf '%s\\n' "$cur" | sed -n 's/.* sess=\\([0-9][0-9]*\\).*/\\1/p')
if [ -z "$hs" ] || kill -0 "$hs" 2>/dev/null; then echo "HELD $cur"; exit 75; fi
echo "STALE $cur"
ln -sfn "$me" "$l" && { echo ACQUIRED; exit 0; }
exit 1
`

/** $1 = lock path, $2 = run id: remove the lock only when this run owns it. */
export const UNLOCK_SCRIPT = `
cur=$(readlink "$1" 2>/dev/null) || exit 0
case " $cur " in *" run=$2 "*) rm -f "$1";; esac
exit 0
`

const FIELD = /(\w+)=(\S*)/g

/** The owner text of a lock ("run=… user=… …"); values carry no spaces. Pure. */
export function formatOwner(o: Omit<LockOwner, 'sess'>): string {
  const clean = (s: string): string => s.replace(/[\s=]/g, '_') || '?'
  return `run=${clean(o.run)} user=${clean(o.user)} host=${clean(o.host)} pid=${o.pid} what=${clean(o.what)} since=${clean(o.since)}`
}

export function parseOwner(text: string): LockOwner | undefined {
  const kv: Record<string, string> = {}
  for (const m of text.matchAll(FIELD)) kv[m[1]] = m[2]
  if (!kv.run) return undefined
  const sess = Number(kv.sess)
  return {run: kv.run, user: kv.user ?? '?', host: kv.host ?? '?', pid: Number(kv.pid) || 0, what: kv.what ?? '?', since: kv.since ?? '?', ...(sess > 0 ? {sess} : {})}
}

export function describeOwner(o: LockOwner): string {
  return `${o.what} by ${o.user}@${o.host} (pid ${o.pid}) since ${o.since}`
}

export interface NodeLock {
  node: string
  run: string
  /** the owner of a dead run that this lock took over */
  tookOver?: LockOwner
  /** take the lock again over a new connection (after a reconnect) */
  renew(host: RemoteHost): Promise<void>
  release(host?: RemoteHost): Promise<void>
}

export function newRunId(): string {
  return randomBytes(6).toString('hex')
}

async function take(host: RemoteHost, node: string, owner: string, run: string): Promise<LockOwner | undefined> {
  const r = await host.exec(['sh', '-c', LOCK_SCRIPT, 'halctl-lock', LOCK_PATH, owner, run], {sudo: !host.isRoot, timeoutMs: 30_000})
  const lines = r.stdout.split('\n')
  if (r.code === 0 && lines.includes('ACQUIRED')) {
    const stale = lines.find((l) => l.startsWith('STALE '))
    return stale ? parseOwner(stale.slice(6)) : undefined
  }
  const held = lines.find((l) => l.startsWith('HELD '))
  const holder = held ? parseOwner(held.slice(5)) : undefined
  if (r.code === 75) {
    throw new HalError('NODE_LOCKED', `${node} is being changed by another run: ${holder ? describeOwner(holder) : 'another halctl is taking the lock right now'}`, {
      exitCode: ExitCode.Remote,
      where: node,
      hint: `wait for it to finish, then run again (the lock is ${LOCK_PATH} on the node; a lock whose run died is taken over automatically)`,
    })
  }
  throw new HalError('LOCK_FAILED', `${node}: could not take the lock ${LOCK_PATH} (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`, {exitCode: ExitCode.Remote, where: node})
}

/**
 * Take the node's lock for `what` (deploy, failover-test); refused at once
 * (HalError NODE_LOCKED naming the holder) when a live run holds it.
 */
export async function lockNode(host: RemoteHost, node: string, what: string, run = newRunId(), now = new Date()): Promise<NodeLock> {
  const owner = formatOwner({run, user: userInfo().username, host: hostname(), pid: process.pid, what, since: now.toISOString().replace(/\.\d+Z$/, 'Z')})
  const tookOver = await take(host, node, owner, run)
  let current = host
  return {
    node,
    run,
    ...(tookOver ? {tookOver} : {}),
    async renew(h) {
      current = h
      await take(h, node, owner, run)
    },
    async release(h = current) {
      await h.exec(['sh', '-c', UNLOCK_SCRIPT, 'halctl-unlock', LOCK_PATH, run], {sudo: !h.isRoot, timeoutMs: 15_000}).catch(() => undefined)
    },
  }
}

/** Lock every host (in the given order); on a refusal, release what was taken and rethrow. */
export async function lockNodes(hosts: Array<{node: string; host: RemoteHost}>, what: string, run = newRunId()): Promise<NodeLock[]> {
  const held: Array<{lock: NodeLock; host: RemoteHost}> = []
  try {
    for (const {node, host} of hosts) held.push({lock: await lockNode(host, node, what, run), host})
  } catch (e) {
    await Promise.all(held.map(({lock, host}) => lock.release(host)))
    throw e
  }
  return held.map((h) => h.lock)
}
