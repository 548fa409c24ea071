import {describe, expect, it} from 'vitest'
import {foldScriptResult, initialScriptStatus, trackedPriority, type TrackedObject} from '../../../src/engine/tracking.js'

const obj = (weight: number, ok: boolean | undefined, reverse = false): TrackedObject => ({name: 'script chk', weight, reverse, ok})

describe('effective priority (keepalived weight semantics)', () => {
  it('weight > 0 adds while OK, nothing while failing', () => {
    expect(trackedPriority(100, [obj(20, true)]).effective).toBe(120)
    expect(trackedPriority(100, [obj(20, false)]).effective).toBe(100)
  })
  it('weight < 0 subtracts while failing', () => {
    expect(trackedPriority(100, [obj(-30, true)]).effective).toBe(100)
    expect(trackedPriority(100, [obj(-30, false)]).effective).toBe(70)
  })
  it('weight 0 means FAULT while failing; reverse inverts', () => {
    expect(trackedPriority(100, [obj(0, false)])).toMatchObject({fault: true, faultBy: ['script chk']})
    expect(trackedPriority(100, [obj(0, true)]).fault).toBe(false)
    expect(trackedPriority(100, [obj(0, true, true)]).fault).toBe(true)
    expect(trackedPriority(100, [obj(-30, true, true)]).effective).toBe(70)
  })
  it('clamps to 1..254; the owner keeps 255 and only faults', () => {
    expect(trackedPriority(250, [obj(50, true)]).effective).toBe(254)
    expect(trackedPriority(10, [obj(-50, false)]).effective).toBe(1)
    expect(trackedPriority(255, [obj(-50, false)])).toMatchObject({effective: 255, fault: true})
  })
  it('a weight-0 script without a result yet holds FAULT; a weighted one counts nothing', () => {
    // no result yet counts as OK, as in keepalived: no FAULT (and no FAULT notify) at every start
    expect(trackedPriority(100, [obj(0, undefined)]).fault).toBe(false)
    expect(trackedPriority(100, [obj(20, undefined)])).toMatchObject({effective: 120, fault: false})
  })
})

describe('track_file (the number in the file)', () => {
  const file = (value: number, weight: number, reverse = false): TrackedObject => ({name: 'file f', weight, reverse, ok: value === 0, value})
  it('weight 0: FAULT while the number is not 0', () => {
    expect(trackedPriority(100, [file(0, 0)])).toMatchObject({effective: 100, fault: false})
    expect(trackedPriority(100, [file(3, 0)])).toMatchObject({fault: true, faultBy: ['file f']})
  })
  it('a weight: number x weight added (negated with reverse), the total kept in 1..254', () => {
    expect(trackedPriority(100, [file(5, 2)]).effective).toBe(110)
    expect(trackedPriority(100, [file(5, 2, true)]).effective).toBe(90)
    expect(trackedPriority(100, [file(-30, 1)]).effective).toBe(70)
    expect(trackedPriority(100, [file(1000, 1)]).effective).toBe(254)
  })
})

describe('vrrp_script rise/fall', () => {
  it('first result decides, then fall failures / rise successes in a row flip it', () => {
    let s = foldScriptResult(initialScriptStatus, true, 2, 3)
    expect(s.ok).toBe(true)
    s = foldScriptResult(s, false, 2, 3)
    s = foldScriptResult(s, false, 2, 3)
    expect(s.ok).toBe(true)
    s = foldScriptResult(s, true, 2, 3) // streak broken
    s = foldScriptResult(s, false, 2, 3)
    s = foldScriptResult(s, false, 2, 3)
    s = foldScriptResult(s, false, 2, 3)
    expect(s.ok).toBe(false)
    s = foldScriptResult(s, true, 2, 3)
    expect(s.ok).toBe(false)
    s = foldScriptResult(s, true, 2, 3)
    expect(s.ok).toBe(true)
  })
})
