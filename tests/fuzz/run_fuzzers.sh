#!/usr/bin/env bash
# Builds the libFuzzer targets (if needed) and runs each for SECONDS (default
# 30), then prints a table: target, executions, exec/s, coverage (cov/ft from
# libFuzzer's final stats), crashes. Exits 1 if any target crashed, leaked,
# ran out of memory or timed out; the reproducer is kept under
# <build>/fuzz-artifacts/<target>/ (turn it into a regression: copy it to
# tests/fuzz/regressions/<target>/ once fixed, or regressions/open/<target>/
# with a DISABLED_ test in fuzz_replay_test.cc while open).
#
# Usage: tests/fuzz/run_fuzzers.sh [SECONDS] [TARGET...]
# Environment: NTM_FUZZ_BUILD_DIR (default build-fuzz), NTM_JOBS (default 1),
#              NTM_FUZZ_ARGS (extra libFuzzer flags),
#              NTM_FUZZ_PARALLEL (targets run at once, default 1),
#              NTM_FUZZ_CONFIGURED=1 (the build folder is already configured with
#              NTM_FUZZ=ON by the caller, e.g. tests/run.sh's build-san: keep it).
# Needs clang with libFuzzer (Debian: clang, which provides libclang-rt-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
shift || true
all=(jsonl csv words shard model config mtx vocab npy)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all[@]}"); fi
build=${NTM_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${NTM_JOBS:-1}

if ! command -v clang++ >/dev/null; then
  echo "run_fuzzers.sh: clang++ not found (apt-get install clang); fuzzing skipped" >&2
  exit 2
fi
# (Re)configure every time unless the caller owns the folder's configuration:
# cheap, and makes sure the hardening tests are on in an old folder.
mkdir -p "$build"
[[ ${NTM_FUZZ_CONFIGURED:-0} == 1 ]] ||
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DNTM_FUZZ=ON \
  -DNTM_HARDENING_TESTS=ON -DNTM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
build_targets=()
for t in "${targets[@]}"; do build_targets+=("ntm_fuzz_$t"); done
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}" >"$build/fuzz-build.log" 2>&1 ||
  { tail -50 "$build/fuzz-build.log"; exit 1; }

# Leaks are real findings here (no MPI is initialised by the fuzz targets).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Runs target $1; writes its table row to $build/fuzz-$1.row; exit 1 if it
# found something.
fuzz_one() {
  local t=$1 work artifacts log rc execs speed cov corpus found what artifact
  work=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/fuzz-$t.log
  local dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  # The first folder collects new inputs; the checked-in seeds are read only.
  # shellcheck disable=SC2086
  "$build/tests/fuzz/ntm_fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1536 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" ${NTM_FUZZ_ARGS:-} \
    "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 && rc=0 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | awk '{print $2 "/" $4}')
  corpus=$(find "$work" -type f | wc -l)
  found=0
  if [[ $rc -ne 0 ]]; then
    what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)[^(]*|NTM_FUZZ_CHECK failed[^\n]*|runtime error:[^\n]*' "$log" | head -1)
    artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')
    found="1: ${what:-exit $rc} (${artifact:-see $log})"
  fi
  echo "| $t | ${execs:-?} | ${speed:-?} | ${cov:-?} | $corpus | $found |" >"$build/fuzz-$t.row"
  echo "fuzz $t: ${execs:-?} runs, ${speed:-?}/s, cov/ft ${cov:-?}, crashes: $found" >&2
  [[ $rc -eq 0 ]]
}

parallel=${NTM_FUZZ_PARALLEL:-1}
crashed=0
running=0
for t in "${targets[@]}"; do
  if [[ $running -ge $parallel ]]; then
    wait -n || crashed=1
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
while [[ $running -gt 0 ]]; do
  wait -n || crashed=1
  running=$((running - 1))
done
rows=()
for t in "${targets[@]}"; do rows+=("$(cat "$build/fuzz-$t.row")"); done

echo
echo "libFuzzer, ${seconds} s per target, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| target | executions | exec/s | cov/ft | corpus | crashes |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
exit $crashed
