import type {FaultKind} from '../../../src/failover/expectations.js'
import type {TimelineEvent} from '../../../src/failover/timeline.js'

/** lb1 master of VRID 51 holding 10.0.0.100; lb2 the backup. */
export const ctx = {vrid: 51, vips: ['10.0.0.100'], originalMaster: 'lb1', initialHolders: {'10.0.0.100': ['lb1']}}

/**
 * A fault on lb1 at t=0 after which lb2 takes the VIP at `takeover`, the fault
 * restored at `restore` and lb2 letting go 100-200 ms later (lb1 kept or took back the VIP).
 */
export function handBack(fault: FaultKind, takeover: number, restore: number, letGo: number): TimelineEvent[] {
  return [
    {t: 0, kind: 'fault', node: 'lb1', fault, phase: 'inject'},
    {t: takeover, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true},
    {t: restore, kind: 'fault', node: 'lb1', fault, phase: 'restore'},
    {t: letGo, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: false},
  ]
}

/**
 * A clean stop under systemd: `systemctl stop` started at 10000 and returned at
 * `until`, once the daemon had exited; it resigned at 10000+resignAfter and lb2 took over Skew_Time later.
 */
export function systemdStop(until = 11150, resignAfter = 40): TimelineEvent[] {
  const r = 10000 + resignAfter
  return [
    {t: 9500, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 150},
    {t: 10000, kind: 'fault', node: 'lb1', fault: 'stop', phase: 'inject', until},
    {t: r, kind: 'advert', node: 'lb1', src: '10.0.0.11', vrid: 51, priority: 0},
    {t: r + 1, kind: 'vip', node: 'lb1', address: '10.0.0.100', present: false},
    {t: r + 610, kind: 'advert', node: 'lb2', src: '10.0.0.12', vrid: 51, priority: 100},
    {t: r + 612, kind: 'vip', node: 'lb2', address: '10.0.0.100', present: true},
  ]
}
