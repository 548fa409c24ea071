import {createDestinationHash, createSourceHash} from './hashing.js'
import {createLeastConnection} from './least-connection.js'
import {createMaglev} from './maglev.js'
import {createRoundRobin, createWeightedRoundRobin} from './round-robin.js'
import {SCHEDULER_NAMES, type Scheduler, type SchedulerName} from './types.js'

export * from './types.js'

export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name)
}

/** A fresh scheduler with IPVS's semantics for `lb_algo name`. */
export function createScheduler(name: SchedulerName): Scheduler {
  switch (name) {
    case 'rr':
      return createRoundRobin()
    case 'wrr':
      return createWeightedRoundRobin()
    case 'lc':
    case 'wlc':
    case 'sed':
    case 'nq':
      return createLeastConnection(name)
    case 'sh':
      return createSourceHash()
    case 'dh':
      return createDestinationHash()
    case 'mh':
      return createMaglev()
  }
}
