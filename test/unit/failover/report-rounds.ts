/**
 * Two failover rounds as the observers record them (adverts captured on the
 * backup with the usual jitter, `ip monitor` address events, a probe every
 * 20 ms): a passing `stop` round with preempt (the VIP returns to lb1 after the
 * restore) and a failing `block` round (split brain until the restore).
 */
import type {ReportRound} from '../../../src/failover/report-html.js'
import type {TimelineEvent} from '../../../src/failover/timeline.js'

const T = 1_765_000_000_000
/** deterministic jitter of a few ms, as captured adverts have */
const jitter = (i: number): number => ((i * 7919) % 13) - 6

function adverts(node: string, src: string, priority: number, from: number, to: number): TimelineEvent[] {
  const out: TimelineEvent[] = []
  for (let t = from, i = 0; t <= to; t += 1000, i++) out.push({t: T + t + jitter(i), kind: 'advert', node, src, vrid: 51, priority})
  return out
}
function probes(from: number, to: number, failed: (t: number) => boolean): TimelineEvent[] {
  const out: TimelineEvent[] = []
  for (let t = from; t <= to; t += 20) out.push(failed(t) ? {t: T + t, kind: 'probe', ok: false, error: 'connect ECONNREFUSED'} : {t: T + t, kind: 'probe', ok: true, latencyMs: 1})
  return out
}
const vip = (t: number, node: string, present: boolean): TimelineEvent => ({t: T + t, kind: 'vip', node, address: '10.120.7.100', present})

export const passingStop: ReportRound = {
  index: 1,
  fault: 'stop on lb1',
  nodes: ['lb1', 'lb2'],
  initialHolders: {'10.120.7.100': ['lb1']},
  ok: true,
  events: [
    ...adverts('lb1', '10.120.7.11', 150, 0, 2000),
    {t: T + 2050, kind: 'fault', node: 'lb1', fault: 'stop', phase: 'inject'},
    {t: T + 2061, kind: 'advert', node: 'lb1', src: '10.120.7.11', vrid: 51, priority: 0},
    vip(2063, 'lb1', false),
    ...adverts('lb2', '10.120.7.12', 100, 2671, 8700),
    vip(2673, 'lb2', true),
    {t: T + 5050, kind: 'fault', node: 'lb1', fault: 'stop', phase: 'restore'},
    ...adverts('lb1', '10.120.7.11', 150, 8712, 9800),
    vip(8714, 'lb1', true),
    vip(8716, 'lb2', false),
    ...probes(0, 9900, (t) => t >= 2064 && t < 2680),
  ],
  rows: [
    ['expected', '0 ms..909 ms (Skew_Time after a priority 0 advert)'],
    ['first advert from new master', '610 ms'],
    ['VIP on new master', '623 ms'],
    ['VIP on two nodes', '0 ms'],
    ['VIP on no node', '610 ms'],
    ['client downtime', '620 ms (31/496 probes failed)'],
    ['takeover time', 'ok: 623 ms within 0 ms..909 ms'],
    ['preempt', 'ok: VIP back on lb1 3664 ms after the restore'],
  ],
}

export const failingBlock: ReportRound = {
  index: 2,
  fault: 'block on lb1',
  nodes: ['lb1', 'lb2'],
  initialHolders: {'10.120.7.100': ['lb1']},
  ok: false,
  events: [
    ...adverts('lb1', '10.120.7.11', 150, 0, 1000),
    {t: T + 1040, kind: 'fault', node: 'lb1', fault: 'block', phase: 'inject'},
    ...adverts('lb2', '10.120.7.12', 100, 4650, 7650),
    vip(4652, 'lb2', true),
    {t: T + 8040, kind: 'fault', node: 'lb1', fault: 'block', phase: 'restore'},
    ...adverts('lb1', '10.120.7.11', 150, 8100, 10100),
    vip(8105, 'lb2', false),
    // clients hit whichever node answers ARP: every other burst fails during the split brain
    ...probes(0, 10200, (t) => t > 4652 && t < 8105 && Math.floor(t / 400) % 3 === 0),
  ],
  rows: [
    ['expected', '2609 ms..3909 ms (Master_Down_Interval)'],
    ['first advert from new master', '3610 ms'],
    ['VIP on new master', '3612 ms'],
    ['VIP on two nodes', '3453 ms'],
    ['VIP on no node', '0 ms'],
    ['client downtime', '1160 ms (58/511 probes failed)'],
    ['split brain detected', 'ok: both nodes held the VIP for 3453 ms'],
    ['split brain ended', 'FAILED: the VIP stayed on two nodes until the restore'],
  ],
}
