#!/usr/bin/env bash
# Submits the whole chain to Slurm: tokenize -> train -> score (array, one task
# per input) -> report, each job waiting for the previous one with
# `sbatch --parsable --dependency=afterok:<id>`. Prints the job ids and returns;
# it does not wait. The same steps as jobs/local/pipeline.sh.
#
# Usage: jobs/slurm/pipeline.sh CONFIG.yaml INPUT... OUT_DIR
#   CONFIG.yaml  ntm configuration (see configs/default.yaml)
#   INPUT...     raw notes: JSONL, CSV, folders of .txt, or .gz of these; tokenize
#                reads all of them, score runs one array task per INPUT
#   OUT_DIR      receives corpus/, model/, scores/NNN-NAME/ (one per input),
#                report/ and logs/ (one Slurm log per job: <job name>-<job id>.out)
# Output (stdout): one line per job "<stage> <job id>", then a last line
#   "job ids: <tokenize> <train> <score> <report>" for scripts (the score id is the
#   array job's id; afterok on it waits for every task).
#
# Environment (all optional):
#   NTM_BIN          ntm binary, made absolute (default: <repo>/build/pipeline/ntm)
#   NTM_RANKS        MPI ranks (sbatch --ntasks) for tokenize, train, score (default 2)
#   NTM_METHODS      scoring methods (default amortized,refined,classical,ln-vi)
#   NTM_PARTITION    sbatch --partition;  NTM_ACCOUNT  sbatch --account
#   NTM_TIME_TOKENIZE, NTM_TIME_TRAIN, NTM_TIME_SCORE, NTM_TIME_REPORT
#                    sbatch --time per stage (default: the #SBATCH line of each job)
#   NTM_SCORE_MAX_PARALLEL  at most this many score tasks at once (--array=...%N)
#   NTM_SBATCH_ARGS  extra sbatch options for every job, split on spaces
#   NTM_LAUNCHER, NTM_SRUN_MPI, NTM_LAUNCHER_PROBE, NTM_SET, NTM_MAX_REQUEUES
#                    passed to the jobs (see jobs/slurm/common.sh, train.sbatch)
# Exit codes: 0 all jobs submitted, 64 usage, 66 a file is missing, 69 sbatch
#   missing or refused a job (jobs submitted before it are cancelled).
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
command -v sbatch >/dev/null || { echo "error: sbatch not found (is Slurm installed?)" >&2; exit 69; }
ntm=$(abs "${NTM_BIN:-$repo/build/pipeline/ntm}")
[[ -x $ntm ]] || { echo "error: ntm binary not found: $ntm (set NTM_BIN)" >&2; exit 66; }

export NTM_BIN=$ntm NTM_JOBS_DIR=$here
export NTM_METHODS=${NTM_METHODS:-amortized,refined,classical,ln-vi}
ranks=${NTM_RANKS:-2}
mkdir -p "$out/logs" "$out/scores"

common=(--parsable --chdir="$out" --export=ALL)
[[ -n ${NTM_PARTITION:-} ]] && common+=(--partition="$NTM_PARTITION")
[[ -n ${NTM_ACCOUNT:-} ]] && common+=(--account="$NTM_ACCOUNT")
if [[ -n ${NTM_SBATCH_ARGS:-} ]]; then
  read -r -a extra <<<"$NTM_SBATCH_ARGS"
  common+=("${extra[@]}")
fi
submitted=()
# submit VAR NAME TIME [sbatch options] SCRIPT ARGS...: submits, prints
# "NAME <id>" and stores the id in VAR. On failure cancels what was submitted.
submit() {
  local var=$1 name=$2 time=$3 id
  shift 3
  local -a opts=("${common[@]}" --job-name="ntm-$name")
  [[ -n $time ]] && opts+=(--time="$time")
  if ! id=$(sbatch "${opts[@]}" "$@"); then
    echo "error: sbatch refused the $name job" >&2
    [[ ${#submitted[@]} -gt 0 ]] && scancel "${submitted[@]}" 2>/dev/null
    exit 69
  fi
  id=${id%%;*} # --parsable prints "id" or "id;cluster"
  submitted+=("$id")
  printf -v "$var" '%s' "$id"
  echo "$name $id"
}

n=${#inputs[@]}
array="0-$((n - 1))"
[[ -n ${NTM_SCORE_MAX_PARALLEL:-} ]] && array+="%$NTM_SCORE_MAX_PARALLEL"
tok='' train='' score='' report=''

submit tok tokenize "${NTM_TIME_TOKENIZE:-}" --ntasks="$ranks" \
  --output="$out/logs/%x-%j.out" \
  "$here/tokenize.sbatch" "$config" "$out/corpus" "${inputs[@]}"
submit train train "${NTM_TIME_TRAIN:-}" --ntasks="$ranks" \
  --dependency="afterok:$tok" --output="$out/logs/%x-%j.out" \
  "$here/train.sbatch" "$config" "$out/corpus" "$out/model"
submit score score "${NTM_TIME_SCORE:-}" --ntasks="$ranks" \
  --array="$array" --dependency="afterok:$train" --output="$out/logs/%x-%A_%a.out" \
  "$here/score.sbatch" "$out/model" "$out/scores" "${inputs[@]}"
submit report report "${NTM_TIME_REPORT:-}" --ntasks=1 \
  --dependency="afterok:$score" --output="$out/logs/%x-%j.out" \
  "$here/report.sbatch" "$out/report" "$out/corpus" "$out/model" "$out/scores"
echo "job ids: $tok $train $score $report"
