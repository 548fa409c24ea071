#!/usr/bin/env node
// Development entry: recompiles src/ when it changed (incremental tsc), then runs the CLI.
import {execFileSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', join(root, 'dist', '.tsbuildinfo')], {stdio: 'inherit'})
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1' // as bin/run.js
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
