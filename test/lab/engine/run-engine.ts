// Entry used by the lab tests and bench: `halctl run ARGS` straight from src (tsx), no build.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Run from '../../../src/commands/run.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
await Run.run(process.argv.slice(2), {root})
