/**
 * `halctl lab up --engine embedded`: every lab host runs `halctl run` (the
 * embedded VRRP engine) on its keepalived.conf rendered from the lab spec,
 * detached inside the host with a pid file, a log file and a JSON status socket.
 */
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {writeFileSafeAsync} from '../lib/safe-write.js'
import {request} from 'node:http'
import {dirname, join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import type {EngineStatus} from '../engine/status.js'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {loadSpec, renderCluster} from '../spec/index.js'
import {hostRunDir, isRunningInHost, startInHost, stopInHost, type LabHost} from './netns.js'

/** Where a host's engine keeps its files: config, pid and log in the host's state dir, the status socket in its /run. */
export interface EmbeddedEngineFiles {
  /** keepalived.conf rendered from the lab spec for this host */
  config: string
  pidFile: string
  log: string
  /** status socket as seen inside the host */
  statusSocket: string
  /** the same socket as seen from the root namespace */
  statusSocketOutside: string
}

/** Name of the status socket in the host's /run. */
const STATUS_SOCKET = 'halctl-run.sock'
/** How long an engine may take to answer on its status socket after start (`lab up --engine-timeout`, seconds). */
export const DEFAULT_ENGINE_TIMEOUT_S = 60
/** How often a start that takes long is reported as progress. */
const START_PROGRESS_MS = 5_000
/** How long `lab down` waits after SIGTERM before SIGKILL. */
export const STOP_TIMEOUT_MS = 5_000

export function embeddedEngineFiles(hostDir: string, netns: string): EmbeddedEngineFiles {
  return {
    config: join(hostDir, 'keepalived.conf'),
    pidFile: join(hostDir, 'halctl-run.pid'),
    log: join(hostDir, 'halctl-run.log'),
    statusSocket: `/run/${STATUS_SOCKET}`,
    statusSocketOutside: join(hostRunDir(netns), STATUS_SOCKET),
  }
}

/** The repository (or installed package) root this module belongs to: src/lab/ and dist/lab/ are both two levels down. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
}

/**
 * The built CLI entry (bin/run.js) that starts `halctl run`. The engine runs
 * from the build only: throws when dist/commands/run.js is missing.
 */
export function resolveHalctlEntry(root = packageRoot()): string {
  const entry = join(root, 'bin', 'run.js')
  const built = join(root, 'dist', 'commands', 'run.js')
  if (!existsSync(entry) || !existsSync(built))
    throw new HalError('LAB_NO_BUILD', `--engine embedded starts the built halctl, and ${existsSync(entry) ? built : entry} is missing`, {
      exitCode: ExitCode.Environment,
      hint: `run npm run build in ${root}, then lab up again`,
    })
  return entry
}

/**
 * argv of the engine inside a host: a clean environment (the engine is a
 * daemon; it must not inherit a caller's test or terminal settings), node, the
 * built CLI, `run -f <conf> --config-id <node> --json-status <socket>`.
 */
export function embeddedEngineArgv(opts: {node: string; entry: string; nodeBin?: string; files: Pick<EmbeddedEngineFiles, 'config' | 'statusSocket'>}): string[] {
  return [
    'env',
    '-i',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/root',
    'LANG=C.UTF-8',
    opts.nodeBin ?? process.execPath,
    opts.entry,
    'run',
    '-f',
    opts.files.config,
    '--config-id',
    opts.node,
    '--json-status',
    opts.files.statusSocket,
  ]
}

/** Render the lab spec and write each host's keepalived.conf (node name -> path). */
export async function writeEngineConfigs(specPath: string, configs: Map<string, string>): Promise<void> {
  const cluster = renderCluster(await loadSpec(specPath))
  for (const [node, path] of configs) {
    const rendered = cluster.nodes.find((n) => n.name === node)
    if (!rendered)
      throw new HalError('LAB_SPEC_NODE', `the lab spec has no node ${node}`, {where: specPath, hint: 'the lab writes its own spec; run `halctl lab down` and `lab up` again'})
    await writeFileSafeAsync(path, rendered.text)
  }
}

/** GET the engine's status over its unix socket; undefined when it does not answer. */
export function readEngineStatus(socket: string, timeoutMs = 1000): Promise<EngineStatus | undefined> {
  return new Promise((done) => {
    const req = request({socketPath: socket, path: '/', method: 'GET', timeout: timeoutMs}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          done(JSON.parse(Buffer.concat(chunks).toString('utf8')) as EngineStatus)
        } catch {
          done(undefined)
        }
      })
      res.on('error', () => done(undefined))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => done(undefined))
    req.end()
  })
}

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.trim().split('\n').slice(-3).join(' / ')
}

/**
 * Start the engine in the host and wait (bounded by timeoutMs) until it answers
 * on its status socket; returns its pid inside the host. A start that takes
 * long is reported every 5 s through onWait. On failure the engine is killed
 * and the error names its log and the --engine-timeout flag.
 */
export async function startEmbeddedEngine(
  host: LabHost,
  files: EmbeddedEngineFiles,
  argv: string[],
  opts: {timeoutMs?: number; onWait?: (waitedMs: number) => void} = {},
): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ENGINE_TIMEOUT_S * 1000
  const pid = await startInHost(host, argv, {pidFile: files.pidFile, logFile: files.log})
  const t0 = Date.now()
  let nextReport = t0 + START_PROGRESS_MS
  let exited = false
  while (Date.now() - t0 < timeoutMs) {
    if (await readEngineStatus(files.statusSocketOutside)) return pid
    if (!(await isRunningInHost(host, files.pidFile))) {
      exited = true
      break
    }
    if (Date.now() >= nextReport) {
      opts.onWait?.(Date.now() - t0)
      nextReport += START_PROGRESS_MS
    }
    await sleep(100)
  }
  await stopInHost(host, files.pidFile, 'KILL')
  const tail = await logTail(files.log)
  const seconds = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 100) / 10} s`
  throw new HalError(
    'LAB_ENGINE_START',
    exited
      ? `halctl run exited on lab host ${host.name} before it answered on its status socket${tail ? `: ${tail}` : ''}`
      : `halctl run on lab host ${host.name} gave no status within ${seconds}${tail ? `; its log ends: ${tail}` : ' (its log is empty)'}`,
    {
      exitCode: ExitCode.Environment,
      where: files.log,
      hint: exited
        ? 'read the log named above; `halctl run -f <config> --config-id <node>` shows the same error in a terminal'
        : `a busy machine starts node slowly: run lab up again with a longer --engine-timeout (now ${seconds})`,
    },
  )
}

/** Stop the engine: SIGTERM (it sends priority 0 and removes its VIPs), a bounded wait, then SIGKILL. True when it was running. */
export async function stopEmbeddedEngine(host: LabHost, files: Pick<EmbeddedEngineFiles, 'pidFile'>, timeoutMs = STOP_TIMEOUT_MS): Promise<boolean> {
  if (!(await stopInHost(host, files.pidFile, 'TERM'))) return false
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await isRunningInHost(host, files.pidFile))) return true
    await sleep(100)
  }
  await stopInHost(host, files.pidFile, 'KILL')
  return true
}
