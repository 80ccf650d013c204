#!/bin/bash
# bench_db.sh — `ntm tokenize` from a PostgreSQL table against the same notes
# exported to JSONL in note_id order, same run, same machine (issue 16: the
# database path must stay within 1.5x of the JSONL path).
#
# Usage:
#   bash tests/benchmarks/bench_db.sh [--mb 50] [--ranks "1 2"] [--keep]
#
#   --mb N       notes to load, in MB of text (default 50): ../shared/data/mtsamples.jsonl
#                repeated (the bundled sample when that is missing), note_id 1..N
#   --ranks "P…" rank counts to measure (default "1 2")
#   --keep       keep the scratch folder
#   NTM=path     the ntm binary (default build-h8/pipeline/ntm)
#
# A throwaway cluster (tests/util/pg_cluster.sh) on 127.0.0.1 holds the OMOP
# CDM note table. For each P it runs, alternating, ntm tokenize on the JSONL
# export and on the table (default config), and prints wall and CPU seconds
# (all ranks) of both and their ratio (database / JSONL). Both corpora are
# checked to be the same (vocab.tsv and bow export).
set -euo pipefail
# shellcheck source=SCRIPTDIR/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
# shellcheck source=SCRIPTDIR/../util/pg_cluster.sh
source "$BENCH_REPO/tests/util/pg_cluster.sh"

mb=50; ranks="1 2"; keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mb) mb="$2"; shift ;;
    --ranks) ranks="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
bench_check_ntm
work="$(mktemp -d "${TMPDIR:-/tmp}/bench-db.XXXXXX")"
finish() {
  pg_cluster_stop
  [[ $keep -eq 1 ]] || rm -rf "$work"
}
trap finish EXIT
pg_cluster_start

src="$BENCH_REPO/../shared/data/mtsamples.jsonl"
[[ -r $src ]] || src="$BENCH_REPO/tests/data/medquad-sample.jsonl.gz"
psql -X -q -c "CREATE DATABASE cdm"
pg_cluster_create_note_table cdm
echo "== loading $mb MB of notes from $src" >&2
python3 - "$src" $((mb * 1000000)) <<'EOF' | psql -X -q -v ON_ERROR_STOP=1 -d cdm -c "\\copy note FROM pstdin WITH (FORMAT csv, NULL '')"
import csv, datetime, gzip, json, random, sys
src, target = sys.argv[1], int(sys.argv[2])
opener = gzip.open if src.endswith(".gz") else open
texts = [json.loads(l)["text"] for l in opener(src, "rt", encoding="utf-8") if l.strip()]
rng, out, size, i = random.Random(1), csv.writer(sys.stdout, lineterminator="\n"), 0, 0
while size < target:
    text = texts[i % len(texts)]
    day = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randrange(2891))
    out.writerow([i + 1, rng.randrange(1, 5000), day, f"{day} 08:00:00", 32831, 44814637, "",
                  text, 32678, 4180186, "", "", "", "", "", ""])
    size += len(text.encode("utf-8"))
    i += 1
EOF
psql -X -q -d cdm -c "VACUUM ANALYZE note"
psql -X -At -d cdm -c "SELECT json_build_object('id', note_id, 'text', note_text) FROM note ORDER BY note_id" \
  >"$work/notes.jsonl"
uri="postgresql://$PGUSER@127.0.0.1:$PGPORT/cdm"
notes=$(wc -l <"$work/notes.jsonl")
echo "== $notes notes, $(($(stat -c %s "$work/notes.jsonl") / 1000000)) MB of JSONL" >&2

run() {  # NAME P INPUT
  local out="$work/corpus-$1-p$2"
  rm -rf "$out" "$out.bow"
  bench_run "$2" "$work/tok-$1-p$2" -- tokenize --config /dev/null --input "$3" --out "$out"
  WALL=$BENCH_WALL
  CPU=$(bench_cpu_seconds "$work/tok-$1-p$2")
  "$NTM" export-bow --corpus "$out" --out "$out.bow" >/dev/null 2>&1
}

printf '%-3s %12s %12s %12s %12s %8s %8s  %s\n' P jsonl_wall_s db_wall_s jsonl_cpu_s db_cpu_s wall_x cpu_x same
for p in $ranks; do
  run jsonl "$p" "$work/notes.jsonl"; jw=$WALL jc=$CPU
  run db "$p" "$uri"; dw=$WALL dc=$CPU
  same=yes
  for f in bow.mtx doc_ids.txt vocab.txt; do
    cmp -s "$work/corpus-jsonl-p$p.bow/$f" "$work/corpus-db-p$p.bow/$f" || same=NO
  done
  printf '%-3s %12.2f %12.2f %12.2f %12.2f %8.2f %8.2f  %s\n' "$p" "$jw" "$dw" "$jc" "$dc" \
    "$(echo "$dw / $jw" | bc -l)" "$(echo "$dc / $jc" | bc -l)" "$same"
done
echo "(ratio = database / JSONL; target <= 1.5; load $(cut -d' ' -f1-3 /proc/loadavg))"
