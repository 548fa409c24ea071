#!/usr/bin/env bash
# Benchmark of `halctl sniff` on a 1M-packet capture built from the reference capture, beside
# tcpdump and tshark on the same file in the same run. Prints wall time (median of RUNS) and
# peak RSS for each. All tools run with the same TZ (tcpdump otherwise re-reads the zone file
# for every packet).
#
#   bench/sniff-bench.sh [PACKETS=1000000] [RUNS=3]
#
# halctl runs from src/ compiled by esbuild into plain JS with packages left external (as an
# install loads them; independent of dist/), or with USE_BUILT=1 from the built CLI
# (bin/run.js); through tsx when esbuild is missing. When dist/ is newer than the sniff sources,
# the built CLI is timed as well (summary and start-up), as a user runs it. Start-up is broken
# down into Node, loading @oclif/core and oclif's Config.load, and the same with @oclif/core bundled
# into one file (the least the framework can cost).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-1000000}
RUNS=${2:-3}
REF=${REF:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus/pcap/vrrp.pcap}
export TZ=${TZ:-UTC}
# as bin/run.js sets it: oclif skips its own Node engines check (semver) at start-up
export OCLIF_DISABLE_ENGINE_WARNING=1
WORK=$(mktemp -d /tmp/halctl-sniff-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
CAP="$WORK/vrrp-$PACKETS.pcap"

node --import tsx bench/build-capture.ts "$REF" "$CAP" "$PACKETS" >/dev/null
if [ "${USE_BUILT:-0}" = 1 ]; then
  HALCTL=(node bin/run.js sniff); HOW="built CLI (bin/run.js)"
elif node_modules/.bin/esbuild bench/sniff-cli.ts --bundle --splitting --platform=node --format=esm --target=node20 \
    --packages=external --outdir=bench/.sniff-bundle --log-level=error; then
  # the same code as the CLI compiled to plain JS (what a build gives; lazy imports stay lazy),
  # kept under bench/ so that its package imports resolve
  trap 'rm -rf "$WORK" bench/.sniff-bundle' EXIT
  HALCTL=(node bench/.sniff-bundle/sniff-cli.js); HOW="src compiled by esbuild (no build needed)"
else
  HALCTL=(node --import tsx bench/sniff-cli.ts); HOW="from src via tsx"
fi

# run NAME CMD...: median wall seconds and max peak RSS (MB) over RUNS
declare -A WALL RSS CPU
run() {
  local name=$1; shift
  local walls=() cpus=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
      # sniff exits 3 on error findings; anything else is a failure
      local rc=$?; [ "$rc" = 3 ] || { echo "$name failed (exit $rc):" >&2; cat "$WORK/err" >&2; exit 1; }
    }
    read -r w m u sy < <(tail -1 "$WORK/time")
    walls+=("$w"); cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN {printf "%.2f", a + b}')"); [ "$m" -gt "$rss" ] && rss=$m
  done
  WALL[$name]=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  CPU[$name]=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  RSS[$name]=$((rss / 1024))
}

run "halctl sniff --summary"          "${HALCTL[@]}" -r "$CAP" --summary
run "halctl sniff --format tcpdump"   "${HALCTL[@]}" -r "$CAP" --format tcpdump
run "halctl sniff --format tcpdump -v" "${HALCTL[@]}" -r "$CAP" --format tcpdump -v
run "tcpdump -r FILE -n"              tcpdump -r "$CAP" -n
run "tcpdump -r FILE -n -v"           tcpdump -r "$CAP" -n -v
run "tshark -r FILE"                  tshark -r "$CAP"
# the same start-up cost on the 165-packet reference, to separate it from the per-packet work
run "halctl start-up (165 packets)"   "${HALCTL[@]}" -r "$REF" --summary
# what start-up is made of: Node alone, loading @oclif/core (every halctl command loads it), and
# oclif's Config.load (package.json, manifest), which every command runs before its own code
run "node -e 0"                       node -e 0
run "node + import @oclif/core"       node --input-type=module -e "await import('@oclif/core')"
run "node + @oclif/core + Config.load" node --input-type=module -e "const {Config} = await import('@oclif/core'); await Config.load('$PWD')"
# the least oclif can cost: @oclif/core and its dependencies bundled into one minified file
OCLIF_KEYS=("node -e 0" "node + import @oclif/core" "node + @oclif/core + Config.load")
if echo "module.exports = require('@oclif/core')" | node_modules/.bin/esbuild --bundle --platform=node --format=cjs --target=node20 \
    --minify --external:typescript --outfile="$WORK/oclif-core.cjs" --log-level=error; then
  run "node + @oclif/core bundled, Config.load" node -e "require('$WORK/oclif-core.cjs').Config.load('$PWD')"
  OCLIF_KEYS+=("node + @oclif/core bundled, Config.load")
