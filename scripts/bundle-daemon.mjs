#!/usr/bin/env node
/**
 * `halctl run`'s daemon as one module (dist/daemon/), built from the compiled
 * dist/engine/daemon-cli.js: loading one file instead of some forty is most of
 * the daemon's module time (its start to the first advert). The parts loaded
 * only sometimes (the terminal view, the userspace IPVS) become chunks of the
 * same bundle, so no module is loaded twice. bin/run.js loads it when it is
 * there and falls back to dist/engine/daemon-cli.js.
 */
import {build} from 'esbuild'
import {rmSync} from 'node:fs'
import {join} from 'node:path'

const root = join(import.meta.dirname, '..')
const outdir = join(root, 'dist', 'daemon')
rmSync(outdir, {recursive: true, force: true})
await build({
  entryPoints: [join(root, 'dist', 'engine', 'daemon-cli.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // the terminal view's framework stays a package of its own (large, and optional parts)
  external: ['ink', 'react', 'react-devtools-core'],
  logLevel: 'warning',
})
