import type {EngineInstance} from '../../../src/engine/config.js'

/** An engine instance with keepalived's defaults, for tests. */
export const inst = (over: Partial<EngineInstance> = {}): EngineInstance => ({
  name: 'VI_1',
  iface: 'eth0',
  vrid: 51,
  version: 2,
  family: 4,
  priority: 100,
  advertIntMs: 1000,
  initialState: 'BACKUP',
  nopreempt: false,
  preemptDelayMs: 0,
  vips: [{address: '192.0.2.10/24'}, {address: '192.0.2.11'}],
  excludedVips: [],
  mcastGroup: '224.0.0.18',
  unicastPeers: [],
  useVmac: false,
  garp: {delayMs: 0, repeat: 5, refreshMs: 0, refreshRepeat: 1, intervalMs: 0},
  tracks: [],
  routes: [],
  rules: [],
  notify: {},
  ...over,
})
