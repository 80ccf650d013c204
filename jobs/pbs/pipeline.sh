#!/usr/bin/env bash
# Submits the whole chain to PBS (PBS Pro / OpenPBS): tokenize -> train -> score
# (array, one sub-job per input) -> report, each job waiting for the previous one
# with `qsub -W depend=afterok:<id>`. Prints the job ids and returns.
#
# Usage: jobs/pbs/pipeline.sh CONFIG.yaml INPUT... OUT_DIR
#   CONFIG.yaml  ntm configuration (see configs/default.yaml)
#   INPUT...     raw notes: JSONL, CSV, folders of .txt, or .gz of these
#   OUT_DIR      receives corpus/, model/, scores/NNN-NAME/ (one per input),
#                report/, logs/ and the lists inputs.txt and runs.txt the jobs read
# Output (stdout): one line per job "<stage> <job id>", then
#   "job ids: <tokenize> <train> <score> <report>".
#
# Environment (all optional):
#   NTM_BIN          ntm binary, made absolute (default: <repo>/build/pipeline/ntm)
#   NTM_SELECT       MPI resources for tokenize/train/score (default select=1:ncpus=2:mpiprocs=2)
#   NTM_METHODS      scoring methods (default amortized,refined,classical,ln-vi)
#   NTM_QUEUE        qsub -q;  NTM_ACCOUNT  qsub -A
#   NTM_WALLTIME_TOKENIZE, NTM_WALLTIME_TRAIN, NTM_WALLTIME_SCORE, NTM_WALLTIME_REPORT
#                    -l walltime per stage (default: the #PBS line of each job)
#   NTM_QSUB_ARGS    extra qsub options for every job, split on spaces
#   NTM_SET, NTM_STOP_MARGIN, NTM_MAX_RESUBMITS   passed to the jobs
#   QSUB             the qsub command (default qsub; tests put a stand-in here)
# Exit codes: 0 all jobs submitted, 64 usage, 66 a file is missing, 69 qsub
#   missing or refused a job (jobs submitted before it are deleted with qdel).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$here/pipeline.sh" >&2
  exit 64
}
[[ $# -ge 3 ]] || usage
case $1 in -h | --help) usage ;; esac

abs() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
config=$(abs "$1")
out=$(abs "${!#}")
inputs=()
for arg in "${@:2:$#-2}"; do inputs+=("$(abs "$arg")"); done
[[ -f $config ]] || { echo "error: config not found: $config" >&2; exit 66; }
for input in "${inputs[@]}"; do
  [[ -e $input ]] || { echo "error: input not found: $input" >&2; exit 66; }
done
qsub=${QSUB:-qsub}
command -v "$qsub" >/dev/null || { echo "error: $qsub not found (is PBS installed?)" >&2; exit 69; }
ntm=$(abs "${NTM_BIN:-$repo/build/pipeline/ntm}")
[[ -x $ntm ]] || { echo "error: ntm binary not found: $ntm (set NTM_BIN)" >&2; exit 66; }
for value in "$config" "$out" "$ntm" "${NTM_SET:-}"; do
  [[ $value != *,* ]] || { echo "error: qsub -v cannot carry a comma: $value" >&2; exit 64; }
done

mkdir -p "$out/logs" "$out/scores"
printf '%s\n' "${inputs[@]}" >"$out/inputs.txt"
printf '%s\n' "$out/corpus" "$out/model" "$out/scores" >"$out/runs.txt"
select=${NTM_SELECT:-select=1:ncpus=2:mpiprocs=2}
methods=${NTM_METHODS:-amortized,refined,classical,ln-vi}
base_vars="NTM_BIN=$ntm,NTM_JOBS_DIR=$here"
[[ -n ${NTM_SET:-} ]] && base_vars+=",NTM_SET=$NTM_SET"
[[ -n ${NTM_STOP_MARGIN:-} ]] && base_vars+=",NTM_STOP_MARGIN=$NTM_STOP_MARGIN"
[[ -n ${NTM_MAX_RESUBMITS:-} ]] && base_vars+=",NTM_MAX_RESUBMITS=$NTM_MAX_RESUBMITS"

common=(-j oe -o "$out/logs/")
[[ -n ${NTM_QUEUE:-} ]] && common+=(-q "$NTM_QUEUE")
[[ -n ${NTM_ACCOUNT:-} ]] && common+=(-A "$NTM_ACCOUNT")
if [[ -n ${NTM_QSUB_ARGS:-} ]]; then
  read -r -a extra <<<"$NTM_QSUB_ARGS"
  common+=("${extra[@]}")
fi

submitted=()
# submit VAR NAME WALLTIME VARS [qsub options] SCRIPT: prints "NAME <id>", stores the id.
submit() {
  local var=$1 name=$2 walltime=$3 vars=$4 id
  shift 4
  local -a opts=("${common[@]}" -N "ntm-$name" -v "$base_vars,$vars")
  [[ -n $walltime ]] && opts+=(-l "walltime=$walltime")
  if ! id=$("$qsub" "${opts[@]}" "$@"); then
    echo "error: qsub refused the $name job" >&2
    [[ ${#submitted[@]} -gt 0 ]] && qdel "${submitted[@]}" 2>/dev/null
    exit 69
  fi
  id=${id//[[:space:]]/}
  submitted+=("$id")
  printf -v "$var" '%s' "$id"
  echo "$name $id"
}

n=${#inputs[@]}
array=()
# A PBS Pro array needs two or more indices; one input is a plain job.
[[ $n -gt 1 ]] && array=(-J "0-$((n - 1))")
tok='' train='' score='' report=''
submit tok tokenize "${NTM_WALLTIME_TOKENIZE:-}" \
  "NTM_CONFIG=$config,NTM_CORPUS=$out/corpus,NTM_INPUT_LIST=$out/inputs.txt" \
  -l "$select" "$here/tokenize.pbs"
submit train train "${NTM_WALLTIME_TRAIN:-}" \
  "NTM_CONFIG=$config,NTM_CORPUS=$out/corpus,NTM_MODEL=$out/model" \
  -l "$select" -W "depend=afterok:$tok" "$here/train.pbs"
submit score score "${NTM_WALLTIME_SCORE:-}" \
  "NTM_MODEL=$out/model,NTM_SCORES_ROOT=$out/scores,NTM_INPUT_LIST=$out/inputs.txt,NTM_METHODS=${methods//,/:}" \
  -l "$select" "${array[@]}" -W "depend=afterok:$train" "$here/score.pbs"
submit report report "${NTM_WALLTIME_REPORT:-}" \
  "NTM_REPORT=$out/report,NTM_RUN_LIST=$out/runs.txt" \
  -W "depend=afterok:$score" "$here/report.pbs"
echo "job ids: $tok $train $score $report"
