#!/usr/bin/env bash
# Installs orch's build and test dependencies on Debian 12; does nothing when they are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  antlr4 libantlr4-runtime-dev
  libboost-dev libboost-graph-dev
  libfmt-dev libyaml-cpp-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libpugixml-dev libtoml11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  etcd-server etcd-client openssh-server openssh-client
  python3 clang libclang-rt-14-dev ccache
  libgoogle-perftools-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
