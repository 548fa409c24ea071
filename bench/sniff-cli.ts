/**
 * Runs `halctl sniff` straight from src/ (node --import tsx bench/sniff-cli.ts ARGS...), without a
 * build: used by bench/sniff-bench.sh and the process-level tests (exit codes, live capture exit).
 */
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

// as bin/run.js: no oclif engines check at start-up (set before @oclif/core loads)
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
const {flush, handle} = await import('@oclif/core')
const {default: Sniff} = await import('../src/commands/sniff.js')

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
try {
  await Sniff.run(process.argv.slice(2), root)
  await flush()
} catch (e) {
  await handle(e as Error)
}
