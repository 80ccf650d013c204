#!/usr/bin/env bash
# The whole test suite (the README's second Quick-start command, and CI's):
# installs missing packages, builds with -Werror, runs every CTest label
# (unit, claims, mpi, e2e).
#
# Environment: NTM_BUILD_DIR (default build-tests), NTM_JOBS (default: cores),
#              NTM_CTEST_ARGS (extra ctest arguments, e.g. "-L unit").
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup-debian.sh

build=${NTM_BUILD_DIR:-build-tests}
jobs=${NTM_JOBS:-$(nproc)}
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DNTM_WERROR=ON >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j "$jobs" ${NTM_CTEST_ARGS:-}
