#!/usr/bin/env bash
# The whole test suite: unit tests (no root needed) then lab tests (root:
# network namespaces, real keepalived, sshd, nftables). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npx vitest run --project unit "$@"
if [ "$(id -u)" = 0 ]; then
  npx vitest run --project 'lab*' "$@"
else
  echo "lab tests skipped: they need root (network namespaces)" >&2
fi
