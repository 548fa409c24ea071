import {dirname} from 'node:path'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {ExecResult, RemoteHost} from '../remote/types.js'

/**
 * Small remote operations deploy is made of. Every one passes argv to
 * RemoteHost.exec (quoted by src/remote/shell.ts); the few `sh -c` scripts are
 * constants that take spec values only as positional parameters.
 */

export class StepFailure extends HalError {
  constructor(
    message: string,
    readonly result?: ExecResult,
    hint?: string,
  ) {
    super('DEPLOY_STEP_FAILED', message, {exitCode: ExitCode.Remote, hint})
  }
}

/**
 * A command's failure as a step failure; one that ran out of disk says so and what to do: free
 * space on the node (df -h on the directory it wrote to), then deploy again.
 */
export function stepFailure(message: string, r: ExecResult, host: RemoteHost, dir = '/'): StepFailure {
  if (/no space left on device|disk quota exceeded/i.test(r.stderr)) {
    return new StepFailure(`no space left on device on ${host.name}:${dir}: ${message}`, r, `free space in ${dir} on ${host.name} (df -h ${dir}), then run again`)
  }
  return new StepFailure(message, r)
}

/** A broken channel or connection (the exec never produced an exit status). */
export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof StepFailure) return e.result?.code === -1 && e.result.signal === undefined
  // the transport's own word for a connection that closed under a call
  if (e instanceof HalError) return e.code === 'SSH_CONNECTION_LOST' || e.code === 'SSH_CLOSED'
  return true
}

const firstLines = (text: string, n = 4): string =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .slice(0, n)
    .join(' / ')

/**
 * Run argv on the host. A command that ended without an exit status (code -1:
 * the channel closed, or it was killed by a signal) is tried up to twice more
 * when it is idempotent (the default): every deploy command is, except
 * appending a line and starting a daemon.
 */
export async function run(
  host: RemoteHost,
  argv: string[],
  opts: {stdin?: string; timeoutMs?: number; allowFail?: boolean; idempotent?: boolean} = {},
): Promise<ExecResult> {
  const once = (): Promise<ExecResult> => host.exec(argv, {sudo: !host.isRoot, stdin: opts.stdin, timeoutMs: opts.timeoutMs ?? 60_000})
  let r = await once()
  for (let i = 0; i < 2 && r.code === -1 && opts.idempotent !== false; i++) {
    await new Promise((res) => setTimeout(res, 200 * (i + 1)))
    r = await once()
  }
  if (r.code !== 0 && !opts.allowFail) {
    const what = r.code === -1 ? (r.signal ? `killed by ${r.signal}` : 'the channel closed without an exit status') : `exit ${r.code}`
    throw stepFailure(`${argv[0] === 'sh' ? argv[3] ?? 'sh' : argv.slice(0, 3).join(' ')} failed (${what}): ${firstLines(r.stderr || r.stdout)}`, r, host)
  }
  return r
}

export async function mkdirP(host: RemoteHost, dir: string, mode = '755'): Promise<void> {
  await run(host, ['mkdir', '-p', '-m', mode, '--', dir])
}

export async function removePath(host: RemoteHost, path: string): Promise<void> {
  await run(host, ['rm', '-rf', '--', path])
}

/**
 * Write a file atomically (RemoteHost.writeFile: temp file in the same
 * directory, then rename), creating its directory first unless `madeDirs`
 * says it was already made on this connection.
 */
export async function putFile(host: RemoteHost, path: string, content: string, mode: number, madeDirs?: Set<string>): Promise<void> {
  const dir = dirname(path)
  if (!madeDirs?.has(dir)) {
    await mkdirP(host, dir)
    madeDirs?.add(dir)
  }
  await host.writeFile(path, content, {mode, sudo: !host.isRoot})
}

/** Append one line to a file in place (works on bind-mounted files, where rename cannot). */
export async function appendLine(host: RemoteHost, path: string, line: string): Promise<void> {
  await run(host, ['sh', '-c', 'printf "%s\\n" "$1" >> "$2"', 'halctl-append', line, path], {idempotent: false})
}

/** Rewrite a file in place (truncate + write), for files that cannot be renamed over. */
export async function rewriteInPlace(host: RemoteHost, path: string, content: string): Promise<void> {
  await run(host, ['sh', '-c', 'cat > "$1"', 'halctl-rewrite', path], {stdin: content})
}

/**
 * Copy the current contents of DIR (without halctl's own backup and staging
 * entries) into DEST, then keep only the newest `keep` backups beside it.
 * Returns false when DIR does not exist.
 */
export async function backupDir(host: RemoteHost, dir: string, dest: string, keep = 10): Promise<boolean> {
  const script = [
    '[ -d "$1" ] || exit 3',
    'mkdir -p -m 700 "$2" && find "$1" -mindepth 1 -maxdepth 1 ! -name ".halctl-*" -exec cp -a -t "$2" {} + || { rm -rf -- "$2"; exit 1; }',
    'parent=$(dirname "$2"); n=$(ls -1 "$parent" | wc -l)',
    'if [ "$n" -gt "$3" ]; then ls -1 "$parent" | sort | head -n $((n - $3)) | while read -r old; do rm -rf -- "$parent/$old"; done; fi',
  ].join('\n')
  const r = await run(host, ['sh', '-c', script, 'halctl-backup', dir, dest, String(keep)], {allowFail: true})
  if (r.code === 3) return false
  if (r.code !== 0) throw stepFailure(`backup of ${dir} failed (exit ${r.code}): ${firstLines(r.stderr)}`, r, host, dir)
  return true
}

/**
 * The same host with a bound on every call: a connection that dies without
 * closing (a peer gone mid-write) turns into an error after `ms` instead of a
 * hang, so the rollout can stop and roll back over a fresh connection.
 */
export function withDeadlines(host: RemoteHost, ms: number): RemoteHost {
  const bound = <T>(what: string, p: Promise<T>, limit = ms): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} on ${host.name}: no answer within ${limit < 1000 ? `${limit}ms` : `${Math.round(limit / 1000)}s`} (connection lost?)`)), limit)
    })
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
  }
  return {
    name: host.name,
    address: host.address,
    isRoot: host.isRoot,
    exec: (argv, opts) => bound(argv[0] === 'sh' ? (argv[3] ?? 'sh') : argv[0], host.exec(argv, opts), (opts?.timeoutMs ?? ms) + 5000),
    stream: (argv, on, opts) => host.stream(argv, on, opts),
    readFile: (path, opts) => bound(`reading ${path}`, host.readFile(path, opts)),
    writeFile: (path, content, opts) => bound(`writing ${path}`, host.writeFile(path, content, opts)),
    close: () => bound('closing the connection', host.close(), 5000).catch(() => undefined),
  }
}
