import {existsSync} from 'node:fs'
import {join} from 'node:path'

const root = join(import.meta.dirname, '..', '..')

/**
 * Node arguments that start `halctl run` in a child process: the built CLI
 * (scripts/test.sh builds it first; it starts in a fraction of the time), or
 * straight from src through tsx when there is no build or HALCTL_TEST_FROM_SRC=1.
 */
export function halctlRunNodeArgs(): string[] {
  const built = join(root, 'bin', 'run.js')
  if (!process.env.HALCTL_TEST_FROM_SRC && existsSync(join(root, 'dist', 'commands', 'run.js'))) return [built, 'run']
  return ['--import', 'tsx', join(root, 'test', 'lab', 'engine', 'run-engine.ts')]
}
