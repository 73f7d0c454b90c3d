#!/usr/bin/env bash
# The whole suite: setup (apt, npm ci, build), lint (typecheck + layering), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
node scripts/run-tests.mjs "$@"
