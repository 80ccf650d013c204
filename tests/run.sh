#!/usr/bin/env bash
# The whole test suite (the README's second Quick-start command, and CI's):
# installs missing packages, builds with -Werror, runs every CTest label
# (unit, claims, mpi, e2e, fault, fuzz replay, pbs, browser: report.html in
# headless Chromium, and slurm: a real one-node Slurm cluster), then the
# sanitizer build and the fuzzers (below).
#
# Environment: NTM_BUILD_DIR (default build-tests), NTM_JOBS (default: cores),
#              NTM_CTEST_ARGS (ctest arguments; default "-LE slurm-smoke", e.g. "-L unit").
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium (and the fonts it recommends): the browser test (label browser)
# opens report.html in it.
# clang and its runtime libraries: the sanitizer build and libFuzzer (below).
if [[ ${NTM_SANITIZERS:-1} != 0 ]]; then
  bash jobs/setup-debian.sh chromium fonts-liberation clang libclang-rt-14-dev
else
  bash jobs/setup-debian.sh chromium fonts-liberation
fi

build=${NTM_BUILD_DIR:-build-tests}
jobs=${NTM_JOBS:-$(nproc)}
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DNTM_WERROR=ON -DNTM_HARDENING_TESTS=ON >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
# The Slurm harness self-check (label slurm-smoke) duplicates what the real
# Slurm chain test exercises; it runs only when asked for (NTM_CTEST_ARGS="").
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j "$jobs" ${NTM_CTEST_ARGS--LE slurm-smoke}

# ===========================================================================
# Sanitizer run and fuzzing (issue "Hardening"; see docs/reliability.md).
# On by default; NTM_SANITIZERS=0 skips it (a quick local run).
#
# One more build, build-san: clang with AddressSanitizer + UndefinedBehavior-
# Sanitizer (-O1, line tables), every library also instrumented for libFuzzer
# (NTM_FUZZ=ON), -Werror. In it: the unit, claims, mpi and e2e labels (not
# slurm/pbs: batch-system harnesses; not fault: its time and RSS limits are
# for the release binary, which ran it above; not browser: a user opens reports
# written by the release binary, and Chromium must not run under the LD_PRELOAD
# shim below), then every libFuzzer target for NTM_FUZZ_SECONDS (default 20),
# two at a time. ntm runs no threads of its own (one thread per rank; the
# SentencePiece trainer is set to one thread), so there is nothing for
# ThreadSanitizer to check.
# Leaks: detect_leaks=1 everywhere; tests/fuzz/lsan.supp suppresses only
# allocations made inside Open MPI's own libraries (MPI_Init/Finalize keep
# them on purpose), so a leak in ntm code still fails an mpi test.
# Environment: NTM_SANITIZER_BUILD_DIR (default build-san), NTM_FUZZ_SECONDS,
#              NTM_SANITIZER_CTEST_ARGS (extra ctest arguments).
# ===========================================================================
if [[ ${NTM_SANITIZERS:-1} != 0 ]]; then
  sanitizer_start=$SECONDS
  san=${NTM_SANITIZER_BUILD_DIR:-build-san}
  mkdir -p "$san"
  cmake -S . -B "$san" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=None \
    "-DCMAKE_C_FLAGS=-O1 -gline-tables-only" "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" \
    -DNTM_SANITIZE=ON -DNTM_FUZZ=ON -DNTM_HARDENING_TESTS=ON -DNTM_WERROR=ON \
    >"$san/configure.log" 2>&1 || { cat "$san/configure.log"; exit 1; }
  cmake --build "$san" -j "$jobs"
  echo "run.sh: sanitizer build took $((SECONDS - sanitizer_start)) s"
  # Leaks under Open MPI: its MCA components are dlclose()d in MPI_Finalize, so
  # the memory they keep for the process lifetime shows up at exit with
  # "<unknown module>" frames no suppression can name. libntm_keep_plugins.so
  # (tests/fuzz/keep_plugins.c) makes dlclose() a no-op, so lsan.supp matches
  # them by library (see lsan.supp for the one libc entry);
  # verify_asan_link_order=0 because the shim is preloaded ahead of libasan.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:verify_asan_link_order=0
  LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0"
  export LSAN_OPTIONS
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # shellcheck disable=SC2086
  LD_PRELOAD="$(cd "$san" && pwd)/tests/fuzz/libntm_keep_plugins.so" \
    ctest --test-dir "$san" --output-on-failure -j "$jobs" -L 'unit|claims|mpi|e2e' -LE 'slurm|pbs|browser' \
    ${NTM_SANITIZER_CTEST_ARGS:-}
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
  echo "run.sh: sanitizer tests done at $((SECONDS - sanitizer_start)) s"
  NTM_FUZZ_BUILD_DIR=$san NTM_FUZZ_CONFIGURED=1 NTM_FUZZ_PARALLEL=2 \
    bash tests/fuzz/run_fuzzers.sh "${NTM_FUZZ_SECONDS:-20}"
  echo "run.sh: sanitizer block took $((SECONDS - sanitizer_start)) s"
fi
