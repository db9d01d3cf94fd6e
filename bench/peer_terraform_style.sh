#!/usr/bin/env bash
# Terraform-style scheduling (-parallelism=10) vs orch's default on the same DAGs, simulated:
# generated DAGs through orch's executor, then the quickstart example through `orch apply
# -simulate`. Builds what it needs and prints the tables.
#   bench/peer_terraform_style.sh [--seeds N] [--sizes 10,100,1000]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh --target scheduling_bench --target orch_cli >/dev/null
build/scheduling_bench "$@"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo
echo "examples/quickstart through orch apply -simulate:"
for p in 0 10; do
  rm -rf "$work/q" && cp -r examples/quickstart "$work/q" && rm -rf "$work/q/.orch"  # no earlier run's state
  line=$(cd "$work/q" && "$OLDPWD/build/orch" apply -simulate -auto-approve -no-color \
           -parallelism=$p | grep "Simulated makespan")
  printf '  -parallelism=%-3s %s\n' "$p" "$line"
done
