#!/bin/bash
# bench_tokenize.sh — throughput and memory of the whole `ntm tokenize` stage,
# next to `spm_encode` (Debian `sentencepiece`) alone on the same text.
#
# Usage:
#   bash tests/benchmarks/bench_tokenize.sh [--big] [--big-ranks "2"] [--variants] [--mb 100]
#                                           [--work DIR] [--keep]
#
#   --big        also build a >= 1 GB input and tokenize it (P from --big-ranks,
#                default 2) to compare peak RSS per rank at 100 MB vs 1 GB
#   --work DIR   scratch folder (default: a new mktemp -d under $TMPDIR or /tmp);
#                inputs are never written inside the repository
#   --keep       keep the scratch folder
#   --mb N       size of the small input in MB (default 100; smaller for a smoke run)
#   --variants   also P=1 with vocab.sample_docs=2000 and with vocab.mode=words, to
#                separate the SentencePiece training (rank 0, serial) from the rest
#   NTM=path     the ntm binary (default build-h8/pipeline/ntm)
#
# Input: ../shared/data/mtsamples.jsonl repeated until >= 100 MB (1 GB with --big),
# ids made unique per copy ("<id>-copyN"). texts-*.txt holds the same texts one
# per line (newlines -> spaces) for spm_encode.
#
# Measures, in one run: ntm tokenize (default config: SentencePiece unigram,
# 8000 pieces, trained on a 20k-document sample) at P = 1 and P = 2 — wall time,
# MB/s, tokens/s per rank (tokens from manifest.json), CPU seconds, peak RSS per
# rank — then `spm_encode --output_format=piece` with the tokenizer.model that
# ntm produced, single process, on the texts. The ratio is the per-core
# throughput of the whole stage over spm_encode's:
#   wall-based  = t_spm / (P * t_stage)      (noisy on a shared machine)
#   cpu-based   = cpu_spm / cpu_stage(all ranks)
# Target: >= 1.5.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"

big=0; big_ranks="2"; work=""; keep=0; mb=100; variants=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --big) big=1 ;;
    --big-ranks) big_ranks="$2"; shift ;;
    --work) work="$2"; shift ;;
    --keep) keep=1 ;;
    --mb) mb="$2"; shift ;;
    --variants) variants=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
bench_check_ntm
command -v spm_encode >/dev/null || { echo "spm_encode missing: apt-get install sentencepiece" >&2; exit 69; }
SRC="$BENCH_REPO/../shared/data/mtsamples.jsonl"
[[ -r "$SRC" ]] || { echo "missing $SRC" >&2; exit 66; }
if [[ -z "$work" ]]; then work="$(mktemp -d "${TMPDIR:-/tmp}/bench-tokenize.XXXXXX")"; fi
mkdir -p "$work"
[[ $keep -eq 1 ]] || trap 'rm -rf "$work"' EXIT
CONFIG="$BENCH_REPO/configs/default.yaml"

# make_input TARGET_BYTES NAME: NAME.jsonl and NAME.texts.txt
make_input() {
  [[ -s "$work/$2.jsonl" ]] && return
  python3 - "$SRC" "$1" "$work/$2.jsonl" "$work/$2.texts.txt" <<'EOF'
import json, sys
src, target, out_jsonl, out_txt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
records = [json.loads(l) for l in open(src, encoding="utf-8") if l.strip()]
written, copy = 0, 0
with open(out_jsonl, "w", encoding="utf-8") as j, open(out_txt, "w", encoding="utf-8") as t:
    while written < target:
        lines, texts = [], []
        for r in records:
            r2 = dict(r); r2["id"] = f"{r['id']}-copy{copy}"
            lines.append(json.dumps(r2, ensure_ascii=False))
            texts.append(" ".join(str(r.get("text", "")).split()))
        block = "\n".join(lines) + "\n"
        j.write(block); t.write("\n".join(texts) + "\n")
        written += len(block.encode("utf-8")); copy += 1
print(f"{out_jsonl}: {copy} copies, {written} bytes", file=sys.stderr)
EOF
}

