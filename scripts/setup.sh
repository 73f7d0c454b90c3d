#!/usr/bin/env bash
# Installs what building and testing Berth need on Debian 12, as root: apt packages when
# missing, node modules (npm ci) when missing or stale, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "berth: setup must run as root (containers need namespaces, cgroups and mounts)" >&2
  exit 1
fi

need=()
for pkg in busybox-static iptables iproute2 zstd make gcc libc6-dev docker-registry skopeo python3 runc crun openssl umoci docker.io python3-docker; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

npm run --silent build
