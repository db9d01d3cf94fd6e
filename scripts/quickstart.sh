#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds orch, then plans and applies the quickstart example
# on the simulated provider (virtual clock, local state in examples/quickstart/.orch/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh --target orch_cli
ORCH="$PWD/${BUILD_DIR:-build}/orch"
cd examples/quickstart
"$ORCH" validate
"$ORCH" plan -out=.orch/quickstart.plan
"$ORCH" apply .orch/quickstart.plan
