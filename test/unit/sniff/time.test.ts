import {describe, expect, it} from 'vitest'
import {isoMicro} from '../../../src/sniff/time.js'

/** the ISO text with microseconds, straight from Date for every call */
function fromDate(ms: number): string {
  const whole = Math.floor(ms)
  const micro = Math.round((ms - whole) * 1000)
  return `${new Date(whole).toISOString().slice(0, 23)}${String(Math.min(micro, 999)).padStart(3, '0')}Z`
}

describe('isoMicro', () => {
  it('gives the ISO time with microseconds as Date does, in and out of time order, for any year a Date holds', () => {
    const values = [0, -1, -0.5, 1.9995, 999.9999, 1000, -1000.25, 8.64e15, -8.64e15, -62198755200000.5, 253402300799999.9, 253402300800000.3, 1394056506745.865]
    let x = 12345
    for (let i = 0; i < 20000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      values.push((x / 2147483648 - 0.5) * 2 * 8.64e15 * (i % 3 === 0 ? 1 : 1e-3) + (i % 7) / 1000)
    }
    for (let i = 0; i < 2000; i++) values.push(1717171717000 + i * 0.3337)
    expect(values.filter((v) => isoMicro(v) !== fromDate(v))).toEqual([])
    expect(isoMicro(1394056506745.865)).toBe('2014-03-05T21:55:06.745865Z')
    expect(isoMicro(Number.NaN)).toBe('unknown')
    expect(isoMicro(1e16)).toBe('@10000000000000.000000')
  })
})
