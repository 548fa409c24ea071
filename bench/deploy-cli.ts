/**
 * Runs `halctl deploy` from the sources (tsx), for bench/deploy-bench.sh:
 * the same command class the CLI runs, without a build.
 */
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Deploy from '../src/commands/deploy.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await Deploy.run(process.argv.slice(2), root)
