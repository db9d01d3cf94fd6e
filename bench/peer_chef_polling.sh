#!/usr/bin/env bash
# The Chef-only bring-up (nodes polling Chef search for the master every 30 minutes with splay)
# vs orch's any-of election, simulated: time to a converged cluster. Builds and prints the table.
#   bench/peer_chef_polling.sh [--seeds N] [--sizes 10,100,1000]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh --target chef_polling_bench >/dev/null
exec build/chef_polling_bench "$@"
