import type {InitSystem} from './facts.js'
import {KEEPALIVED_CONF, pidFiles} from './paths.js'

export type ServiceAction = 'none' | 'start' | 'reload'

/**
 * argv lists that start, reload or stop keepalived for each init system.
 * Reload never restarts a running keepalived (a restart drops the VIPs):
 * systemd/sysv `reload`, or SIGHUP to the daemon halctl started itself.
 */
export function serviceCommands(init: InitSystem, action: 'start' | 'reload' | 'stop', node: string): string[][] {
  const pids = pidFiles(node)
  const signal = (sig: string): string[] => ['sh', '-c', 'kill -s "$1" "$(cat "$2")"', 'halctl-signal', sig, pids.main]
  switch (init) {
    case 'systemd':
      if (action === 'start') return [['systemctl', 'enable', 'keepalived'], ['systemctl', 'start', 'keepalived']]
      return [['systemctl', action, 'keepalived']]
    case 'sysv':
      return [['service', 'keepalived', action]]
    case 'none':
      if (action === 'start') return [['keepalived', '-f', KEEPALIVED_CONF, '-p', pids.main, '-r', pids.vrrp, '-c', pids.checkers]]
      return [signal(action === 'reload' ? 'HUP' : 'TERM')]
  }
}
