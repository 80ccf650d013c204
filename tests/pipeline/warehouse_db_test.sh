#!/usr/bin/env bash
# Notes straight from the warehouse (label db): a throwaway PostgreSQL cluster
# (tests/util/pg_cluster.sh: initdb as an unprivileged user, a free port on
# 127.0.0.1, password from PGPASSFILE only, stopped at the end even on
# failure) with the OMOP CDM v5.4 `note` table holding the bundled sample.
#   1. tokenize from the table at P = 1 and 2 equals tokenizing a JSONL export
#      of the same rows in note_id order (shards at P = 1, vocabulary, piece
#      model, and the exported bag of words at both P)
#   2. nightly score --incremental with write_results twice: the second run
#      adds nothing; the tables hold one row per note x method
#   3. a run killed inside its results transaction commits nothing; the
#      rerun completes the work
#   4. database.since/until restrict by note_date / note_datetime (score at P = 2)
#   5. bad inputs: one line naming the cause, the documented exit code,
#      nothing written (a bad row found while reading leaves the empty output
#      folder, as a bad JSONL line does), no password and no note text in
#      the message
# Usage: warehouse_db_test.sh --ntm PATH_TO_NTM
# Exits 77 (skipped) when the PostgreSQL server is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../util/pg_cluster.sh
source "$here/../util/pg_cluster.sh"

ntm=
while [[ $# -gt 0 ]]; do
  case $1 in
    --ntm) ntm=$2; shift 2 ;;
    *) echo "usage: $0 --ntm NTM" >&2; exit 64 ;;
  esac
done
[[ -x $ntm ]] || { echo "no ntm binary: $ntm" >&2; exit 64; }
ntm=$(cd "$(dirname "$ntm")" && pwd)/$(basename "$ntm")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

work=$(mktemp -d /tmp/ntm-db-test.XXXXXX)
cleanup() {
  local status=$?
  [[ $status -ne 0 && -f $work/ntm.log ]] && tail -n 40 "$work/ntm.log" >&2
  [[ -n ${locker_pid:-} ]] && kill "$locker_pid" 2>/dev/null
  pg_cluster_stop
  rm -rf "$work"
}
trap cleanup EXIT
[[ -n ${NTM_DB_TEST_KEEP:-} ]] && trap pg_cluster_stop EXIT
rc=0
pg_cluster_start || rc=$?
[[ $rc -eq 0 ]] || exit "$rc"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d cdm -c "$1"; }

uri="postgresql://ntm_admin@127.0.0.1:$PGPORT/cdm"
tok_args=(--config /dev/null --set vocab.piece_vocab_size=2000 --set tokenize.docs_per_shard=700)
mpirun_np() { mpirun --oversubscribe -np "$1" "${@:2}"; }

setup_database() {
  psql -X -q -c "CREATE DATABASE cdm"
  pg_cluster_create_note_table cdm
  pg_cluster_load_notes cdm 1 2200
  # The export a user would write today: the same rows, JSONL, note_id order.
  sql "SELECT json_build_object('id', note_id, 'text', note_text) FROM note ORDER BY note_id" \
    >"$work/notes.jsonl"
}

same_corpus() {  # $1 $2: corpus folders; $3: also byte-compare shards
  local a=$1 b=$2 f
  for f in vocab.tsv tokenizer.model; do
    cmp -s "$a/$f" "$b/$f" || { fail "$f differs: $a $b"; return; }
  done
  for f in "$a" "$b"; do
    [[ -d $f.bow ]] || "$ntm" export-bow --corpus "$f" --out "$f.bow" >>"$work/ntm.log" 2>&1
  done
  for f in bow.mtx vocab.txt doc_ids.txt; do
    cmp -s "$a.bow/$f" "$b.bow/$f" || { fail "$f of the exported corpus differs: $a $b"; return; }
  done
  if [[ ${3:-} == shards ]]; then
    for f in "$a"/shard-*.bow; do
      cmp -s "$f" "$b/$(basename "$f")" || { fail "$(basename "$f") differs: $a $b"; return; }
    done
  fi
  pass "corpus $b equals $a"
}

