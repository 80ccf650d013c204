#!/usr/bin/env bash
# Installs the Debian 12 packages ntm needs to build, test and run, when they
# are missing. Idempotent and non-interactive: runs `apt-get update` only when
# something must be installed. Extra packages may be passed as arguments
# (e.g. the peers for benchmarks: python3-sklearn python3-torch libopenblas0-pthread).
#
# Usage: jobs/setup-debian.sh [EXTRA_PACKAGE...]
set -euo pipefail

packages=(
  # toolchain
  g++ make cmake pkg-config git ca-certificates
  # libraries (see README, "Dependencies")
  libopenmpi-dev openmpi-bin libeigen3-dev libicu-dev libsentencepiece-dev sentencepiece
  libyaml-cpp-dev libgtest-dev nlohmann-json3-dev zlib1g-dev libxxhash-dev libcli11-dev
  libsimdjson-dev
  # PostgreSQL: libpq for postgresql:// inputs and results tables; the server
  # for the db tests' throwaway cluster and tests/benchmarks/bench_db.sh
  libpq-dev postgresql
  # tests read the .npy files ntm writes with NumPy
  python3 python3-numpy
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root, or ask an administrator: apt-get install ${missing[*]}" >&2
  exit 77
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An install from a stale or empty package list fails; update once, then retry.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/ntm-setup-apt.log 2>&1; then
  apt-get update -q >/tmp/ntm-setup-apt.log 2>&1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/ntm-setup-apt.log 2>&1 || {
    tail -n 20 /tmp/ntm-setup-apt.log >&2
    echo "setup: apt-get install failed (log: /tmp/ntm-setup-apt.log)" >&2
    exit 1
  }
fi
echo "setup: done"
