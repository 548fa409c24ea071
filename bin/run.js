#!/usr/bin/env node
// oclif checks its own engines range (Node >= 18) with semver on every start; ours (>= 20, in
// package.json) is stricter, so that check only costs start-up time (about 15 ms)
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