fi
# the built CLI as a user runs it, when dist/ is newer than the sniff sources
KEYS=("halctl sniff --summary" "halctl sniff --format tcpdump" "halctl sniff --format tcpdump -v" "tcpdump -r FILE -n" "tcpdump -r FILE -n -v" "tshark -r FILE" "halctl start-up (165 packets)")
if [ "${USE_BUILT:-0}" != 1 ] && [ -f dist/commands/sniff.js ] && [ -z "$(find src/capture src/sniff src/vrrp src/lib src/commands/sniff.ts -name '*.ts' -newer dist/commands/sniff.js | head -1)" ]; then
  run "built: node bin/run.js sniff --summary" node bin/run.js sniff -r "$CAP" --summary
  run "built: start-up (165 packets)"  node bin/run.js sniff -r "$REF" --summary
  KEYS+=("built: node bin/run.js sniff --summary" "built: start-up (165 packets)")
fi
KEYS+=("${OCLIF_KEYS[@]}")

# the tcpdump format must be tcpdump's output, byte for byte, on the whole file
"${HALCTL[@]}" -r "$CAP" --format tcpdump >"$WORK/ours.txt"
tcpdump -r "$CAP" -n 2>/dev/null >"$WORK/theirs.txt"
if cmp -s "$WORK/ours.txt" "$WORK/theirs.txt"; then SAME="identical to tcpdump -n ($(wc -l <"$WORK/ours.txt") lines)"; else SAME="DIFFERS from tcpdump -n"; fi

echo "sniff benchmark: $PACKETS packets ($(du -h "$CAP" | cut -f1)), TZ=$TZ, median of $RUNS runs, halctl $HOW"
printf '%-40s %10s %10s %10s\n' "command" "wall (s)" "CPU (s)" "peak MB"
for k in "${KEYS[@]}"; do
  printf '%-40s %10s %10s %10s\n' "$k" "${WALL[$k]}" "${CPU[$k]}" "${RSS[$k]}"
done
echo "--format tcpdump output: $SAME"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall times suffer on a busy machine; CPU = user + sys less so)"
awk -v s="${WALL["halctl sniff --summary"]}" -v f="${WALL["halctl sniff --format tcpdump"]}" -v t="${WALL["tcpdump -r FILE -n"]}" \
    -v su="${CPU["halctl sniff --summary"]}" -v fu="${CPU["halctl sniff --format tcpdump"]}" -v tu="${CPU["tcpdump -r FILE -n"]}" 'BEGIN {
  printf "summary mode vs tcpdump -n: %.2fx faster by wall time, %.2fx by CPU time (target >= 3x)\n", t / s, tu / su
  printf "tcpdump format vs tcpdump -n: %.2fx the speed by wall time, %.2fx by CPU time (target >= 1x)\n", t / f, tu / fu
}'
# per-packet cost: the 1M-packet runs less the start-up run (Node + oclif + the 165-packet reference)
awk -v n="$PACKETS" -v s0="${WALL["halctl start-up (165 packets)"]}" -v c0="${CPU["halctl start-up (165 packets)"]}" \
    -v s="${WALL["halctl sniff --summary"]}" -v su="${CPU["halctl sniff --summary"]}" \
    -v f="${WALL["halctl sniff --format tcpdump"]}" -v fu="${CPU["halctl sniff --format tcpdump"]}" \
    -v t="${WALL["tcpdump -r FILE -n"]}" -v tu="${CPU["tcpdump -r FILE -n"]}" \
    -v m0="${RSS["halctl start-up (165 packets)"]}" -v ms="${RSS["halctl sniff --summary"]}" -v mf="${RSS["halctl sniff --format tcpdump"]}" 'BEGIN {
  us = 1e6 / n
  printf "per packet, start-up taken off (us, wall / CPU): summary %.2f / %.2f, tcpdump format %.2f / %.2f; tcpdump -n %.2f / %.2f\n", (s - s0) * us, (su - c0) * us, (f - s0) * us, (fu - c0) * us, t * us, tu * us
  printf "memory: peak RSS %d MB at start-up, %d MB (summary) and %d MB (tcpdump format) after %d packets\n", m0, ms, mf, n
}'
awk -v n0="${WALL["node -e 0"]}" -v o="${WALL["node + import @oclif/core"]}" -v c="${WALL["node + @oclif/core + Config.load"]}" -v s0="${WALL["halctl start-up (165 packets)"]}" \
    -v t="${WALL["tcpdump -r FILE -n"]}" 'BEGIN {
  printf "start-up (wall): Node %.2f s + loading @oclif/core %.2f s + oclif Config.load %.2f s + the sniff command and 165 packets %.2f s = %.2f s\n", n0, o - n0, c - o, s0 - c, s0
  printf "  summary mode at 3x tcpdump -n needs %.2f s in all: %.2f s after the start-up shared by every halctl command (Node + oclif)\n", t / 3, t / 3 - c
}'
if [ -n "${WALL["node + @oclif/core bundled, Config.load"]:-}" ]; then
  awk -v b="${WALL["node + @oclif/core bundled, Config.load"]}" -v t="${WALL["tcpdump -r FILE -n"]}" -v n="$PACKETS" 'BEGIN {
    printf "  with @oclif/core bundled into one file, start-up is %.2f s: 3x leaves %.2f s, %.0f ns a packet\n", b, t / 3 - b, (t / 3 - b) * 1e9 / n
  }'
fi
