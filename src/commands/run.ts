import {Flags} from '@oclif/core'
import {createElement} from 'react'
import {VrrpEngine} from '../engine/engine.js'
import {closeIpBatch, ipHost} from '../engine/host.js'
import {createVirtualServerService, followVrrpTransitions, type IpvsStatus, type VirtualServerService} from '../engine/ipvs/index.js'
import {openPcapLink} from '../engine/link.js'
import {loadEngineConfig} from '../engine/load.js'
import {serveStatus, type EngineStatus, type StatusEndpoint} from '../engine/status.js'
import {BaseCommand} from '../lib/base-command.js'
import {formatHalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {RunView} from '../ui/run-view.js'

export interface RunResult extends EngineStatus {
  /** why the engine stopped */
  stoppedBy: 'SIGTERM' | 'SIGINT' | 'duration'
  /** "unix:/path" or "tcp:127.0.0.1:port" when a status endpoint was served */
  statusEndpoint?: string
  reloads: number
  /** the userspace IPVS serving the virtual_server blocks, when there are any */
  ipvs?: IpvsStatus
}

export default class Run extends BaseCommand {
  static override summary = 'Run the VRRP part of a keepalived.conf in userspace, as a keepalived peer.'
  static override description = [
    'Reads vrrp_instance, vrrp_script, vrrp_sync_group and static_ipaddress from a keepalived.conf and speaks VRRP v2/v3',
    'on the wire (libpcap capture and injection) with no keepalived installed. On MASTER it adds the virtual addresses',
    'and sends gratuitous ARP / unsolicited NA; on leaving MASTER or exiting it removes them.',
    'SIGTERM/SIGINT: priority 0 advert, addresses removed, exit. SIGHUP: reload the file, keeping the addresses that stay.',
    'virtual_server blocks are served by the userspace IPVS (TCP/UDP proxy with IPVS schedulers and keepalived checkers),',
    'listening on a vrrp_instance\'s VIPs while this node is MASTER for it.',
    'Needs root (raw capture, ip addr).',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> run -f /etc/keepalived/keepalived.conf',
    '<%= config.bin %> run -f lb1.conf --config-id lb1 --json-status /run/halctl-run.sock',
    '<%= config.bin %> run -f lb1.conf --status-port 8765 --duration 60 --json',
  ]

  static override flags = {
    // -f as keepalived's own -f/--use-file; -s (the input file in every other command) is accepted too
    'use-file': Flags.string({char: 'f', charAliases: ['s'], summary: 'keepalived.conf to run (-f as in keepalived; -s also accepted)', default: '/etc/keepalived/keepalived.conf'}),
    'config-id': Flags.string({summary: "keepalived's -i: keep @ID lines for this id (default: host name)"}),
    'json-status': Flags.string({summary: 'serve the status as JSON over HTTP on this unix socket path', exclusive: ['status-port']}),
    'status-port': Flags.integer({summary: 'serve the status as JSON over HTTP on 127.0.0.1:PORT', min: 1, max: 65535}),
    duration: Flags.integer({summary: 'stop cleanly after this many seconds (tests, benchmarks)', min: 1}),
  }

  async run(): Promise<RunResult> {
    const {flags} = await this.parse(Run)
    const file = flags['use-file']
    const loaded = loadEngineConfig(file, flags['config-id'])
    const quiet = this.jsonEnabled()
    for (const w of loaded.warnings) if (!quiet) this.logToStderr(`${w.file ?? file}${w.line ? `:${w.line}` : ''}: ${w.severity}: ${w.message}`)

    const engine = new VrrpEngine(loaded.engine, {host: ipHost, openLink: openPcapLink}, file)
    const live = !quiet && process.stdout.isTTY
    engine.on('event', (e) => {
      if (live || quiet) return
      if (e.type === 'transition') this.log(`${e.transition.at} ${e.instance}: ${e.transition.from} -> ${e.transition.to} (${e.transition.reason})`)
      else this.logToStderr(e.message)
    })

    let ipvs: VirtualServerService | undefined
    let detachIpvs = () => {}
    if (loaded.config.virtualServers.length > 0) {
      ipvs = createVirtualServerService(loaded.config, {
        onEvent: (e) => {
          if (!quiet && !live) this.log(`ipvs ${e.type}${'virtualServer' in e ? ` ${e.virtualServer}` : ''}${'server' in e ? ` ${e.server}` : ''}${'error' in e && e.error ? `: ${e.error}` : ''}`)
        },
      })
      detachIpvs = followVrrpTransitions(engine, ipvs, (e) => this.logToStderr(`ipvs: ${e instanceof Error ? e.message : String(e)}`))
    }
    const statusNow = () => (ipvs ? {...engine.status(), ipvs: ipvs.status()} : engine.status())

    let endpoint: StatusEndpoint | undefined
    let reloads = 0
    let stoppedBy: RunResult['stoppedBy'] = 'duration'
    const handlers: Array<[NodeJS.Signals, () => void]> = []
    let stop: (why: RunResult['stoppedBy']) => void = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = (why) => {
        stoppedBy = why
        resolve()
      }
    })
    const on = (sig: NodeJS.Signals, fn: () => void) => {
      handlers.push([sig, fn])
      process.on(sig, fn)
    }
    on('SIGTERM', () => stop('SIGTERM'))
    on('SIGINT', () => stop('SIGINT'))
    on('SIGHUP', () => {
      try {
        const next = loadEngineConfig(file, flags['config-id'])
        void Promise.all([engine.reload(next.engine), ipvs?.reload(next.config)]).then(
          () => {
            reloads++
            if (!quiet && !live) this.log(`reloaded ${file}`)
          },
          (e: unknown) => this.logToStderr(`reload failed, keeping the running config: ${e instanceof Error ? e.message : String(e)}`),
        )
      } catch (e) {
        this.logToStderr(`reload failed, keeping the running config: ${isHalError(e) ? formatHalError(e) : String(e)}`)
      }
    })

    let ink: {unmount: () => void; rerender: (n: ReturnType<typeof createElement>) => void} | undefined
    let refresh: NodeJS.Timeout | undefined
    let duration: NodeJS.Timeout | undefined
    try {
      await ipvs?.start()
      await engine.start()
      if (flags['json-status']) endpoint = await serveStatus({socket: flags['json-status']}, statusNow)
      else if (flags['status-port']) endpoint = await serveStatus({port: flags['status-port']}, statusNow)
      if (!quiet && !live) this.log(`running ${loaded.engine.instances.length} instance(s) from ${file}${endpoint ? `; status on ${endpoint.address}` : ''}`)
      if (live) {
        const {render} = await import('ink')
        const view = () => createElement(RunView, {status: engine.status(), endpoint: endpoint?.address})
        ink = render(view(), {exitOnCtrlC: false, patchConsole: false})
        refresh = setInterval(() => ink?.rerender(view()), 500)
      }
      if (flags.duration) duration = setTimeout(() => stop('duration'), flags.duration * 1000)
      await stopped
    } catch (e) {
      detachIpvs()
      await engine.stop().catch(() => undefined)
      closeIpBatch()
      await ipvs?.stop().catch(() => undefined)
      throw e
    } finally {
      clearInterval(refresh)
      clearTimeout(duration)
      for (const [sig, fn] of handlers) process.off(sig, fn)
    }
    detachIpvs()
    const final = await engine.stop()
    closeIpBatch()
    const ipvsFinal = ipvs?.status()
    await ipvs?.stop()
    await endpoint?.close()
    ink?.rerender(createElement(RunView, {status: final, endpoint: endpoint?.address}))
    ink?.unmount()
    if (engine.errors.length > 0 && !quiet) this.logToStderr(`${engine.errors.length} address change(s) failed; see above`)
    if ((stoppedBy as RunResult['stoppedBy']) === 'SIGINT') this.resultExitCode = ExitCode.Interrupted
    exitSoonIfHeld()
    return {...final, stoppedBy, statusEndpoint: endpoint?.address, reloads, ...(ipvsFinal ? {ipvs: ipvsFinal} : {})}
  }
}

/**
 * libpcap's poller can keep the event loop alive after its session is closed:
 * once the result is written, make sure the process ends (a timer that does not
 * itself hold the loop open). Not inside the test runner, which runs commands in-process.
 */
function exitSoonIfHeld(): void {
  if (process.env.VITEST) return
  setTimeout(() => process.exit(), 300).unref()
}
