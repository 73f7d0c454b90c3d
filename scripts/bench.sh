#!/usr/bin/env bash
# Benchmarks (not tests): each bench/<area>/ prints its figures next to the peers on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset NODE_EXTRA_CA_CERTS
for b in bench/*/index.ts; do
  [ -f "$b" ] || continue
  echo "== $b"
  node --import tsx "$b" "$@"
done
