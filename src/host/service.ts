import type {InitSystem} from './facts.js'
import {KEEPALIVED_CONF, pidFiles} from './paths.js'

export type ServiceAction = 'none' | 'start' | 'reload'

/**
 * argv lists that start, reload or stop keepalived for each init system.
 * Reload never restarts a running keepalived (a restart drops the VIPs):
 * systemd/sysv `reload`, or SIGHUP to the daemon halctl started itself.
 * logFacility: without an init system, the daemon is started with `-S N`
 * (with one, the options live in the distribution's defaults file).
 * daemon: without an init system, the binary and config file it starts
 * (a source install's); with one, its unit or init script says.
 */
export function serviceCommands(
  init: InitSystem,
  action: 'start' | 'reload' | 'stop',
  node: string,
  opts: {logFacility?: number; daemon?: {binary?: string; config: string}} = {},
): string[][] {
  const pids = pidFiles(node)
  const signal = (sig: string): string[] => ['sh', '-c', 'kill -s "$1" "$(cat "$2")"', 'halctl-signal', sig, pids.main]
  switch (init) {
    case 'systemd':
      if (action === 'start') return [['systemctl', 'enable', 'keepalived'], ['systemctl', 'start', 'keepalived']]
      return [['systemctl', action, 'keepalived']]
    case 'sysv':
      return [['service', 'keepalived', action]]
    case 'none':
      if (action === 'start') {
        const log = opts.logFacility === undefined ? [] : ['-S', String(opts.logFacility)]
        return [[opts.daemon?.binary ?? 'keepalived', '-f', opts.daemon?.config ?? KEEPALIVED_CONF, '-p', pids.main, '-r', pids.vrrp, '-c', pids.checkers, ...log]]
      }
      return [signal(action === 'reload' ? 'HUP' : 'TERM')]
  }
}

/**
 * Make rsyslog read a new drop-in. rsyslog re-reads its configuration only
 * when restarted (SIGHUP just reopens files); restarting it costs no VIP.
 * undefined: no init system to restart it with.
 */
export function rsyslogRestartCommand(init: InitSystem): string[] | undefined {
  if (init === 'systemd') return ['systemctl', 'try-restart', 'rsyslog']
  if (init === 'sysv') return ['service', 'rsyslog', 'restart']
  return undefined
}
