#!/usr/bin/env bash
# A stand-in for the ntm binary used by run_slurm_test.sh while the real stages
# are being built (and by its --smoke mode): it checks the command line the Slurm
# jobs pass (the contract in DESIGN.md), proves that the ranks form one MPI job by
# running the real `ntm version` on every rank (only MPI rank 0 prints), and
# writes the marker files the test looks for. Never reads document text.
#
# Usage: fake_ntm.sh STAGE FLAGS...   (as ntm)
# Environment:
#   NTM_REAL_BIN            the real ntm binary (required)
#   NTM_FAKE_LOG            folder for per-rank records "<stage>-<job>-rank<r>"
#   NTM_FAKE_TRAIN_SECONDS  train runs this long unless SIGTERM arrives first
#                           (default 0); on SIGTERM it writes model.bin and exits 75
# Exit codes: as ntm (0 ok, 64 usage, 66 input missing, 75 stopped by SIGTERM).
set -euo pipefail
real=${NTM_REAL_BIN:?NTM_REAL_BIN must name the real ntm binary}
stage=${1:-}
[[ -n $stage ]] || { echo "fake ntm: missing stage" >&2; exit 64; }
shift
if [[ $stage == version ]]; then exec "$real" version; fi

rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${SLURM_PROCID:-0}}}
job=${SLURM_JOB_ID:-${PBS_JOBID:-nojob}}
usage() { echo "fake ntm $stage: $*" >&2; exit 64; }

# Parse the flags of the contract.
config='' out='' corpus='' model='' resume=0 incremental=0 methods='' inputs=() runs=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) config=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --corpus) corpus=${2:?}; shift 2 ;;
    --model) model=${2:?}; shift 2 ;;
    --methods) methods=${2:?}; shift 2 ;;
    --set) [[ ${2:-} == *=* ]] || usage "--set wants key=value"; shift 2 ;;
    --resume) resume=1; shift ;;
    --incremental) incremental=1; shift ;;
    --input)
      shift
      while [[ $# -gt 0 && $1 != --* ]]; do inputs+=("$1"); shift; done
      ;;
    --*) usage "unknown flag $1" ;;
    *) runs+=("$1"); shift ;;
  esac
done
[[ -n $out ]] || usage "--out is required"
need_file() { [[ -e $1 ]] || { echo "fake ntm $stage: missing $1" >&2; exit 66; }; }
case $stage in
  tokenize)
    [[ -n $config && ${#inputs[@]} -gt 0 ]] || usage "needs --config and --input"
    need_file "$config"
    for f in "${inputs[@]}"; do need_file "$f"; done
    ;;
  train)
    [[ -n $config && -n $corpus ]] || usage "needs --config and --corpus"
    need_file "$config"
    need_file "$corpus/manifest.json"
    [[ $resume == 0 ]] || need_file "$out/model.bin"
    ;;
  score)
    [[ -n $model && (-n $corpus || ${#inputs[@]} -gt 0) ]] || usage "needs --model and --corpus or --input"
    need_file "$model/model.bin"
    for f in "${inputs[@]}"; do need_file "$f"; done
    ;;
  report)
    [[ ${#runs[@]} -gt 0 ]] || usage "needs run folders"
    for d in "${runs[@]}"; do need_file "$d"; done
    ;;
  *) usage "unknown stage" ;;
esac

# One MPI job? Every rank runs the real binary; only MPI rank 0 prints.
printed=$("$real" version | head -1)
if [[ -n ${NTM_FAKE_LOG:-} ]]; then
  mkdir -p "$NTM_FAKE_LOG"
  if [[ -n $printed ]]; then state=printed; else state=silent; fi
  echo "$state resume=$resume incremental=$incremental inputs=${#inputs[@]} runs=${#runs[@]}" \
    >"$NTM_FAKE_LOG/$stage-$job-rank$rank"
fi
leader=0
[[ -n $printed ]] && leader=1
mkdir -p "$out"

if [[ $stage == train && ${NTM_FAKE_TRAIN_SECONDS:-0} -gt 0 && $resume == 0 ]]; then
  trap 'echo "fake ntm train: rank $rank got SIGTERM; checkpoint, exit 75"
        [[ $leader == 1 ]] && echo checkpoint >"$out/model.bin"
        [[ -n ${NTM_FAKE_LOG:-} ]] && echo "$job" >"$NTM_FAKE_LOG/sigterm-rank$rank"
        exit 75' TERM
  end=$((SECONDS + NTM_FAKE_TRAIN_SECONDS))
  while [[ $SECONDS -lt $end ]]; do
    sleep 1 &
    wait $! || true
  done
  trap - TERM
fi

if [[ $leader == 1 ]]; then
  case $stage in
    tokenize) echo '{"fake": true}' >"$out/manifest.json" ;;
    train) echo model >"$out/model.bin" ;;
    score) echo "{\"methods\": {}, \"fake\": \"${methods:-default}\"}" >"$out/timings.json" ;;
    report) echo '<html><body>fake report</body></html>' >"$out/report.html" ;;
  esac
fi
echo "fake ntm $stage: rank $rank done"
