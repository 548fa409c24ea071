/**
 * Time helpers for sniff records: capture timestamps are kept as milliseconds (float) since the
 * epoch; JSON shows ISO 8601 with microseconds.
 *
 * Exports: `recordMs(tsSec, tsNsec)`, `isoMicro(ms)`, `formatDuration(ms)`.
 */
export function recordMs(tsSec: number, tsNsec: number): number {
  return tsSec * 1000 + tsNsec / 1e6
}

/** the latest and earliest times a JavaScript Date holds (100 million days around the epoch) */
const DATE_RANGE_MS = 8.64e15

export function isoMicro(ms: number): string {
  // no capture time (pcapng Simple Packet Block), or a time no Date holds: seconds since the epoch
  if (!(Math.abs(ms) <= DATE_RANGE_MS)) return Number.isNaN(ms) ? 'unknown' : `@${(ms / 1000).toFixed(6)}`
  const whole = Math.floor(ms)
  const micro = Math.round((ms - whole) * 1000)
  // the ISO text up to the seconds is kept for the last second asked (findings come in time order)
  const sec = Math.floor(whole / 1000)
  if (sec !== lastSec) {
    lastSec = sec
    lastPrefix = new Date(sec * 1000).toISOString().slice(0, -5)
  }
  // the first 23 characters of the ISO text (milliseconds included for years 0..9999), then microseconds
  const head = `${lastPrefix}.${String(whole - sec * 1000).padStart(3, '0')}`
  return `${head.length === 23 ? head : head.slice(0, 23)}${String(Math.min(micro, 999)).padStart(3, '0')}Z`
}

let lastSec = Number.NaN
let lastPrefix = ''

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}
