#!/usr/bin/env bash
# Start-up of halctl beside plain `node -e 0` (the floor), measured with hyperfine in one run:
#   halctl --version                      target: at most 1.5x node -e 0
#   halctl sniff -r REF --summary         target: at most 2x (REF: the 165-packet lab capture)
#   halctl --help                         (for reference)
# Runs the built CLI (bin/run.js): build first (npm run build, or scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${REF:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus/pcap/vrrp.pcap}
RUNS=${RUNS:-20}
[ -f dist/commands/sniff.js ] || ./scripts/setup.sh >/dev/null
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine -N --warmup 3 --runs "$RUNS" --export-json /tmp/halctl-startup.json -i \
  'node -e 0' 'node bin/run.js --version' "node bin/run.js sniff -r $REF --summary" 'node bin/run.js --help' >/dev/null
node -e '
const r = require("/tmp/halctl-startup.json").results
const floor = r[0]
const w = Math.max(...r.map((x) => x.command.length))
console.log(`load average: ${process.argv[1]} on ${require("os").cpus().length} cores; mean (min) wall, and mean user+sys CPU`)
for (const x of r) {
  console.log(`${x.command.padEnd(w)}  ${(x.mean * 1000).toFixed(0).padStart(5)} ms (min ${(x.min * 1000).toFixed(0)})  CPU ${((x.user + x.system) * 1000).toFixed(0)} ms  ${(x.mean / floor.mean).toFixed(2)}x node (CPU ${((x.user + x.system) / (floor.user + floor.system)).toFixed(2)}x)`)
}
let ok = true
for (const [i, target] of [[1, 1.5], [2, 2]]) {
  const ratio = r[i].mean / floor.mean
  ok &&= ratio <= target
  console.log(`${r[i].command}: ${ratio.toFixed(2)}x node -e 0 (target <= ${target}x): ${ratio <= target ? "met" : "NOT met"}`)
}
process.exitCode = ok ? 0 : 1
' "$LOAD"
