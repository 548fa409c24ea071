import {foldAddress, hash32} from './addr.js'
import type {Scheduler, SchedDest} from './types.js'

export const HASH_TABLE_BITS = 8
export const HASH_TABLE_SIZE = 1 << HASH_TABLE_BITS

/**
 * ip_vs_sh_reassign: 256 buckets filled in list order, each destination taking
 * max(weight, 1) consecutive buckets, cycling until the table is full.
 */
export function buildSourceHashTable(dests: readonly SchedDest[]): (string | undefined)[] {
  const table: (string | undefined)[] = new Array(HASH_TABLE_SIZE).fill(undefined)
  if (dests.length === 0) return table
  let p = 0
  let count = 0
  for (let i = 0; i < HASH_TABLE_SIZE; i++) {
    const d = dests[p % dests.length]
    table[i] = d.key
    if (++count >= d.weight) {
      p++
      count = 0
    }
  }
  return table
}

/** ip_vs_dh_reassign: one bucket per destination, cycling (weights do not count). */
export function buildDestinationHashTable(dests: readonly SchedDest[]): (string | undefined)[] {
  return Array.from({length: HASH_TABLE_SIZE}, (_, i) => (dests.length ? dests[i % dests.length].key : undefined))
}

/** ip_vs_sh_hashkey with port 0 (no sh-port flag) and offset 0. */
export const sourceHashBucket = (clientIp: string): number => hash32(foldAddress(clientIp), HASH_TABLE_BITS)

/** ip_vs_dh_hashkey: (addr * 2654435761) & mask. */
export const destinationHashBucket = (serviceIp: string): number =>
  (Math.imul(foldAddress(serviceIp), 2654435761 | 0) >>> 0) & (HASH_TABLE_SIZE - 1)

function tableScheduler(
  name: 'sh' | 'dh',
  build: (dests: readonly SchedDest[]) => (string | undefined)[],
  bucket: (client: string, service: string) => number,
): Scheduler {
  let table: (string | undefined)[] = []
  return {
    name,
    destsChanged(dests) {
      table = build(dests)
    },
    schedule(dests, client, service) {
      const key = table[bucket(client.ip, service.ip)]
      const d = key === undefined ? undefined : dests.find((x) => x.key === key)
      // the bucket's server, only if it takes new connections (no fallback, as without sh-fallback)
      return d && d.weight > 0 ? d : undefined
    },
  }
}

export const createSourceHash = (): Scheduler =>
  tableScheduler('sh', buildSourceHashTable, (client) => sourceHashBucket(client))

export const createDestinationHash = (): Scheduler =>
  tableScheduler('dh', buildDestinationHashTable, (_client, service) => destinationHashBucket(service))
