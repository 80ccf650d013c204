#!/usr/bin/env bash
# Topic quality of training settings side by side, with scikit-learn's LDA as
# the classical reference: tokenizes one corpus, trains one model per variant
# (same corpus, config and seed), scores it (amortized and, for lda, classical)
# and prints per variant: mean NPMI and topic diversity (quality.json), best
# validation ELBO per token (train_log.jsonl), document-completion perplexity
# of amortized and classical, and training seconds. Then topic_quality_peer.py
# recomputes NPMI/diversity from topics.npy (a cross-check) and fits
# scikit-learn's LatentDirichletAllocation with the same K.
#
# With --table (issue 13), instead: for each corpus of --corpora (names under
# /work/shared/data, default "mtsamples medquad") and each K of --ks (default
# "20 50"), ntm at configs/default.yaml (only model.num_topics set; train on 1
# rank, timed), scikit-learn online LDA and gensim LdaModel on the bag-of-words
# of `ntm export-bow --completion-split`: NPMI, diversity, near-duplicate pairs,
# document-completion perplexity on score's held-out halves, train seconds.
#   tests/benchmarks/bench_topics.sh --table [--corpora "mtsamples"] [--ks "20"] [--work DIR]
#
# Usage: tests/benchmarks/bench_topics.sh [--input FILE] [--config C.yaml] [--topics K]
#          [--epochs E] [--ranks P] [--work DIR] [--sklearn-iter N] [--variant "NAME|--set k=v ..."]...
#   --input    raw notes (default: the bundled MedQuAD sample)
#   --config   ntm config (default configs/demo.yaml); --topics/--epochs override it
#   --ranks    MPI ranks for every stage (default 2)
#   --work     scratch folder (default: mktemp -d)
#   --variant  replaces the default variants (repeatable): a name, "|", then --set flags
#   --sklearn-iter  iterations of scikit-learn's batch LDA (default 100; 0 skips it)
# Environment: NTM (default build/pipeline/ntm), PYTHON (default /usr/bin/python3,
#   needs python3-sklearn python3-scipy, and python3-gensim for --table), NTM_SHARED_DATA
#   (default /work/shared/data, --table corpora), MPIRUN (default mpirun --oversubscribe
#   [--allow-run-as-root]).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ntm=${NTM:-$repo/build/pipeline/ntm}
python=${PYTHON:-/usr/bin/python3}
input=$repo/tests/data/medquad-sample.jsonl.gz config=$repo/configs/demo.yaml
topics='' epochs='' ranks=2 work='' sklearn_iter=100
variants=() table=0 corpora="mtsamples medquad" ks="20 50"
data=${NTM_SHARED_DATA:-/work/shared/data}
while [[ $# -gt 0 ]]; do
  case $1 in
    --table) table=1; shift; continue ;;
    --corpora) corpora=$2 ;;
    --ks) ks=$2 ;;
    --input) input=$2 ;;
    --config) config=$2 ;;
    --topics) topics=$2 ;;
    --epochs) epochs=$2 ;;
    --ranks) ranks=$2 ;;
    --work) work=$2 ;;
    --sklearn-iter) sklearn_iter=$2 ;;
    --variant) variants+=("$2") ;;
    *) sed -n '11,31p' "$0" >&2; exit 64 ;;
  esac
  shift 2
done
[[ -n $work ]] || work=$(mktemp -d)
mkdir -p "$work"
mpirun_cmd=${MPIRUN:-mpirun --oversubscribe}
[[ $(id -u) -eq 0 && -z ${MPIRUN:-} ]] && mpirun_cmd+=" --allow-run-as-root"
read -r -a mpi <<<"$mpirun_cmd -np $ranks"

# --table: one corpus and K, ntm then the peers (all single-threaded).
table_row() {
  local name=$1 k=$2 dir=$work/$1/k$2 default=$repo/configs/default.yaml
  rm -rf "$dir" && mkdir -p "$dir"
  local start
  start=$(date +%s.%N)
  "$ntm" train --config "$default" --corpus "$work/$name/corpus" --out "$dir/model" \
    --set "model.num_topics=$k" >"$dir/train.log" 2>&1 || { echo "$name K$k: train failed"; return 1; }
  local seconds
  seconds=$("$python" -c "print($(date +%s.%N) - $start)")
  "${mpi[@]}" "$ntm" score --config "$default" --model "$dir/model" --corpus "$work/$name/corpus" \
    --out "$dir/scores" --methods amortized,classical >"$dir/score.log" 2>&1 || { echo "$name K$k: score failed"; return 1; }
  local ppl
  ppl=$("$python" - "$dir/scores/quality.json" "$work/$name/bow/completion-doc-ids.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["methods"]
exported = sum(1 for _ in open(sys.argv[2]))
if m["classical"]["completion_documents"] != exported:
    sys.exit(f"completion documents: score {m['classical']['completion_documents']}, export {exported}")
print(m["classical"]["completion_perplexity"], m["amortized"]["completion_perplexity"])
PY
  ) || { echo "$name K$k: completion split differs from score's"; return 1; }
  "$python" "$repo/tests/benchmarks/topic_quality_peer.py" "$work/$name/bow" "$k" \
    --table "ntm $name K$k (classical)" --ntm-ppl "${ppl%% *}" --ntm-seconds "$seconds" "$dir/model"
  printf "  ntm amortized completion perplexity: %.1f\n" "${ppl##* }"
}

