#!/usr/bin/env bash
# Runs the whole chain on one machine with mpirun: tokenize -> train -> score
# -> report. The Slurm and PBS jobs in jobs/slurm and jobs/pbs run the same steps.
#
# Usage: jobs/local/pipeline.sh CONFIG.yaml INPUT OUT_DIR
#   CONFIG.yaml  ntm configuration (see configs/default.yaml)
#   INPUT        raw notes: JSONL, CSV, folder of .txt, or .gz of these
#   OUT_DIR      receives corpus/, model/, scores/ and report/
# Environment:
#   NTM_BIN      the ntm binary (default: build/pipeline/ntm)
#   NTM_RANKS    MPI ranks (default 2; oversubscribed if the machine has fewer cores)
#   NTM_METHODS  scoring methods (default amortized,refined,classical,ln-vi)
set -euo pipefail
if [[ $# -ne 3 ]]; then
  sed -n '2,15p' "$0" >&2
  exit 64
fi
config=$1 input=$2 out=$3
ntm=${NTM_BIN:-build/pipeline/ntm}
ranks=${NTM_RANKS:-2}
methods=${NTM_METHODS:-amortized,refined,classical,ln-vi}

mpi=(mpirun -np "$ranks" --oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

step() { echo; echo "== $* =="; }
step "tokenize ($ranks ranks)"
"${mpi[@]}" "$ntm" tokenize --config "$config" --input "$input" --out "$out/corpus"
step "train ($ranks ranks)"
"${mpi[@]}" "$ntm" train --config "$config" --corpus "$out/corpus" --out "$out/model"
step "score ($ranks ranks): $methods"
"${mpi[@]}" "$ntm" score --model "$out/model" --corpus "$out/corpus" --out "$out/scores" \
  --methods "$methods"
step "report"
"$ntm" report --out "$out/report" "$out/corpus" "$out/model" "$out/scores"
echo
echo "Done. Open $out/report/report.html (also report.md, report.json)."
