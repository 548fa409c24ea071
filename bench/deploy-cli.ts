/**
 * `halctl deploy` as one ES module for bench/deploy-bench.sh: the same command
 * class the CLI runs, bundled (esbuild, dependencies external) so the figures
 * are not those of compiling TypeScript at start-up. HALCTL_ROOT: the package.
 */
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Deploy from '../src/commands/deploy.js'

const root = process.env.HALCTL_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..')
await Deploy.run(process.argv.slice(2), root)
