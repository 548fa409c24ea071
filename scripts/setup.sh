#!/usr/bin/env bash
# Installs what halctl's demo and tests need, when it is missing:
# Debian packages, node modules (npm ci) and the build (dist/, oclif.manifest.json).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  keepalived ipvsadm iproute2 iputils-ping iputils-arping procps psmisc
  tcpdump tshark libpcap-dev
  nftables iptables firewalld
  openssh-server openssh-client sudo
  haproxy nginx-light wrk ansible hyperfine
  tmux chromium prometheus
  python3 make g++
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run as root or install them" >&2
    exit 5
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # never let a package start its daemon on this machine: the lab starts its own
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# .deb files of the packages deploy installs, kept for lab hosts with a package root
# (they have no route to a mirror): the candidate versions apt-get would install,
# fetched once into a halctl-owned directory (apt's own archive cache may be
# emptied after every install, e.g. by docker-clean)
LAB_DEB_CACHE=/var/cache/halctl-lab/debs
# arping + libnet1: Habets' arping, installed in a lab host's package root by the fence tests (it conflicts with iputils-arping)
LAB_DEBS=(keepalived ipvsadm arping libnet1)
lab_debs_missing() {
  local p f
  for p in "${LAB_DEBS[@]}"; do
    f=$(apt-get download --print-uris "$p" 2>/dev/null | awk '{print $2}') || return 0
    [ -n "$f" ] && [ -f "$LAB_DEB_CACHE/$f" ] || return 0
  done
  return 1
}
if lab_debs_missing; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: $LAB_DEB_CACHE lacks ${LAB_DEBS[*]} .debs (lab package-install tests need them); run as root to fetch them" >&2
  else
    echo "setup: fetching ${LAB_DEBS[*]} .debs into $LAB_DEB_CACHE"
    mkdir -p -m 755 "$LAB_DEB_CACHE"
    if ! (cd "$LAB_DEB_CACHE" && apt-get download -qq "${LAB_DEBS[@]}" 2>/dev/null); then
      apt-get update -qq
      (cd "$LAB_DEB_CACHE" && apt-get download -qq "${LAB_DEBS[@]}")
    fi
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-fund --no-audit --loglevel=error
fi

if [ ! -f dist/.built ] || [ -n "$(find src templates package.json tsconfig.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
  echo "setup: building"
  npm run --silent build
  touch dist/.built
fi
