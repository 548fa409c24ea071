#!/usr/bin/env -S node --no-warnings
// Runs the commands straight from src/ (oclif registers tsx), ignoring the built manifest.
import {execute} from '@oclif/core'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
await execute({development: true, loadOptions: {root, ignoreManifest: true}})