declare -A WALL CPU RSS TOK LOADB LOADA SHARE
stage() {  # NAME P [TAG --set k=v ...]: key NAME.P[.TAG]
  local name="$1" p="$2" tag="${3:-}"
  shift 2; [[ $# -gt 0 ]] && shift
  local k="$name.$p${tag:+.$tag}" out="$work/corpus-$name-p$p${tag:+-$tag}" prefix="$work/tok-$name-p$p${tag:+-$tag}"
  rm -rf "$out"
  echo "== ntm tokenize $name P=$p $*" >&2
  bench_run "$p" "$prefix" -- tokenize --config "$CONFIG" --input "$work/$name.jsonl" --out "$out" "$@"
  WALL[$k]=$BENCH_WALL
  CPU[$k]=$(bench_cpu_seconds "$prefix")
  SHARE[$k]=$(bench_cpu_share "$prefix" "$p" "$BENCH_WALL")
  RSS[$k]=$(bench_rss_mib "$prefix")
  TOK[$k]=$(jq -r .tokens "$out/manifest.json")
  LOADB[$k]=$BENCH_LOAD_BEFORE; LOADA[$k]=$BENCH_LOAD_AFTER
}

make_input $((mb * 1000000)) in100
IN_MB=$(echo "$(stat -c %s "$work/in100.jsonl") / 1000000" | bc -l)
TXT_MB=$(echo "$(stat -c %s "$work/in100.texts.txt") / 1000000" | bc -l)
stage in100 1
stage in100 2

echo "== spm_encode (tokenizer.model from the P=1 run)" >&2
load_b=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
/usr/bin/time -v -o "$work/spm.time" spm_encode --model "$work/corpus-in100-p1/tokenizer.model" \
  --output_format=piece --input "$work/in100.texts.txt" --output "$work/spm.out"
t1=$(date +%s.%N)
load_a=$(cut -d' ' -f1-3 /proc/loadavg)
SPM_WALL=$(echo "$t1 - $t0" | bc -l)
SPM_CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/spm.time")
SPM_RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/spm.time")
SPM_TOK=$(wc -w <"$work/spm.out")
rm -f "$work/spm.out"

if [[ $variants -eq 1 ]]; then
  stage in100 1 sample2000 --set vocab.sample_docs=2000
  stage in100 1 words --set vocab.mode=words
fi
if [[ $big -eq 1 ]]; then
  make_input 1000000000 in1000
  BIG_MB=$(echo "$(stat -c %s "$work/in1000.jsonl") / 1000000" | bc -l)
  for p in $big_ranks; do stage in1000 "$p"; done
fi

echo
echo "ntm: $NTM ($("$NTM" version | head -1))"
echo "input: $(bench_fmt "$IN_MB" 1) MB JSONL ($(bench_fmt "$TXT_MB" 1) MB of text), $(nproc) cores"
echo
printf "| %-22s | %7s | %7s | %8s | %12s | %15s | %7s | %9s | %14s | %-16s |\n" \
  run "MB in" "wall s" "MB/s" "MB/s per rank" "tokens/s per rank" "CPU s" "CPU share" "peak RSS MiB" "load before/after"
printf "|%s|\n" "------------------------|---------|---------|----------|--------------|-----------------|---------|-----------|----------------|------------------"
row() {  # NAME P MB [TAG]
  local k="$1.$2${4:+.$4}" mbps
  mbps=$(echo "$3 / ${WALL[$k]}" | bc -l)
  printf "| %-22s | %7.1f | %7.1f | %8.2f | %12.2f | %15.0f | %7.1f | %9s | %14s | %-16s |\n" \
    "ntm tokenize $1 P=$2${4:+ $4}" "$3" "${WALL[$k]}" "$mbps" "$(echo "$mbps / $2" | bc -l)" \
    "$(echo "${TOK[$k]} / ${WALL[$k]} / $2" | bc -l)" "${CPU[$k]}" "${SHARE[$k]}" "${RSS[$k]}" \
    "${LOADB[$k]%% *} / ${LOADA[$k]%% *}"
}
row in100 1 "$IN_MB"
row in100 2 "$IN_MB"
printf "| %-22s | %7.1f | %7.1f | %8.2f | %12.2f | %15.0f | %7.1f | %9s | %14s | %-16s |\n" \
  "spm_encode (1 process)" "$TXT_MB" "$SPM_WALL" "$(echo "$TXT_MB / $SPM_WALL" | bc -l)" \
  "$(echo "$TXT_MB / $SPM_WALL" | bc -l)" "$(echo "$SPM_TOK / $SPM_WALL" | bc -l)" "$SPM_CPU" \
  "$(echo "$SPM_CPU / $SPM_WALL" | bc -l | xargs printf %.2f)" "$SPM_RSS" "${load_b%% *} / ${load_a%% *}"
if [[ $variants -eq 1 ]]; then row in100 1 "$IN_MB" sample2000; row in100 1 "$IN_MB" words; fi
if [[ $big -eq 1 ]]; then for p in $big_ranks; do row in1000 "$p" "$BIG_MB"; done; fi
echo
echo "spm_encode pieces: $SPM_TOK; ntm tokens kept in shards (after stop words and vocabulary pruning): ${TOK[in100.1]}"
echo
echo "Per-core throughput, whole ntm tokenize stage / spm_encode alone (target >= 1.5):"
for p in 1 2; do
  k="in100.$p"
  printf "  P=%d  wall-based %.2f   cpu-based %.2f\n" "$p" \
    "$(echo "$SPM_WALL / ($p * ${WALL[$k]})" | bc -l)" "$(echo "$SPM_CPU / ${CPU[$k]}" | bc -l)"
done
if [[ $variants -eq 1 ]]; then
  for v in sample2000 words; do
    printf "  P=1 %-10s wall-based %.2f   cpu-based %.2f\n" "$v" \
      "$(echo "$SPM_WALL / ${WALL[in100.1.$v]}" | bc -l)" "$(echo "$SPM_CPU / ${CPU[in100.1.$v]}" | bc -l)"
  done
  printf "  SentencePiece training share of the P=1 stage (CPU): %.0f%%\n" \
    "$(echo "100 * (${CPU[in100.1]} - ${CPU[in100.1.sample2000]}) / ${CPU[in100.1]}" | bc -l)"
fi
printf "  speedup P=2 over P=1: %.2f\n" "$(echo "${WALL[in100.1]} / ${WALL[in100.2]}" | bc -l)"
if [[ $big -eq 1 ]]; then
  for p in $big_ranks; do
    echo "Peak RSS per rank P=$p: 100 MB input ${RSS[in100.$p]:-n/a} MiB, 1 GB input ${RSS[in1000.$p]} MiB"
  done
fi
echo "scratch: $work$([[ $keep -eq 1 ]] || echo ' (removed on exit; --keep to keep)')"
