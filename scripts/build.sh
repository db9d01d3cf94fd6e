#!/usr/bin/env bash
# Configures and builds orch into ./build (incremental; the generated parser is rebuilt only when
# grammar/Orch.g4 changes).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# ORCH_DEBUG_INFO=0 (what scripts/test.sh asks for a fresh build dir): the same optimisation
# without -g, a third less compile time; it applies when the build directory is configured.
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  flags=()
  if [ "${ORCH_DEBUG_INFO:-1}" = 0 ]; then
    flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG")
  fi
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" "$@"
