/**
 * Local time of day of capture timestamps, as tcpdump prints them ("HH:MM:SS.uuuuuu", local
 * zone from TZ), cheap per packet: the zone's offset is looked up once per UTC hour, and when it
 * is the same at the hour's first and last second (no transition inside) the time of day is
 * plain arithmetic; an hour with a transition asks Date for every second. The "HH:MM:SS." prefix
 * is kept for the last second seen.
 *
 * Exports: `LocalClock` (`prefix(tsSec)` -> the 9 bytes "HH:MM:SS." (reused buffer),
 * `timeOfDay(tsSec, tsNsec)` -> "HH:MM:SS.uuuuuu"). One clock per zone: make a new one when TZ
 * changes.
 */
function mod(a: number, m: number): number {
  return ((a % m) + m) % m
}

/** local time of day (seconds) of a UTC instant, from Date: exact but slow */
function dateSecondOfDay(tsSec: number): number {
  const d = new Date(tsSec * 1000)
  return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds()
}

/** offset of local time from UTC at an instant, in seconds modulo a day */
function offsetAt(tsSec: number): number {
  return mod(dateSecondOfDay(tsSec) - mod(tsSec, 86400), 86400)
}

/** "000".."999" */
const D3 = Array.from({length: 1000}, (_, i) => String(i).padStart(3, '0'))

export class LocalClock {
  private hourStart = Number.NaN
  private hourOffset = 0
  private hourSteady = false
  private second = Number.NaN
  private readonly hms = new Uint8Array(9)

  /** local time of day in seconds */
  secondOfDay(tsSec: number): number {
    const h0 = tsSec - mod(tsSec, 3600)
    if (h0 !== this.hourStart) {
      this.hourStart = h0
      this.hourOffset = offsetAt(h0)
      this.hourSteady = this.hourOffset === offsetAt(h0 + 3599)
    }
    return this.hourSteady ? (mod(tsSec, 86400) + this.hourOffset) % 86400 : dateSecondOfDay(tsSec)
  }

  /** "HH:MM:SS." as bytes; the same buffer every call, valid until the next */
  prefix(tsSec: number): Uint8Array {
    const b = this.hms
    if (tsSec === this.second) return b
    this.second = tsSec
    const sod = this.secondOfDay(tsSec)
    const h = Math.floor(sod / 3600)
    const m = Math.floor(sod / 60) % 60
    const s = sod % 60
    b[0] = 48 + Math.floor(h / 10)
    b[1] = 48 + (h % 10)
    b[2] = 58
    b[3] = 48 + Math.floor(m / 10)
    b[4] = 48 + (m % 10)
    b[5] = 58
    b[6] = 48 + Math.floor(s / 10)
    b[7] = 48 + (s % 10)
    b[8] = 46
    return b
  }

  timeOfDay(tsSec: number, tsNsec: number): string {
    const hms = String.fromCharCode(...this.prefix(tsSec))
    const us = Math.floor(tsNsec / 1000)
    return hms + D3[Math.floor(us / 1000)] + D3[us % 1000]
  }
}
