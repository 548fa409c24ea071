/** Flags shared by the `halctl lab` commands. */
import {Flags} from '@oclif/core'
import {DEFAULT_LAB_NAME} from './plan.js'

export const labFlags = {
  name: Flags.string({description: 'lab name; prefix of its namespaces and links (1-6 lowercase letters/digits)', default: DEFAULT_LAB_NAME}),
  dir: Flags.string({description: 'state directory of the lab (default ./.lab/<name>)'}),
}
