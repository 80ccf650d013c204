#!/bin/bash
# bench_train_step.sh — the cost model of one training step, for docs/scaling.md:
#   T_step(P, G) = G/P * t_doc + t_fixed + T_allreduce(P)
# t_doc: compute per document (forward + backward, this rank's share of the batch);
# t_fixed: work every rank repeats per step whatever its share (softmax of the K x V
# topics, Adam on every parameter -- on 1/P of them with the sharded step at P > 1 --,
# the dense gradient of the K x V decoder, buffer clearing); T_allreduce: the sum of
# the ~12 MB reduce buffer (reduce-scatter + all-gather at P > 1).
#
# Usage:
#   bash tests/benchmarks/bench_train_step.sh [--docs 40000] [--batches "200 2000"]
#        [--ranks "1 2"] [--input FILE.jsonl] [--work DIR] [--keep]
#
# Tokenizes the first --docs lines of --input (default: ntm synth, 50 topics,
# 20000 pseudo-words, mean length 150) once (P=1, vocab.mode=words), then trains
# one epoch for every (batch, P) and reads the epoch seconds from
# train_log.jsonl. Per-step seconds are also scaled by the CPU share the ranks
# got ((user+sys)/(wall*P)) to estimate the figure on an idle machine
# ("cpu-scaled"). With two batch sizes at P=1 the fit gives t_doc and t_fixed.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
docs=40000; batches="200 2000"; ranks="1 2"; input=""; work=""; keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --docs) docs="$2"; shift ;;
    --batches) batches="$2"; shift ;;
    --ranks) ranks="$2"; shift ;;
    --input) input="$2"; shift ;;
    --work) work="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
bench_check_ntm
if [[ -z "$work" ]]; then work="$(mktemp -d "${TMPDIR:-/tmp}/bench-step.XXXXXX")"; fi
mkdir -p "$work"
[[ $keep -eq 1 ]] || trap 'rm -rf "$work"' EXIT
CONFIG="$BENCH_REPO/configs/default.yaml"
if [[ -n "$input" ]]; then
  head -n "$docs" "$input" >"$work/docs.jsonl"
else
  "$NTM" synth --out "$work/docs.jsonl" --docs "$docs" --topics 50 --vocab-size 20000 --mean-length 150 \
    --seed 1 >"$work/synth.log" 2>&1
fi
rm -rf "$work/corpus"
bench_run 1 "$work/tokenize" -- tokenize --config "$CONFIG" --input "$work/docs.jsonl" --out "$work/corpus" \
  --set vocab.mode=words
n=$(jq .documents.written "$work/corpus/manifest.json")
V=$(jq .vocab_size "$work/corpus/manifest.json")
floats=$(( V * 100 + 100 + 100 * 100 + 100 + 2 * 50 * 100 + 2 * 50 + 50 * V ))
echo "corpus: $n documents, vocabulary $V; parameters (lda, H=100, K=50): $floats floats = $(( floats * 4 / 1000000 )) MB per all-reduce"
printf "| %5s | %2s | %5s | %10s | %9s | %14s | %-11s |\n" batch P steps "ms/step" "CPU share" "ms/step cpu-scaled" "load b/a"
printf "|%s|\n" "-------|----|-------|------------|-----------|----------------|-------------"
declare -A STEP
for g in $batches; do
  for p in $ranks; do
    rm -rf "$work/model-$g-$p"
    bench_run "$p" "$work/train-$g-$p" -- train --config "$CONFIG" --corpus "$work/corpus" \
      --out "$work/model-$g-$p" --set train.epochs=1 --set train.batch_size="$g" \
      --set train.checkpoint_every_steps=0 --set train.checkpoint_every_seconds=0
    steps=$(( (n + g - 1) / g ))
    secs=$(grep '"type":"epoch"' "$work/model-$g-$p/train_log.jsonl" | jq .seconds)
    share=$(bench_cpu_share "$work/train-$g-$p" "$p" "$BENCH_WALL")
    ms=$(echo "$secs * 1000 / $steps" | bc -l)
    STEP[$g.$p]=$(echo "$ms * $share" | bc -l)
    printf "| %5d | %2d | %5d | %10.2f | %9s | %14.2f | %-11s |\n" "$g" "$p" "$steps" "$ms" "$share" \
      "${STEP[$g.$p]}" "${BENCH_LOAD_BEFORE%% *}/${BENCH_LOAD_AFTER%% *}"
  done
done
read -r -a B <<<"$batches"
if [[ ${#B[@]} -ge 2 && -n "${STEP[${B[0]}.1]:-}" ]]; then
  g1=${B[0]}; g2=${B[1]}
  tdoc=$(echo "(${STEP[$g2.1]} - ${STEP[$g1.1]}) / ($g2 - $g1)" | bc -l)
  tfix=$(echo "${STEP[$g1.1]} - $g1 * $tdoc" | bc -l)
  printf "fit at P=1 (cpu-scaled): t_doc = %.4f ms per document, t_fixed = %.2f ms per step\n" "$tdoc" "$tfix"
  for p in $ranks; do
    [[ $p -eq 1 ]] && continue
    for g in $batches; do
      printf "P=%d batch %d: measured %.2f ms/step; compute model G/P*t_doc + t_fixed = %.2f ms; remainder (all-reduce, imbalance) %.2f ms\n" \
        "$p" "$g" "${STEP[$g.$p]}" "$(echo "$g / $p * $tdoc + $tfix" | bc -l)" \
        "$(echo "${STEP[$g.$p]} - ($g / $p * $tdoc + $tfix)" | bc -l)"
    done
  done
fi
echo "scratch: $work$([[ $keep -eq 1 ]] || echo ' (removed on exit; --keep to keep)')"
