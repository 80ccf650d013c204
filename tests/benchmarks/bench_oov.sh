#!/usr/bin/env bash
# Issue 13: the share of held-out tokens lost as out-of-vocabulary, per
# vocabulary setting. For each corpus, every 10th note is held out, the rest
# is tokenized at the defaults and a one-epoch model is trained (the share
# does not depend on training); the held-out notes are then scored raw
# (`ntm score --input`) and quality.json's input_term_tokens gives the share
# of their term tokens outside the vocabulary: mapped through SentencePiece
# to a vocabulary word, or dropped ("lost": what the issue asks to print).
# Settings:
#   default      vocab.mode=words, vocab.oov=pieces (shipped)
#   words+drop   vocab.mode=words, vocab.oov=drop
#   pieces       vocab.mode=pieces (its tokens are pieces; pruned pieces are lost)
#
# Usage: tests/benchmarks/bench_oov.sh [--work DIR] [CORPUS.jsonl...]
#   default corpora: ../shared/data/mtsamples.jsonl ../shared/data/medquad.jsonl
# Environment: NTM (default build/pipeline/ntm).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ntm=${NTM:-$repo/build/pipeline/ntm}
work=''
if [[ ${1:-} == --work ]]; then work=$2; shift 2; fi
corpora=("$@")
[[ ${#corpora[@]} -gt 0 ]] || corpora=("$repo/../shared/data/mtsamples.jsonl" "$repo/../shared/data/medquad.jsonl")
[[ -n $work ]] || work=$(mktemp -d)
mkdir -p "$work"
config=(--config "$repo/configs/default.yaml")
settings=("default|" "words+drop|--set vocab.oov=drop" "pieces|--set vocab.mode=pieces")

share() {  # FILE KEY: "lost %  mapped %  outside %  tokens" from a term_tokens block
  python3 - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))[sys.argv[2]]
pct = lambda n: 100.0 * n / max(1, t["total"])
print(f'{pct(t["dropped"]):6.2f} % {pct(t["mapped_through_pieces"]):7.2f} % '
      f'{100 * t["oov_share"]:8.2f} % {t["total"]:>9}')
PY
}

echo "held-out notes (every 10th), raw through ntm score --input; lost = dropped as out of vocabulary"
printf '%-10s %-11s %8s %9s %10s %9s   %s\n' corpus setting lost mapped outside tokens "(training corpus: lost mapped outside tokens)"
for corpus in "${corpora[@]}"; do
  name=$(basename "$corpus" .jsonl)
  awk -v d="$work/$name" 'NR % 10 == 0 { print > (d "-held.jsonl"); next } { print > (d "-train.jsonl") }' "$corpus"
  for s in "${settings[@]}"; do
    label=${s%%|*}
    read -r -a sets <<<"${s#*|}"
    run=$work/$name-$label
    rm -rf "$run"
    "$ntm" tokenize "${config[@]}" --input "$work/$name-train.jsonl" --out "$run/corpus" "${sets[@]}" \
      --set log.level=warn
    "$ntm" train "${config[@]}" --corpus "$run/corpus" --out "$run/model" --set train.epochs=1 \
      --set model.num_topics=10 --set log.level=warn
    "$ntm" score "${config[@]}" --model "$run/model" --input "$work/$name-held.jsonl" \
      --out "$run/scores" --methods amortized --set log.level=warn
    printf '%-10s %-11s %s   (%s)\n' "$name" "$label" "$(share "$run/scores/quality.json" input_term_tokens)" \
      "$(share "$run/corpus/manifest.json" term_tokens)"
  done
done
