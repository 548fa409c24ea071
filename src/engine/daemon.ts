/**
 * The `halctl run` daemon: signals, the stop path, the status endpoint, the live view.
 */
import {closeSync, openSync} from 'node:fs'
import {isatty} from 'node:tty'
import type {IpvsStatus, VirtualServerService} from './ipvs/index.js'
import {VrrpEngine} from './engine.js'
import {closeIpBatch, ipHost} from './host.js'
import {openPcapLink} from './link.js'
import {loadEngineConfig} from './load.js'
import {serveStatus, type EngineStatus, type StatusEndpoint} from './status.js'
import {formatHalError, HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export interface RunResult extends EngineStatus {
  /** why the engine stopped */
  stoppedBy: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'duration' | 'error'
  /** "unix:/path" or "tcp:127.0.0.1:port" when a status endpoint was served */
  statusEndpoint?: string
  reloads: number
  /** the config's warnings at start, as printed without --json ("file:line: warning: message") */
  warnings: string[]
  /** the userspace IPVS serving the virtual_server blocks, when there are any */
  ipvs?: IpvsStatus
}

export interface DaemonFlags {
  'use-file': string
  'config-id'?: string
  'json-status'?: string
  'status-port'?: number
  duration?: number
}

export interface DaemonOutput {
  /** --json: no log lines, the result is printed by the caller */
  json: boolean
  log(line: string): void
  logToStderr(line: string): void
}

/**
 * `halctl run` itself, without the CLI framework (the daemon starts without
 * loading it): run the engine until a signal, --duration or an internal error,
 * then stop it cleanly. Returns the final status and the exit code to use.
 */
export async function runDaemon(flags: DaemonFlags, out: DaemonOutput): Promise<{result: RunResult; exitCode: number}> {
    const file = flags['use-file']
    const loaded = loadEngineConfig(file, flags['config-id'])
    const quiet = out.json
    const warnings = loaded.warnings.map((w) => `${w.file ?? file}${w.line ? `:${w.line}` : ''}: ${w.severity}: ${w.message}`)
    for (const w of warnings) if (!quiet) out.logToStderr(w)

    const engine = new VrrpEngine(loaded.engine, {host: ipHost, openLink: openPcapLink}, file)
    const live = !quiet && process.stdout.isTTY
    // a lost terminal or a closed pipe must not turn a log line into a crash in the middle of the stop
    const ignore = () => undefined
    process.stdout.on('error', ignore)
    process.stderr.on('error', ignore)
    const say = (line: string, toErr = false) => {
      try {
        if (toErr) out.logToStderr(line)
        else out.log(line)
      } catch {
        // the terminal is gone
      }
    }
    engine.on('event', (e) => {
      if (live || quiet) return
      if (e.type === 'transition') say(`${e.transition.at} ${e.instance}: ${e.transition.from} -> ${e.transition.to} (${e.transition.reason})`)
      else say(e.message, true)
    })

    let ipvs: VirtualServerService | undefined
    let detachIpvs = () => {}
    if (loaded.config.virtualServers.length > 0) {
      // the userspace IPVS only when there are virtual_server blocks (start-up time and memory)
      const {createVirtualServerService, followVrrpTransitions} = await import('../engine/ipvs/index.js')
      ipvs = createVirtualServerService(loaded.config, {
        onEvent: (e) => {
          if (!quiet && !live) say(`ipvs ${e.type}${'virtualServer' in e ? ` ${e.virtualServer}` : ''}${'server' in e ? ` ${e.server}` : ''}${'error' in e && e.error ? `: ${e.error}` : ''}`)
        },
      })
      detachIpvs = followVrrpTransitions(engine, ipvs, (e) => say(`ipvs: ${e instanceof Error ? e.message : String(e)}`, true))
    }
    const statusNow = () => (ipvs ? {...engine.status(), ipvs: ipvs.status()} : engine.status())

    let endpoint: StatusEndpoint | undefined
    let reloads = 0
    let stoppedBy: RunResult['stoppedBy'] = 'duration'
    let fatal: unknown
    let stopping = false
    let stop: (why: RunResult['stoppedBy']) => void = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = (why) => {
        if (stopping) return // a second signal during the stop changes nothing
        stopping = true
        stoppedBy = why
        resolve()
      }
    })
    // Installed for the whole life of the process, the stop included: a repeated Ctrl-C or
    // systemd's follow-up signals must not kill it halfway through removing the addresses.
    const handlers: Array<[string, (...a: unknown[]) => void]> = []
    const on = (ev: string, fn: (...a: unknown[]) => void) => {
      handlers.push([ev, fn])
      process.on(ev as NodeJS.Signals, fn)
    }
    let ink: {unmount: () => void; rerender: (n: never) => void} | undefined
    let view: ((s: EngineStatus) => never) | undefined
    let refresh: NodeJS.Timeout | undefined
    // ink and React only for a terminal, loaded before the engine starts: compiling them
    // blocks the event loop for long enough (seconds on a busy host) to miss adverts
    const loadView = async () => {
      const [{render}, {createElement}, {RunView}] = await Promise.all([import('ink'), import('react'), import('../ui/run-view.js')])
      return () => {
        view = (status) => createElement(RunView, {status, endpoint: endpoint?.address}) as never
        ink = render(view(engine.status()), {exitOnCtrlC: false, patchConsole: false}) as typeof ink
        refresh = setInterval(() => guard(() => ink?.rerender(view!(engine.status()))), 500)
      }
    }
    const hadTerminal = hasControllingTerminal()
    const ttyFds = [0, 1, 2].filter((fd) => isatty(fd))
    let terminalGone = false
    const hangup = () => {
      if (terminalGone) return
      terminalGone = true
      clearInterval(refresh)
      ink = undefined // its next write would fail: forget it, do not unmount onto a dead terminal
      detachStdio(ttyFds)
      stop('SIGHUP')
    }
    on('SIGTERM', () => stop('SIGTERM'))
    on('SIGINT', () => stop('SIGINT'))
    on('SIGHUP', () => {
      if (stopping) return
      if (isHangup(hadTerminal)) {
        hangup()
        return
      }
      try {
        const next = loadEngineConfig(file, flags['config-id'])
        void Promise.all([engine.reload(next.engine), ipvs?.reload(next.config)]).then(
          () => {
            reloads++
            if (!quiet && !live) say(`reloaded ${file}`)
          },
          (e: unknown) => say(`reload failed, keeping the running config: ${e instanceof Error ? e.message : String(e)}`, true),
        )
      } catch (e) {
        say(`reload failed, keeping the running config: ${isHalError(e) ? formatHalError(e) : String(e)}`, true)
      }
    })
    const onFatal = (...a: unknown[]) => {
      const e = a[0]
      const code = (e as {code?: string} | undefined)?.code
      if ((e as {syscall?: string} | undefined)?.syscall === 'write' && (code === 'EIO' || code === 'EPIPE')) {
        // output that cannot be written is not an engine fault; EIO on a terminal is a hang-up
        if (code === 'EIO' && ttyFds.length > 0) hangup()
        return
      }
      fatal ??= e
      say(`internal error, stopping: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, true)
      stop('error')
    }
    if (!process.env.VITEST) {
      on('uncaughtException', onFatal)
      on('unhandledRejection', onFatal)
    }

    let duration: NodeJS.Timeout | undefined
    // a failed start and a stop end the same way, through the one teardown below
    let startError: {error: unknown} | undefined
    try {
      const showView = live ? await loadView() : undefined
      // the first render too (React and the layout engine warm up on it) comes before the engine
      if (!stopping) guard(() => showView?.())
      // a signal while the view loaded: nothing started, nothing to undo
      if (stopping) await stopped
      else {
        await ipvs?.start()
        await engine.start()
      }
      if (flags['json-status']) endpoint = await serveStatus({socket: flags['json-status']}, statusNow)
      else if (flags['status-port']) endpoint = await serveStatus({port: flags['status-port']}, statusNow)
      if (!quiet && !live) say(`running ${loaded.engine.instances.length} instance(s) from ${file}${endpoint ? `; status on ${endpoint.address}` : ''}`)
      if (flags.duration) duration = setTimeout(() => stop('duration'), flags.duration * 1000)
      await stopped
    } catch (e) {
      startError = {error: e}
    }

    // the stop path, whatever happened before: priority 0, addresses removed (also those of an
    // instance already MASTER when the start failed), notify run; then the rest, in this order
    clearInterval(refresh)
    clearTimeout(duration)
    detachIpvs()
    let final: EngineStatus | undefined
    try {
      final = await engine.stop()
    } catch (e) {
      if (!startError) startError = {error: e}
    }
    closeIpBatch()
    const ipvsFinal = ipvs?.status()
    await ipvs?.stop().catch(() => undefined)
    await endpoint?.close().catch(() => undefined)
    if (final && !startError) guard(() => ink?.rerender(view!(final)))
    guard(() => ink?.unmount())
    if (startError) throw startError.error
    if (engine.errors.length > 0 && !quiet) say(`${engine.errors.length} address change(s) failed; see above`, true)
    if (fatal !== undefined) {
      throw isHalError(fatal)
        ? fatal
        : new HalError('ENGINE_INTERNAL', `internal error: ${fatal instanceof Error ? fatal.message : String(fatal)}`, {
            exitCode: ExitCode.Warnings,
            hint: 'the engine stopped cleanly (priority 0 sent, addresses removed); please report this error',
          })
    }
    return {
      result: {...final!, stoppedBy, statusEndpoint: endpoint?.address, reloads, warnings, ...(ipvsFinal ? {ipvs: ipvsFinal} : {})},
      exitCode: (stoppedBy as RunResult['stoppedBy']) === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Ok,
    }
}

function guard(fn: () => void): void {
  try {
    fn()
  } catch {
    // the terminal is gone
  }
}

/**
 * The terminal is gone: point the standard descriptors that were on it at
 * /dev/null (closing one and opening a file reuses the lowest free descriptor),
 * so no later write fails, and Node's exit-time terminal reset (which aborts
 * on a hung-up terminal) sees a different file and leaves it alone.
 */
function detachStdio(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd)
      const n = openSync('/dev/null', fd === 0 ? 'r' : 'w')
      if (n !== fd) closeSync(n)
    } catch {
      // keep going: the others still matter
    }
  }
}

/** Whether this process has a controlling terminal (it can open /dev/tty). */
function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'))
    return true
  } catch {
    return false
  }
}

/**
 * A SIGHUP is a hang-up when the process had a controlling terminal and has
 * lost it (the kernel detaches every process of the session from a hung-up
 * terminal); otherwise it is keepalived's "reload the configuration".
 */
export function isHangup(hadTerminal: boolean, hasNow: () => boolean = hasControllingTerminal): boolean {
  return hadTerminal && !hasNow()
}
