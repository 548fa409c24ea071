#!/usr/bin/env bash
# The halctl demo on a local lab (root): two hosts in network namespaces with sshd;
# init renders the cluster, lint checks it, deploy pushes it over SSH, status shows
# who holds the VIP, sniff decodes VRRP on a node over SSH, failover-test kills the
# master and measures the takeover. The lab is removed at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [ "$(id -u)" != 0 ]; then
  echo "demo: the lab needs root (network namespaces)" >&2
  exit 5
fi

LAB=demo
STATE=.lab/$LAB
OUT=out/demo
halctl() { node ./bin/run.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  step "halctl lab down --name $LAB"
  halctl lab down --name "$LAB" || true
}
trap cleanup EXIT
halctl lab down --name "$LAB" >/dev/null 2>&1 || true

step "halctl lab up -n 2 --name $LAB"
halctl lab up -n 2 --name "$LAB"
SPEC=$STATE/lab.yaml
echo; cat "$SPEC"

step "halctl init -s $SPEC -o $OUT --force"
halctl init -s "$SPEC" -o "$OUT" --force
step "halctl lint $OUT/*/keepalived.conf"
halctl lint "$OUT"/*/keepalived.conf

step "halctl deploy -s $SPEC --yes"
halctl deploy -s "$SPEC" --yes
step "halctl deploy -s $SPEC --yes   (again: nothing to do)"
halctl deploy -s "$SPEC" --yes

step "halctl status -s $SPEC"
halctl status -s "$SPEC"

step "halctl sniff --node lb2 -s $SPEC --format tcpdump --duration 3"
halctl sniff --node lb2 -s "$SPEC" --format tcpdump --duration 3
step "halctl sniff --node lb2 -s $SPEC --summary --duration 3"
halctl sniff --node lb2 -s "$SPEC" --summary --duration 3

step "halctl failover-test -s $SPEC --fault stop --fault kill --report $OUT/failover.html"
halctl failover-test -s "$SPEC" --fault stop --fault kill --report "$OUT/failover.html"
echo "report: $OUT/failover.html"
