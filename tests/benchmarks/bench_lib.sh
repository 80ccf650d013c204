# Shared helpers of the bench_*.sh scripts (sourced, not run).
#
#   NTM        the ntm binary         (default: <repo>/build-h8/pipeline/ntm)
#   MPIRUN     the launcher           (default: mpirun --oversubscribe --allow-run-as-root)
#
# Every rank runs under `/usr/bin/time -v` through a tiny wrapper, so each rank's
# peak RSS (VmHWM), user and system CPU seconds are recorded in
# <prefix>.rank<R>.time. The wall time is measured around mpirun (it includes
# MPI start-up, ~0.3 s). /proc/loadavg is recorded before and after each run:
# on a shared machine compare alternatives in the same run and report ratios.

BENCH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NTM="${NTM:-$BENCH_REPO/build-h8/pipeline/ntm}"
MPIRUN="${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}"

bench_check_ntm() {
  if [[ ! -x "$NTM" ]]; then
    echo "ntm binary not found: $NTM (build it, or set NTM=...)" >&2
    exit 66
  fi
}

# The wrapper each rank runs: /usr/bin/time -v -o PREFIX.rankR.time ntm ARGS...
bench_write_wrapper() {  # DIR
  cat >"$1/rank-time.sh" <<'EOF'
#!/bin/bash
prefix="$1"; shift
exec /usr/bin/time -v -o "$prefix.rank${OMPI_COMM_WORLD_RANK:-0}.time" "$@"
EOF
  chmod +x "$1/rank-time.sh"
}

# bench_run P PREFIX -- ntm arguments...
# Runs `ntm ARGS` on P ranks; sets BENCH_WALL (s), BENCH_LOAD_BEFORE/AFTER,
# and writes PREFIX.log, PREFIX.rank*.time, PREFIX.summary.
bench_run() {
  local p="$1" prefix="$2"
  shift 3
  bench_write_wrapper "$(dirname "$prefix")"
  BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  local t0 t1 rc=0
  local poller=""
  if [[ "${BENCH_POLL:-0}" == 1 ]]; then
    bench_poll "$prefix" &
    poller=$!
  fi
  t0=$(date +%s.%N)
  $MPIRUN -np "$p" "$(dirname "$prefix")/rank-time.sh" "$prefix" "$NTM" "$@" >"$prefix.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  [[ -n "$poller" ]] && kill "$poller" 2>/dev/null && wait "$poller" 2>/dev/null || true
  BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
  BENCH_WALL=$(echo "$t1 - $t0" | bc -l)
  if [[ $rc -ne 0 ]]; then
    echo "FAILED (exit $rc): ntm $* on $p rank(s); log: $prefix.log" >&2
    tail -5 "$prefix.log" >&2
    exit $rc
  fi
  {
    echo "wall_seconds $BENCH_WALL"
    echo "load_before $BENCH_LOAD_BEFORE"
    echo "load_after $BENCH_LOAD_AFTER"
  } >"$prefix.summary"
}

# BENCH_POLL=1: every 2 s, read RssAnon (heap: model, tables, buffers) and RssFile
# (mapped shards, binary) of each rank from /proc/<pid>/status into PREFIX.poll
# ("pid anon_kB file_kB" lines). Ranks are the children of the /usr/bin/time
# processes whose command line names PREFIX.
bench_poll() {  # PREFIX
  local t pid
  while sleep 2; do
    for t in $(pgrep -f -- "-o $1.rank"); do
      for pid in $(pgrep -P "$t"); do
        awk -v pid="$pid" '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {if (a != "") print pid, a, f}' \
          "/proc/$pid/status" 2>/dev/null
      done
    done >>"$1.poll"
  done
}

# Max RssAnon / RssFile per rank process from PREFIX.poll, in MiB: "anon/file,anon/file"
# (in pid order, which is rank order for mpirun on one node).
bench_poll_mib() {  # PREFIX
  [[ -s "$1.poll" ]] || { echo "n/a"; return; }
  awk '{if ($2 > a[$1]) a[$1] = $2; if ($3 > f[$1]) f[$1] = $3}
       END {for (p in a) printf "%d %.0f/%.0f\n", p, a[p]/1024, f[p]/1024}' "$1.poll" |
    sort -n | awk '{printf "%s%s", (NR > 1 ? "," : ""), $2} END {print ""}'
}

# Peak RSS of each rank in MiB, comma separated.
bench_rss_mib() {  # PREFIX
  local f out=""
  for f in "$1".rank*.time; do
    out+="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$f"),"
  done
  echo "${out%,}"
}

# Sum over ranks of user+system CPU seconds.
bench_cpu_seconds() {  # PREFIX
  cat "$1".rank*.time | awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}'
}

# CPU share we actually got: (user+sys) / (wall * P). Near 1: the cores were ours;
# well below 1 with a high load average: other jobs took them (or the stage waited on I/O).
bench_cpu_share() {  # PREFIX P WALL
  echo "$(bench_cpu_seconds "$1") / ($3 * $2)" | bc -l | xargs printf "%.2f"
}

bench_fmt() { printf "%.${2:-2}f" "$1"; }

bench_json() {  # FILE JQ-EXPRESSION
  jq -r "$2" "$1"
}
