#!/usr/bin/env bash
# Startup time of `halctl --version` and `halctl --help` (target: under 0.5 s), beside
# plain `node -e 0` as the floor, measured with hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
hyperfine --warmup 3 --runs 20 --export-json /tmp/halctl-startup.json \
  'node -e 0' 'node bin/run.js --version' 'node bin/run.js --help' >/dev/null
node -e '
const r = require("/tmp/halctl-startup.json").results
const w = Math.max(...r.map((x) => x.command.length))
for (const x of r) console.log(`${x.command.padEnd(w)}  mean ${(x.mean * 1000).toFixed(0)} ms  (min ${(x.min * 1000).toFixed(0)}, max ${(x.max * 1000).toFixed(0)})`)
const v = r.find((x) => x.command.includes("--version"))
console.log(v.mean < 0.5 ? `halctl --version: ${(v.mean * 1000).toFixed(0)} ms, under the 500 ms target` : `halctl --version: ${(v.mean * 1000).toFixed(0)} ms, OVER the 500 ms target`)
process.exitCode = v.mean < 0.5 ? 0 : 1
'
