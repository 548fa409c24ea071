import type {Hook} from '@oclif/core'

/**
 * Runs before any command module loads: NO_COLOR (https://no-color.org) turns
 * colour off in ink's chalk too, which otherwise only looks at FORCE_COLOR
 * and whether stdout is a terminal.
 */
const hook: Hook<'init'> = async function () {
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0'
}

export default hook
