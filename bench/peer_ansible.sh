#!/usr/bin/env bash
# orch vs Ansible (Debian's ansible-core) on the same work: a master then N workers gated on it,
# a `sleep` on each loopback host. Installs ansible-core if missing, builds orch, prints the table.
#   bench/peer_ansible.sh [--sizes 10,100,1000] [--sleep 1]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ansible-playbook >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y --no-install-recommends ansible-core >/dev/null
fi
./scripts/build.sh --target orch_cli >/dev/null
exec python3 bench/peer_ansible.py --orch "$PWD/build/orch" "$@"
