import {foldAddress, gcd} from './addr.js'
import type {Scheduler, SchedDest} from './types.js'

/** ip_vs_mh with the default CONFIG_IP_VS_MH_TAB_INDEX=12: a 4093-entry lookup table. */
export const MH_TABLE_SIZE = 4093
const MH_TAB_BITS = 6

const M64 = (1n << 64n) - 1n
const rol64 = (x: bigint, s: bigint): bigint => ((x << s) | (x >> (64n - s))) & M64

/**
 * The kernel's hsiphash on 64-bit hosts (SipHash-1-3 with a 2x64-bit key,
 * truncated to 32 bits) of one native-endian u32, as ip_vs_mh_hashkey calls it.
 */
export function hsiphashU32(value: number, key: readonly [bigint, bigint]): number {
  let v0 = 0x736f6d6570736575n ^ key[0]
  let v1 = 0x646f72616e646f6dn ^ key[1]
  let v2 = 0x6c7967656e657261n ^ key[0]
  let v3 = 0x7465646279746573n ^ key[1]
  const b = (4n << 56n) | BigInt(value >>> 0)
  const round = (): void => {
    v0 = (v0 + v1) & M64
    v1 = rol64(v1, 13n) ^ v0
    v0 = rol64(v0, 32n)
    v2 = (v2 + v3) & M64
    v3 = rol64(v3, 16n) ^ v2
    v0 = (v0 + v3) & M64
    v3 = rol64(v3, 21n) ^ v0
    v2 = (v2 + v1) & M64
    v1 = rol64(v1, 17n) ^ v2
    v2 = rol64(v2, 32n)
  }
  v3 ^= b
  round()
  v0 ^= b
  v2 ^= 0xffn
  round()
  round()
  round()
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn)
}

const HASH1: [bigint, bigint] = [2654435761n, 2654435761n]
const HASH2: [bigint, bigint] = [2654446892n, 2654446892n]

/** ip_vs_mh_hashkey(addr, port, key, offset) */
const mhHash = (ip: string, port: number, key: readonly [bigint, bigint], offset = 0): number =>
  hsiphashU32((offset + port + foldAddress(ip)) >>> 0, key)

const fls = (x: number): number => (x === 0 ? 0 : 32 - Math.clz32(x))

/**
 * ip_vs_mh_permutate + ip_vs_mh_populate: each destination walks its own
 * permutation (offset, skip from two hashes of its address and port) and
 * claims `turns` free slots per round, turns = (last_weight / gcd) >> rshift.
 */
export function buildMaglevTable(dests: readonly SchedDest[]): (string | undefined)[] {
  const table: (string | undefined)[] = new Array(MH_TABLE_SIZE).fill(undefined)
  const g = dests.reduce((acc, d) => (d.lastWeight > 0 ? (acc > 0 ? gcd(d.lastWeight, acc) : d.lastWeight) : acc), 0)
  if (g < 1) return table
  const maxWeight = Math.max(...dests.map((d) => d.lastWeight))
  const rshift = Math.max(0, fls(Math.floor(maxWeight / g)) - MH_TAB_BITS)
  const setup = dests.map((d) => {
    const offset = mhHash(d.ip, d.port, HASH1) % MH_TABLE_SIZE
    const skip = (mhHash(d.ip, d.port, HASH2) % (MH_TABLE_SIZE - 1)) + 1
    const turns = Math.floor(d.lastWeight / g) >> rshift || (d.lastWeight !== 0 ? 1 : 0)
    return {key: d.key, perm: offset, skip, turns}
  })
  const taken = new Uint8Array(MH_TABLE_SIZE)
  let n = 0
  let dtCount = 0
  while (n < MH_TABLE_SIZE) {
    let i = 0
    while (i < setup.length) {
      const ds = setup[i]
      if (ds.turns < 1) {
        i++
        continue
      }
      while (taken[ds.perm]) {
        ds.perm += ds.skip
        if (ds.perm >= MH_TABLE_SIZE) ds.perm -= MH_TABLE_SIZE
      }
      taken[ds.perm] = 1
      table[ds.perm] = ds.key
      if (++n === MH_TABLE_SIZE) return table
      if (++dtCount >= ds.turns) {
        dtCount = 0
        i++
      }
    }
  }
  return table
}

/** The lookup slot of a client address (no mh-port flag: port 0). */
export const maglevSlot = (clientIp: string): number => mhHash(clientIp, 0, HASH1) % MH_TABLE_SIZE

export function createMaglev(): Scheduler {
  let table: (string | undefined)[] = []
  return {
    name: 'mh',
    destsChanged(dests) {
      table = buildMaglevTable(dests)
    },
    schedule(dests, client) {
      const key = table[maglevSlot(client.ip)]
      const d = key === undefined ? undefined : dests.find((x) => x.key === key)
      return d && d.weight > 0 ? d : undefined
    },
  }
}
