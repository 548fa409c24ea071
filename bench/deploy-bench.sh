#!/bin/sh
# halctl deploy vs a minimal ansible-playbook doing the same work, on an N-node lab
# (network namespaces with sshd, prefix "hdp", 10.205.0.0/24; needs root).
# Cold = fresh lab, keepalived not configured; no-op = the same deploy again.
# Wall time of the whole process each, printed side by side.
#   usage: sudo bench/deploy-bench.sh [NODES=8] [PARALLEL=8]
set -eu
cd "$(dirname "$0")/.."
NODES=${1:-8}
PARALLEL=${2:-8}
WORK=$(mktemp -d /tmp/hdp-bench-XXXXXX)
TSX="node --import tsx"
# the bundle sits two levels below the package root, as dist/commands/ does: its dependencies and templates/ resolve
BUNDLE_DIR=node_modules/.hdp-deploy-bench-$$
cleanup() { $TSX bench/deploy-lab.ts down "$WORK" >/dev/null 2>&1 || true; rm -rf "$WORK" "$BUNDLE_DIR"; }
trap cleanup EXIT INT TERM

# halctl deploy bundled to one module (no TypeScript compile at start-up, like a built CLI)
# (split, so the ink UI chunk loads only for text output; the runs below use --json)
node_modules/.bin/esbuild bench/deploy-cli.ts --bundle --splitting --platform=node --format=esm --packages=external \
  --jsx=automatic --log-level=warning --outdir="$BUNDLE_DIR" --out-extension:.js=.mjs
HALCTL="env HALCTL_ROOT=$PWD node $BUNDLE_DIR/deploy-cli.mjs"

ms() { date +%s%3N; }
timed() { # label, command...: prints "label ms", command output to $WORK/label.log
  label=$1; shift
  t0=$(ms); "$@" >"$WORK/$label.log" 2>&1 || { echo "$label failed:"; tail -n 20 "$WORK/$label.log"; exit 1; }
  echo "$label $(( $(ms) - t0 ))" >> "$WORK/times"
}

: > "$WORK/times"
echo "lab: $NODES hosts (halctl run)"
SPEC=$($TSX bench/deploy-lab.ts up "$NODES" "$WORK")
timed halctl-cold $HALCTL -s "$SPEC" --yes --parallel "$PARALLEL" --json
timed halctl-noop $HALCTL -s "$SPEC" --yes --parallel "$PARALLEL" --json
timed halctl-noop-p1 $HALCTL -s "$SPEC" --yes --json
grep -q '^  "changes": 0,' "$WORK/halctl-noop.log" || { echo "halctl no-op run made changes"; cat "$WORK/halctl-noop.log"; exit 1; }
$TSX bench/deploy-lab.ts down "$WORK" >/dev/null

echo "lab: $NODES hosts (ansible run)"
$TSX bench/deploy-lab.ts up "$NODES" "$WORK" >/dev/null
A=$($TSX bench/deploy-lab.ts ansible "$WORK")
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_FORKS=$PARALLEL ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
timed ansible-cold ansible-playbook -i "$A/inventory.ini" "$A/site.yml"
timed ansible-noop ansible-playbook -i "$A/inventory.ini" "$A/site.yml"
grep -Eq "changed=0 " "$WORK/ansible-noop.log" || { echo "ansible no-op run made changes"; tail -n 12 "$WORK/ansible-noop.log"; exit 1; }

# start-up alone: node loading the bundle and its dependencies, flags rejected before any work
t0=$(ms); $HALCTL --no-such-flag >/dev/null 2>&1 || true; echo "startup $(( $(ms) - t0 ))" >> "$WORK/times"

get() { awk -v k="$1" '$1 == k {print $2}' "$WORK/times"; }
printf '\n%-28s %12s %12s\n' "deploy to $NODES nodes" "halctl" "ansible"
printf '%-28s %10s ms %10s ms\n' "cold (fresh lab)" "$(get halctl-cold)" "$(get ansible-cold)"
printf '%-28s %10s ms %10s ms\n' "no-op (second run)" "$(get halctl-noop)" "$(get ansible-noop)"
printf '%-28s %10s ms\n' "no-op, --parallel 1" "$(get halctl-noop-p1)"
printf '%-28s %10s ms\n' "(start-up alone)" "$(get startup)"
inproc() { sed -n 's/^  "durationMs": \([0-9]*\).*/\1/p' "$WORK/$1.log"; }
printf '%-28s %10s ms\n' "halctl cold, in-process" "$(inproc halctl-cold)"
printf '%-28s %10s ms\n' "halctl no-op, in-process" "$(inproc halctl-noop)"
printf 'load average while measuring: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "halctl --parallel $PARALLEL waits for each node to converge (VIP on the master, keepalived up); ansible forks=$PARALLEL does not wait."
