#!/usr/bin/env bash
# The whole test suite: the type check (sources and tests), the layer rules, unit tests (no root needed) then lab tests (root:
# network namespaces, real keepalived, sshd, nftables). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent typecheck
npm run --silent lint:code
npx vitest run --project unit "$@"
if [ "$(id -u)" = 0 ]; then
  npx vitest run --project 'lab*' "$@"
else
  echo "lab tests skipped: they need root (network namespaces)" >&2
fi
