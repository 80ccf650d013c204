#!/bin/bash
# bench_scale.sh — the million-document scale run: time per stage and peak
# memory per rank, compared with a smaller run to show what memory scales with.
#
# Usage:
#   bash tests/benchmarks/bench_scale.sh [--docs 1000000] [--compare 250000] [--ranks 2]
#                                        [--mode words|pieces] [--work DIR] [--keep]
#
#   --docs N      documents of the large run (default 1000000)
#   --compare M   documents of the comparison run (default 250000; 0 = none). Its
#                 input is the first M lines of the large input (same distribution).
#   --ranks P     ranks of every stage (default 2)
#   --mode        vocab.mode of tokenize (default words: no SentencePiece training;
#                 the synthetic pseudo-words are whole words anyway)
#   --work DIR    scratch folder on a large disk (default /work/bench-scale; the
#                 1M-document JSONL is ~2.1 GB, corpora and model ~1 GB more).
#                 An existing DIR/synth-N.jsonl is reused (synth runs once).
#   --keep        keep the scratch folder (default: remove outputs, keep the synth input)
#   --report-only print the table from the run folders already in --work (no runs)
#   NTM=path      the ntm binary (default build-h8/pipeline/ntm)
#
# Stages (default config, 50 topics, hidden 100, lda decoder):
#   ntm synth --docs N --topics 50 --vocab-size 20000 --mean-length 150 --seed 1
#   mpirun -np P ntm tokenize --set vocab.mode=words
#   mpirun -np P ntm train    --set train.epochs=1
#   mpirun -np P ntm score    --methods amortized
# Every rank runs under /usr/bin/time -v: peak RSS (VmHWM) per rank, CPU seconds;
# /proc/<pid>/status is polled every 2 s for RssAnon (heap) vs RssFile (mapped
# shards: clean page cache the kernel can drop, counted in VmHWM nonetheless).
# Prints a table: wall seconds, CPU share, peak RSS per rank, and the sizes that
# should bound memory (this rank's shards, model.bin).
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
export BENCH_POLL=1  # RssAnon / RssFile of each rank, sampled every 2 s

docs=1000000; compare=250000; ranks=2; mode=words; work=/work/bench-scale; keep=0; report_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --docs) docs="$2"; shift ;;
    --compare) compare="$2"; shift ;;
    --ranks) ranks="$2"; shift ;;
    --mode) mode="$2"; shift ;;
    --work) work="$2"; shift ;;
    --keep) keep=1 ;;
    --report-only) report_only=1; keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
bench_check_ntm
mkdir -p "$work"
df -h "$work" | tail -1 | awk '{print "scratch disk: " $4 " free on " $6}'
CONFIG="$BENCH_REPO/configs/default.yaml"
input="$work/synth-$docs.jsonl"

if [[ $report_only -eq 0 && ! -s "$input" ]]; then
  echo "== ntm synth --docs $docs" >&2
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$work/synth.time" "$NTM" synth --out "$input" --docs "$docs" \
    --topics 50 --vocab-size 20000 --mean-length 150 --seed 1 >"$work/synth.log" 2>&1
  echo "synth: $(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf %.1f) s" | tee "$work/synth.summary"
fi

run_set() {  # DOCS INPUT
  local n="$1" in="$2" d="$work/run-$1"
  rm -rf "$d"; mkdir -p "$d"
  echo "== $n documents: tokenize" >&2
  bench_run "$ranks" "$d/tokenize" -- tokenize --config "$CONFIG" --input "$in" --out "$d/corpus" \
    --set vocab.mode="$mode"
  echo "== $n documents: train (1 epoch)" >&2
  bench_run "$ranks" "$d/train" -- train --config "$CONFIG" --corpus "$d/corpus" --out "$d/model" \
    --set train.epochs=1
  echo "== $n documents: score (amortized)" >&2
  bench_run "$ranks" "$d/score" -- score --config "$CONFIG" --model "$d/model" --corpus "$d/corpus" \
    --out "$d/scores" --methods amortized
}

sets=("$docs")
[[ $report_only -eq 1 ]] || run_set "$docs" "$input"
if [[ "$compare" -gt 0 ]]; then
  if [[ $report_only -eq 0 ]]; then
    head -n "$compare" "$input" >"$work/synth-first-$compare.jsonl"
    run_set "$compare" "$work/synth-first-$compare.jsonl"
  fi
  sets+=("$compare")
fi

echo
echo "ntm: $NTM ($("$NTM" version | head -1)); P=$ranks; vocab.mode=$mode; $(nproc) cores"
[[ -f "$work/synth.summary" ]] && cat "$work/synth.summary"
echo
printf "| %9s | %-8s | %8s | %9s | %-22s | %-28s | %-11s |\n" docs stage "wall s" "CPU share" "peak RSS per rank MiB" \
  "max anon/file RSS MiB" "load b/a"
printf "|%s|\n" "-----------|----------|----------|-----------|------------------------|------------------------------|-------------"
for n in "${sets[@]}"; do
  for s in tokenize train score; do
    f="$work/run-$n/$s"
    [[ -f "$f.summary" ]] || continue
    wall=$(awk '/^wall_seconds/ {print $2}' "$f.summary")
    printf "| %9s | %-8s | %8.1f | %9s | %-22s | %-28s | %-11s |\n" "$n" "$s" "$wall" \
      "$(bench_cpu_share "$f" "$ranks" "$wall")" "$(bench_rss_mib "$f")" "$(bench_poll_mib "$f")" \
      "$(awk '/^load_before/ {b=$2} /^load_after/ {a=$2} END {print b "/" a}' "$f.summary")"
  done
done
echo
echo "What memory should be bounded by:"
for n in "${sets[@]}"; do
  d="$work/run-$n"
  shards=$(du -cb "$d"/corpus/shard-*.bow | tail -1 | cut -f1)
  printf "  %9s docs: tokens %s, vocabulary %s, shards %s (%.0f MiB total, %.0f MiB per rank), model.bin %.1f MiB, input %.0f MiB\n" \
    "$n" "$(jq .tokens "$d/corpus/manifest.json")" "$(jq .vocab_size "$d/corpus/manifest.json")" \
    "$(jq '.shards | length' "$d/corpus/manifest.json")" "$(echo "$shards / 1048576" | bc -l)" \
    "$(echo "$shards / 1048576 / $ranks" | bc -l)" "$(echo "$(stat -c %s "$d/model/model.bin") / 1048576" | bc -l)" \
    "$(jq '[.inputs[].bytes] | add / 1048576' "$d/corpus/manifest.json")"
  jq -r '"  train: " + (. | tostring)' <(grep '"type":"epoch"' "$d/model/train_log.jsonl" | tail -1) 2>/dev/null || true
  jq -r '"  score amortized: " + (.methods.amortized | tostring)' "$d/scores/timings.json"
done
if [[ $keep -eq 0 ]]; then
  for n in "${sets[@]}"; do rm -rf "$work/run-$n"; done
  rm -f "$work"/synth-first-*.jsonl
  echo "outputs removed (synth input kept: $input)"
fi
