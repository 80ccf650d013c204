#!/usr/bin/env bash
# The Quick-start demo: installs missing packages, builds ntm, and runs the
# whole pipeline on the bundled MedQuAD sample under mpirun:
# tokenize -> train -> score (all four methods) -> report.
#
# Environment: NTM_RANKS (default 2), NTM_DEMO_OUT (default out/demo),
#              NTM_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash jobs/setup-debian.sh

build=${NTM_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ntm -j "$(nproc)"

export NTM_BIN="$PWD/$build/pipeline/ntm"
export NTM_RANKS=${NTM_RANKS:-2}
out=${NTM_DEMO_OUT:-out/demo}
rm -rf "$out"
bash jobs/local/pipeline.sh configs/demo.yaml tests/data/medquad-sample.jsonl.gz "$out"