test_tokenize() {
  {
    "$ntm" tokenize --input "$work/notes.jsonl" --out "$work/jsonl-corpus" "${tok_args[@]}"
    "$ntm" tokenize --input "$uri" --out "$work/db-corpus-p1" "${tok_args[@]}"
    mpirun_np 2 "$ntm" tokenize --input "$uri" --out "$work/db-corpus-p2" "${tok_args[@]}"
  } 2>>"$work/ntm.log"
  same_corpus "$work/jsonl-corpus" "$work/db-corpus-p1" shards
  same_corpus "$work/jsonl-corpus" "$work/db-corpus-p2"
  grep -q ntm_admin@127.0.0.1 "$work/db-corpus-p1/run.json" || fail "run.json does not name the input"
  if grep -rqi "$(sed -n 's/.*:ntm_admin://p' "$PGPASSFILE")" "$work/db-corpus-p1" "$work/db-corpus-p2"; then
    fail "the password appears in a corpus folder"
  fi
}

train_model() {
  "$ntm" train --corpus "$work/jsonl-corpus" --out "$work/model" --config /dev/null \
    --set model.num_topics=8 --set model.hidden=32 --set train.epochs=2 2>>"$work/ntm.log"
  # shellcheck disable=SC2054  # the comma is part of the --methods value
  nightly=("$ntm" score --incremental --model "$work/model" --input "$uri" --out "$work/nightly"
    --methods amortized,refined --config /dev/null --set database.write_results=true)
}

nightly=()  # set once the model exists
score_nightly() { "${nightly[@]}"; }

expect_rows() {  # $1 what, $2 expected, $3 query
  local got
  got=$(sql "$3")
  if [[ $got == "$2" ]]; then pass "$1: $got"; else fail "$1: expected $2, got $got"; fi
}

test_nightly_twice() {
  score_nightly 2>>"$work/ntm.log" || { fail "nightly run 1 exited $?"; return; }
  local scored
  scored=$(wc -l <"$work"/nightly/2*/doc_ids.txt)
  expect_rows "note mixtures after night 1" $((2 * scored)) "SELECT count(*) FROM ntm_note_topics"
  expect_rows "topic terms" 160 "SELECT count(*) FROM ntm_topics"
  expect_rows "runs after night 1" 1 "SELECT count(*) FROM ntm_runs"
  # runs.drift_verdict holds the night's drift verdict, as summary.json has it (issue 25).
  local drifted
  drifted=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["drift"]; print(str(d["computed"] and d["drift"]).lower())' \
    "$work"/nightly/2*/summary.json)
  expect_rows "runs.drift_verdict computed" 1 \
    "SELECT count(*) FROM ntm_runs WHERE (drift_verdict::jsonb->>'computed')::boolean"
  expect_rows "runs.drift_verdict is the summary's" "$drifted" \
    "SELECT (drift_verdict::jsonb->>'drift') FROM ntm_runs"
  expect_rows "theta has K entries" 8 "SELECT DISTINCT array_length(topics, 1) FROM ntm_note_topics"
  score_nightly 2>>"$work/ntm.log" || fail "nightly run 2 exited $?"
  expect_rows "note mixtures after night 2 (nothing new)" $((2 * scored)) \
    "SELECT count(*) FROM ntm_note_topics"
  expect_rows "runs after night 2" 1 "SELECT count(*) FROM ntm_runs"
  if grep -rq "ntm_admin:" "$work/nightly"; then fail "a saved file holds the user:password form"; fi
}

