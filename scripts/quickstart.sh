#!/usr/bin/env bash
# Quickstart: install what is needed, build, and run a busybox container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset NODE_EXTRA_CA_CERTS
node --import tsx scripts/quickstart.ts
