import {expect} from 'vitest'
import {HalError} from '../../src/lib/errors.js'
import {loadSpecText} from '../../src/spec/load.js'

/** The smallest valid cluster spec (two nodes, one instance), for tests that edit it into the case they need. */
export const MINIMAL_SPEC = `cluster: web
nodes:
  - name: lb1
    address: 10.0.0.11
  - name: lb2
    address: 10.0.0.12
instances:
  - name: VI_1
    vips: [10.0.0.100/24]
`

/** The refusal a spec text draws, as `where: message` (fails the test when the spec is accepted). */
export function specRefusal(text: string): string {
  try {
    loadSpecText(text, 'spec.yaml')
  } catch (e) {
    expect(e).toBeInstanceOf(HalError)
    return `${(e as HalError).where}: ${(e as HalError).message}`
  }
  throw new Error('spec was accepted')
}
