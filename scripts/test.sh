#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Tests need no debug info: a fresh build directory is configured without -g (scripts/build.sh).
ORCH_DEBUG_INFO=${ORCH_DEBUG_INFO:-0} ./scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 --timeout 300