# Holds a lock on the runs table so that the next run blocks inside its
# transaction, after copying the mixtures; kills it there.
test_killed_run() {
  pg_cluster_load_notes cdm 2201 300 2026-12-01
  psql -X -q -d cdm -c "BEGIN" -c "LOCK TABLE ntm_runs IN ACCESS EXCLUSIVE MODE" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
  locker_pid=$!
  until [[ $(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                  WHERE c.relname = 'ntm_runs' AND l.mode = 'AccessExclusiveLock' AND l.granted") == 1 ]]; do
    sleep 0.2
  done
  "${nightly[@]}" >"$work/killed.log" 2>&1 &
  local ntm_pid=$! waited=0
  until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ntm'
                  AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO%ntm_runs%'") == 1 ]]; do
    sleep 0.5
    waited=$((waited + 1))
    [[ $waited -lt 240 ]] || { fail "the run never reached its results insert"; break; }
  done
  kill -9 "$ntm_pid" 2>>"$work/ntm.log"
  wait "$ntm_pid" 2>>"$work/ntm.log" || true
  sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'
       AND pid <> pg_backend_pid()" >/dev/null
  wait "$locker_pid" 2>>"$work/ntm.log" || true
  locker_pid=
  until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ntm'") == 0 ]]; do
    sleep 0.2
  done
  local before
  before=$(sql "SELECT count(*) FROM ntm_note_topics")
  expect_rows "runs after the killed run" 1 "SELECT count(*) FROM ntm_runs"
  expect_rows "no mixtures of new notes after the killed run" 0 \
    "SELECT count(*) FROM ntm_note_topics WHERE note_id::int > 2200"
  score_nightly 2>>"$work/ntm.log" || fail "the rerun exited $?"
  local folder new
  folder=$(find "$work/nightly" -mindepth 1 -maxdepth 1 -name '2*' | sort | tail -n 1)
  new=$(wc -l <"$folder/doc_ids.txt")
  [[ $new -gt 250 && $new -le 300 ]] || fail "the rerun scored $new notes, expected the 300 new ones"
  expect_rows "mixtures after the rerun" $((before + 2 * new)) "SELECT count(*) FROM ntm_note_topics"
  expect_rows "runs after the rerun" 2 "SELECT count(*) FROM ntm_runs"
  score_nightly 2>>"$work/ntm.log" || fail "the night-after run exited $?"
  expect_rows "mixtures after one more run" $((before + 2 * new)) \
    "SELECT count(*) FROM ntm_note_topics"
}

test_date_restriction() {
  mpirun_np 2 "$ntm" score --model "$work/model" --input "$uri" --out "$work/since" \
    --methods amortized --config /dev/null --set database.since=2026-12-01 2>>"$work/ntm.log" ||
    fail "score since (P = 2) exited $?"
  local ids
  ids=$(awk '$1 <= 2200' "$work/since/doc_ids.txt" | wc -l)
  if [[ $ids -eq 0 && $(wc -l <"$work/since/doc_ids.txt") -gt 250 ]]; then
    pass "since=2026-12-01 reads only the new notes (P = 2)"
  else
    fail "since: $ids old notes scored"
  fi
  "$ntm" score --model "$work/model" --input "$uri" --out "$work/until" --methods amortized \
    --config /dev/null --set database.date_column=note_datetime \
    --set "database.since=2020-01-01 00:00" --set database.until=2021-01-01 2>>"$work/ntm.log" ||
    fail "score until exited $?"
  local want got
  want=$(sql "SELECT count(*) FROM note WHERE note_datetime >= '2020-01-01' AND note_datetime < '2021-01-01'")
  got=$(wc -l <"$work/until/doc_ids.txt")
  if [[ $got -le $want && $got -gt $((want - 10)) ]]; then
    pass "note_datetime in 2020: $got of $want"
  else
    fail "note_datetime in 2020: $got, table has $want"
  fi
}

# $1 name, $2 expected exit code, $3 text the message must name; the rest: ntm arguments.
expect_error() {
  local name=$1 code=$2 names=$3 out=$work/bad-$1
  shift 3
  local got=0
  "$ntm" "$@" --out "$out" 2>"$work/err" >/dev/null || got=$?
  local lines
  lines=$(grep -c . "$work/err" || true)
  if [[ $got -ne $code ]]; then
    fail "$name: exit $got, expected $code: $(cat "$work/err")"
  elif [[ $lines -ne 1 ]] || ! grep -qi -- "$names" "$work/err"; then
    fail "$name: expected one line naming '$names', got: $(cat "$work/err")"
  elif [[ -e $out && -n $(ls -A "$out") ]]; then
    fail "$name: something was written to $out"
  elif grep -q "secret-pw\|MedlinePlus\|symptoms" "$work/err"; then
    fail "$name: the message holds a password or note text"
  else
    pass "$name: exit $code, $(cat "$work/err")"
  fi
}

test_bad_inputs() {
  local closed
  closed=$(pg_cluster_free_port)
  sql "CREATE TABLE note_bad AS SELECT * FROM note WHERE note_id <= 300"
  sql "UPDATE note_bad SET note_text = NULL WHERE note_id = 17"
  sql "UPDATE note_bad SET note_id = NULL WHERE note_id = 18"
  psql -X -q -c "CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
  psql -X -q -d latin -c "CREATE TABLE note (note_id integer PRIMARY KEY, note_text text)"
  local t=(tokenize --config /dev/null --set log.level=warn)
  expect_error refused 66 "cannot connect" "${t[@]}" --input "postgresql://ntm_admin@127.0.0.1:$closed/cdm"
  expect_error no-such-database 66 "nosuchdb" "${t[@]}" --input "postgresql://ntm_admin@127.0.0.1:$PGPORT/nosuchdb"
  expect_error bad-uri 64 "not a valid PostgreSQL URI" "${t[@]}" --input "postgresql://ntm_admin@[::1/cdm"
  expect_error password-in-uri 64 "password file" "${t[@]}" --input "postgresql://ntm_admin:secret-pw@127.0.0.1:$PGPORT/cdm"
  expect_error missing-table 66 "nosuch" "${t[@]}" --input "$uri" --set database.table=nosuch
  expect_error missing-column 66 "note_txt" "${t[@]}" --input "$uri" --set database.text_column=note_txt
  expect_error null-text 65 "note_id 17" "${t[@]}" --input "$uri" --set database.table=note_bad \
    --set tokenize.on_error=fail --set vocab.mode=words --set vocab.min_df=2
  expect_error latin1 65 "LATIN1" "${t[@]}" --input "postgresql://ntm_admin@127.0.0.1:$PGPORT/latin"
  local s=(score --model "$work/model" --config /dev/null --set log.level=warn)
  expect_error score-missing-table 66 "nosuch" "${s[@]}" --input "$uri" --set database.table=nosuch
  expect_error write-without-database 64 "write_results" "${s[@]}" \
    --input "$work/notes.jsonl" --set database.write_results=true
  # Counted as today when skipped: the NULL row is a malformed record (missing_text).
  "$ntm" "${t[@]}" --input "$uri" --set database.table=note_bad --set vocab.mode=words \
    --set vocab.min_df=2 --out "$work/null-skipped" 2>>"$work/ntm.log" || fail "null-text skip exited $?"
  if python3 - "$work/null-skipped/manifest.json" <<'EOF'; then
import json, sys
m = json.load(open(sys.argv[1]))
bad = m["counters"]["malformed"]
sys.exit(0 if bad["missing_text"] == 1 and bad["missing_id"] == 1 and m["documents"]["read"] == 298 else 1)
EOF
    pass "NULL note_text and NULL note_id counted as missing_text and missing_id"
  else
    fail "NULL note_text or note_id not counted: $(head -c 600 "$work/null-skipped/manifest.json")"
  fi
}

start=$SECONDS
setup_database
test_tokenize
train_model
test_nightly_twice
test_killed_run
test_date_restriction
test_bad_inputs
echo "warehouse db test: $failures failure(s) in $((SECONDS - start)) s"
[[ $failures -eq 0 ]]