if [[ $table -eq 1 ]]; then
  export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
  echo "== issue-13 table: configs/default.yaml, ntm train on 1 rank, peers single-threaded, work $work"
  printf '%-34s %7s %9s %5s %10s %8s\n' model NPMI diversity dups ppl train-s
  for name in $corpora; do
    mkdir -p "$work/$name"
    if [[ ! -f $work/$name/corpus/manifest.json ]]; then
      "${mpi[@]}" "$ntm" tokenize --config "$repo/configs/default.yaml" --input "$data/$name.jsonl" \
        --out "$work/$name/corpus" >"$work/$name/tokenize.log" 2>&1
    fi
    "$ntm" export-bow --corpus "$work/$name/corpus" --out "$work/$name/bow" --completion-split \
      --config "$repo/configs/default.yaml" >"$work/$name/export.log" 2>&1
    for k in $ks; do table_row "$name" "$k"; done
  done
  exit 0
fi

if [[ ${#variants[@]} -eq 0 ]]; then
  variants=(
    "init 0.1, lr 0.002 (default)|--set model.decoder_init_scale=0.1 --set train.learning_rate=0.002"
    "init 0.3, lr 0.002|--set model.decoder_init_scale=0.3 --set train.learning_rate=0.002"
    "init 1.0, lr 0.002|--set model.decoder_init_scale=1 --set train.learning_rate=0.002"
    "init 0.1, lr 0.01 (demo)|--set model.decoder_init_scale=0.1 --set train.learning_rate=0.01"
    "init 0.3, lr 0.01|--set model.decoder_init_scale=0.3 --set train.learning_rate=0.01"
    "init 1.0, lr 0.01|--set model.decoder_init_scale=1 --set train.learning_rate=0.01"
    "prodlda, lr 0.002|--set model.decoder=prodlda --set train.learning_rate=0.002"
  )
fi
common=()
[[ -n $topics ]] && common+=(--set "model.num_topics=$topics")
[[ -n $epochs ]] && common+=(--set "train.epochs=$epochs")

echo "== corpus: $(basename "$input"), config $(basename "$config") ${common[*]}, $ranks rank(s), work $work"
if [[ ! -f $work/corpus/manifest.json ]]; then
  "${mpi[@]}" "$ntm" tokenize --config "$config" --input "$input" --out "$work/corpus" >"$work/tokenize.log" 2>&1
fi

# One variant: train, score, print its row.
run_variant() {
  local index=$1 name=$2 flags=$3 dir=$work/v$1 methods=amortized,classical
  local -a sets
  read -r -a sets <<<"$flags"
  [[ $flags == *decoder=prodlda* ]] && methods=amortized
  rm -rf "$dir" && mkdir -p "$dir"
  local start=$SECONDS
  "${mpi[@]}" "$ntm" train --config "$config" --corpus "$work/corpus" --out "$dir/model" \
    "${common[@]}" "${sets[@]}" >"$dir/train.log" 2>&1 || { echo "$name: train failed ($dir/train.log)"; return 1; }
  local seconds=$((SECONDS - start))
  "${mpi[@]}" "$ntm" score --config "$config" --model "$dir/model" --corpus "$work/corpus" \
    --out "$dir/scores" --methods "$methods" >"$dir/score.log" 2>&1 || { echo "$name: score failed"; return 1; }
  "$python" - "$dir" "$name" "$seconds" <<'PY'
import json, sys
d, name, seconds = sys.argv[1:]
q = json.load(open(f"{d}/scores/quality.json"))
val = [json.loads(l)["validation_elbo_per_token"] for l in open(f"{d}/model/train_log.jsonl")
       if '"validation"' in l]
ppl = lambda m: q["methods"].get(m, {}).get("completion_perplexity")
fmt = lambda v: f"{v:10.0f}" if v else f"{'-':>10s}"
print(f"{name:32s} {q['topics']['mean_npmi']:6.3f} {q['topics']['diversity']:9.3f} "
      f"{max(val) if val else float('nan'):9.4f} {fmt(ppl('amortized'))} {fmt(ppl('classical'))} {seconds:>6s}")
PY
}

printf '%-32s %6s %9s %9s %10s %10s %6s\n' variant NPMI diversity val-ELBO ppl-amort ppl-class train-s
index=0
for variant in "${variants[@]}"; do
  run_variant $index "${variant%%|*}" "${variant#*|}"
  index=$((index + 1))
done

if [[ $sklearn_iter -gt 0 ]]; then
  echo
  echo "== recomputed from topics.npy, and scikit-learn's LDA with the same K"
  "$ntm" export-bow --corpus "$work/corpus" --out "$work/bow" >/dev/null 2>&1
  k=$("$python" -c "import numpy; print(numpy.load('$work/v0/model/topics.npy').shape[0])")
  "$python" "$repo/tests/benchmarks/topic_quality_peer.py" "$work/bow" "$k" \
    --sklearn-iter "$sklearn_iter" "$work"/v*/model
fi
