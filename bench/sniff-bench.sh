#!/usr/bin/env bash
# Benchmark of `halctl sniff -r` on captures that look like production traffic, beside
# `tcpdump -r F -n` on the same file in the same run (TZ=UTC for both: tcpdump otherwise re-reads
# the zone file for every packet). Median of RUNS runs: wall and CPU (user + sys) seconds, peak
# RSS; per-packet cost with start-up taken off; whether --format tcpdump is byte-identical.
#
#   bench/sniff-bench.sh [SIZES="1000000 10000000"] [RUNS=5]
#
# Captures (bench/build-capture.ts), for each size:
#   synth  64 VRRP groups (v2 and v3, IPv4 and IPv6, simple auth), adverts at their interval,
#          one failover per group, each router counting its IPv4 ID up per advert
#   scaled the reference lab capture (REF) repeated, with a fresh IP ID and checksum per frame
# No two IPv4 frames of one router are byte-identical: a cache of identical frames gains nothing.
#
# halctl runs as a user runs it (node bin/run.js) when dist/ is newer than the sources it uses;
# otherwise from src/ compiled by esbuild into plain JS with packages left external (what a build
# gives). Start-up (Node + oclif + the sniff command on the 165-packet reference) is timed on its
# own and taken off to give the per-packet cost.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-"1000000 10000000"}
RUNS=${2:-5}
REF=${REF:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus/pcap/vrrp.pcap}
export TZ=UTC
WORK=$(mktemp -d /tmp/halctl-sniff-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ -f dist/commands/sniff.js ] && [ -z "$(find src/capture src/sniff src/vrrp src/lib src/commands/sniff.ts -name '*.ts' -newer dist/commands/sniff.js | head -1)" ]; then
  HALCTL=(node bin/run.js sniff); HOW="built CLI (node bin/run.js)"
else
  node_modules/.bin/esbuild bench/sniff-cli.ts --bundle --splitting --platform=node --format=esm --target=node20 \
    --packages=external --outdir=bench/.sniff-bundle --log-level=error
  trap 'rm -rf "$WORK" bench/.sniff-bundle' EXIT
  HALCTL=(node bench/.sniff-bundle/sniff-cli.js); HOW="src compiled by esbuild (dist/ is older than src/)"
fi

# run KEY CMD...: median wall and CPU seconds and the largest peak RSS (MiB) over RUNS
declare -A WALL RSS CPU
run() {
  local key=$1; shift
  local walls=() cpus=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
      # sniff exits 3 on error findings (a failover's silent master); anything else is a failure
      local rc=$?; [ "$rc" = 3 ] || { echo "$key failed (exit $rc):" >&2; cat "$WORK/err" >&2; exit 1; }
    }
    read -r w m u sy < <(tail -1 "$WORK/time")
    walls+=("$w"); cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN {printf "%.2f", a + b}')"); [ "$m" -gt "$rss" ] && rss=$m
  done
  WALL[$key]=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  CPU[$key]=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  RSS[$key]=$((rss / 1024))
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
run start "${HALCTL[@]}" -r "$REF" --summary
run node0 node -e 0
echo "sniff benchmark, TZ=UTC, median of $RUNS runs, halctl: $HOW"
echo "load average before: $LOAD_BEFORE on $(nproc) cores (wall times suffer on a busy machine; CPU = user + sys less so)"
printf 'start-up: node -e 0 %s s wall %s s CPU; halctl sniff -r REF(165 packets) --summary %s s wall %s s CPU, %s MiB\n' \
  "${WALL[node0]}" "${CPU[node0]}" "${WALL[start]}" "${CPU[start]}" "${RSS[start]}"
printf '%-10s %-9s %-30s %9s %9s %9s %15s %9s\n' capture packets command "wall s" "CPU s" "peak MiB" "us/pkt wall/CPU" "vs tcpdump"
for n in $SIZES; do
  for kind in synth scaled; do
    cap="$WORK/$kind-$n.pcap"
    if [ "$kind" = synth ]; then node --import tsx bench/build-capture.ts synth "$cap" "$n" 64 >/dev/null
    else node --import tsx bench/build-capture.ts scale "$REF" "$cap" "$n" >/dev/null; fi
    run "$kind$n tcpdump" tcpdump -r "$cap" -n
    run "$kind$n summary" "${HALCTL[@]}" -r "$cap" --summary
    run "$kind$n format" "${HALCTL[@]}" -r "$cap" --format tcpdump
    for c in summary format tcpdump; do
      k="$kind$n $c"
      case $c in
        summary) label="halctl sniff --summary"; s0=${WALL[start]}; c0=${CPU[start]} ;;
        format) label="halctl sniff --format tcpdump"; s0=${WALL[start]}; c0=${CPU[start]} ;;
        tcpdump) label="tcpdump -r F -n"; s0=0; c0=0 ;;
      esac
      awk -v kind="$kind" -v n="$n" -v l="$label" -v w="${WALL[$k]}" -v c="${CPU[$k]}" -v m="${RSS[$k]}" -v s0="$s0" -v c0="$c0" \
          -v tw="${WALL["$kind$n tcpdump"]}" -v tc="${CPU["$kind$n tcpdump"]}" 'BEGIN {
        printf "%-10s %-9d %-30s %9.2f %9.2f %9d %7.2f/%-7.2f %4.2fx/%.2fx\n", kind, n, l, w, c, m, (w - s0) * 1e6 / n, (c - c0) * 1e6 / n, tw / w, tc / c
      }'
    done
    "${HALCTL[@]}" -r "$cap" --format tcpdump >"$WORK/ours.txt" 2>/dev/null || true
    tcpdump -r "$cap" -n 2>/dev/null >"$WORK/theirs.txt"
    if cmp -s "$WORK/ours.txt" "$WORK/theirs.txt"; then echo "  --format tcpdump: byte-identical to tcpdump -n ($(wc -l <"$WORK/theirs.txt") lines)"
    else echo "  --format tcpdump: DIFFERS from tcpdump -n"; fi
    rm -f "$cap" "$WORK/ours.txt" "$WORK/theirs.txt"
  done
done
echo "'vs tcpdump': tcpdump's time / halctl's (wall/CPU): above 1 is faster than tcpdump (targets: --summary >= 3x, --format tcpdump >= 1x)"
echo "per packet: halctl's time less its start-up, divided by the packets (tcpdump: its whole time)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
