#!/bin/sh
# CTest entry for the dashboard's end-to-end tests (tests/CMakeLists.txt):
#   run.sh RL_BIN SOURCE_DIR OUTPUT_DIR
# Builds the dashboard (scripts/web-build: npm ci from the lock file when
# needed, esbuild), then runs the node:test suite, which starts
# `ruralink serve --demo` on a temporary database and an ephemeral port and
# drives /usr/bin/chromium headless through playwright-core. Exits 77 (CTest:
# skipped) with a message only when Chromium or node is not installed.
set -eu
bin=$1 src=$2 out=$3
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "e2e: SKIPPED: $chromium is not installed (scripts/deps installs the chromium package)"
  exit 77
fi
if ! command -v node >/dev/null 2>&1; then
  echo "e2e: SKIPPED: node is not installed"
  exit 77
fi
"$src/scripts/web-build"
mkdir -p "$out"
RL_BIN=$bin RL_SOURCE_DIR=$src RL_E2E_OUT=$out RL_WEB_ROOT=$src/web/dist CHROMIUM=$chromium \
  exec node --test --test-reporter=spec --test-concurrency=1 "$src/tests/e2e/dashboard.test.mjs"
