/**
 * Runs `halctl sniff` straight from src/ (node --import tsx bench/sniff-cli.ts ARGS...), without a
 * build: used by bench/sniff-bench.sh and the process-level tests (exit codes, live capture exit).
 */
import {flush, handle} from '@oclif/core'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Sniff from '../src/commands/sniff.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
try {
  await Sniff.run(process.argv.slice(2), root)
  await flush()
} catch (e) {
  await handle(e as Error)
}
