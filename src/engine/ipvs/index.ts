/**
 * Userspace IPVS for `halctl run`: serves the virtual_server blocks of a
 * keepalived.conf with IPVS's schedulers and keepalived's checkers.
 * Usage and semantics: ./README.md.
 */
export {
  createVirtualServerService,
  notesFor,
  unsupportedReason,
  virtualServerId,
  type IpvsEvent,
  type VirtualServerService,
  type VirtualServerServiceOptions,
} from './service.js'
export {renderIpvsTable, type CheckerStatus, type IpvsStatus, type RealServerStatus, type VirtualServerStatus} from './status.js'
export {createScheduler, SCHEDULER_NAMES, type SchedulerName} from './schedulers/index.js'
export {checkerTiming, worstCaseDetection, type CheckerTiming} from './checkers/timing.js'
export {followVrrpTransitions, type TransitionSource} from './vrrp-bridge.js'
