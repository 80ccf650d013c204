# A throwaway PostgreSQL cluster for the db tests and benchmarks (sourced).
#   pg_cluster_start   initdb in a temporary folder as an unprivileged user
#                      (nobody when run as root), SCRAM password logins only,
#                      listening on a free port of 127.0.0.1 (no Unix socket),
#                      and exports PGHOST, PGPORT, PGUSER, PGPASSFILE, PGDATABASE
#                      so psql and ntm connect with no password on any command line
#   pg_cluster_stop    stops it and removes the folder (call it from an EXIT trap)
# Returns 77 (skip) when the PostgreSQL server binaries are not installed
# (jobs/setup-debian.sh installs them).
# shellcheck shell=bash

PG_CLUSTER_DIR=
PG_CLUSTER_BIN=
PG_CLUSTER_RUNAS=()

pg_cluster_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_cluster_start() {
  PG_CLUSTER_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  if [[ -z $PG_CLUSTER_BIN || ! -x $PG_CLUSTER_BIN/initdb ]]; then
    echo "pg_cluster: PostgreSQL server not installed (bash jobs/setup-debian.sh)" >&2
    return 77
  fi
  PG_CLUSTER_DIR=$(mktemp -d /tmp/ntm-pg.XXXXXX)
  chmod 755 "$PG_CLUSTER_DIR"
  if [[ $(id -u) -eq 0 ]]; then
    PG_CLUSTER_RUNAS=(runuser -u nobody --)
    mkdir "$PG_CLUSTER_DIR/data" && chown nobody "$PG_CLUSTER_DIR/data"
  fi
  local secret
  secret=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$secret" >"$PG_CLUSTER_DIR/initdb-password"
  chmod 644 "$PG_CLUSTER_DIR/initdb-password"
  "${PG_CLUSTER_RUNAS[@]}" "$PG_CLUSTER_BIN/initdb" -D "$PG_CLUSTER_DIR/data" -U ntm_admin \
    --pwfile="$PG_CLUSTER_DIR/initdb-password" --auth=scram-sha-256 -E UTF8 --locale=C \
    >"$PG_CLUSTER_DIR/initdb.log" 2>&1 || { cat "$PG_CLUSTER_DIR/initdb.log" >&2; return 1; }
  rm -f "$PG_CLUSTER_DIR/initdb-password"
  local port
  port=$(pg_cluster_free_port)
  "${PG_CLUSTER_RUNAS[@]}" "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -w -t 60 \
    -l "$PG_CLUSTER_DIR/data/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=off" \
    start >/dev/null || { cat "$PG_CLUSTER_DIR/data/server.log" >&2; return 1; }
  printf '127.0.0.1:%s:*:ntm_admin:%s\n' "$port" "$secret" >"$PG_CLUSTER_DIR/pgpass"
  chmod 600 "$PG_CLUSTER_DIR/pgpass"
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=ntm_admin PGDATABASE=postgres
  export PGPASSFILE=$PG_CLUSTER_DIR/pgpass
}

pg_cluster_stop() {
  [[ -n $PG_CLUSTER_DIR && -d $PG_CLUSTER_DIR ]] || return 0
  if [[ -f $PG_CLUSTER_DIR/data/postmaster.pid ]]; then
    "${PG_CLUSTER_RUNAS[@]}" "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate \
      -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_CLUSTER_DIR"
  PG_CLUSTER_DIR=
}

# Loads the bundled sample as OMOP CDM v5.4 `note` rows into database $1:
# note_id 1..N inserted in shuffled order, realistic dates (2019-01-01 to
# 2026-11-30), note_datetime on the same day. $2: first note_id (default 1),
# $3: how many notes (default all), $4: a fixed note_date for all (optional).
pg_cluster_load_notes() {
  local db=$1 first=${2:-1} count=${3:-0} date=${4:-} sample
  sample=$(dirname "${BASH_SOURCE[0]}")/../data/medquad-sample.jsonl.gz
  python3 - "$sample" "$first" "$count" "$date" <<'EOF' |
import csv, datetime, gzip, json, random, sys
sample, first, count, fixed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
texts = [json.loads(line)["text"] for line in gzip.open(sample, "rt", encoding="utf-8")]
if count:
    texts = (texts * (1 + count // len(texts)))[:count]
rng = random.Random(first)
rows = []
start = datetime.date(2019, 1, 1)
for i, text in enumerate(texts):
    day = datetime.date.fromisoformat(fixed) if fixed else start + datetime.timedelta(days=rng.randrange(2891))
    stamp = datetime.datetime.combine(day, datetime.time(rng.randrange(24), rng.randrange(60)))
    rows.append([first + i, rng.randrange(1, 400), day.isoformat(), stamp.isoformat(sep=" "),
                 32831, 44814637, "progress note", text, 32678, 4180186, "", "", "", "", "", ""])
rng.shuffle(rows)
csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
EOF
    psql -q -v ON_ERROR_STOP=1 -d "$db" -c "\\copy note FROM pstdin WITH (FORMAT csv, NULL '')"
}

# The OMOP CDM v5.4 `note` table (PostgreSQL DDL of the OHDSI CommonDataModel).
pg_cluster_create_note_table() {
  psql -q -v ON_ERROR_STOP=1 -d "$1" <<'EOF'
CREATE TABLE note (
  note_id integer NOT NULL,
  person_id integer NOT NULL,
  note_date date NOT NULL,
  note_datetime TIMESTAMP NULL,
  note_type_concept_id integer NOT NULL,
  note_class_concept_id integer NOT NULL,
  note_title varchar(250) NULL,
  note_text TEXT NOT NULL,
  encoding_concept_id integer NOT NULL,
  language_concept_id integer NOT NULL,
  provider_id integer NULL,
  visit_occurrence_id integer NULL,
  visit_detail_id integer NULL,
  note_source_value varchar(50) NULL,
  note_event_id integer NULL,
  note_event_field_concept_id integer NULL );
ALTER TABLE note ADD CONSTRAINT xpk_note PRIMARY KEY (note_id);
EOF
}
