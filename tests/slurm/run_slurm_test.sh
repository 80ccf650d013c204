#!/usr/bin/env bash
# Runs the Slurm jobs of jobs/slurm/ on a throw-away single-node Slurm cluster
# started on this machine, and checks that every job completes.
#
# Usage: tests/slurm/run_slurm_test.sh [--ntm PATH] [--smoke] [options]
#   --ntm PATH       the ntm binary (default: $NTM_BIN, else <repo>/build/pipeline/ntm)
#   --smoke          harness self-check, independent of the unfinished stages: srun/MPI
#                    probes and a dependency chain, a failing job and its cancelled
#                    dependent, the whole jobs/slurm/pipeline.sh chain with a stand-in
#                    ntm (tests/slurm/fake_ntm.sh) on two inputs, SIGTERM-requeue-resume
#                    of train.sbatch under srun and under mpirun, nightly.sbatch, and
#                    the #SBATCH/#SCRON lines (sbatch --test-only; scrontab if present).
#                    Default (full): srun/MPI probe, SIGTERM-requeue-resume (srun, stand-in),
#                    jobs/slurm/pipeline.sh with the real ntm on the bundled sample,
#                    nightly.sbatch twice (--incremental), and the real `ntm train`
#                    stopped by its time limit, requeued and resumed.
#   --config FILE    config for the full chain (default configs/demo.yaml)
#   --input PATH     input for the full chain; repeatable (default
#                    tests/data/medquad-sample.jsonl.gz)
#   --ranks N        MPI ranks per job (default 2)
#   --timeout SEC    overall limit for the whole test (default 1200)
#   --keep           keep the temp folder (configs, daemon and job logs, outputs)
#   --no-install     do not apt-get install slurm-wlm/munge when they are missing
# What it does: installs Debian's slurm-wlm and munge if missing (needs root and
#   the Debian archive), starts a private munged (own key and socket), writes a
#   slurm.conf for one node (this host, sized by `slurmd -C`; select/cons_tres,
#   proctrack/linuxproc, task/none, no cgroups, no accounting; template
#   tests/slurm/slurm.conf.in) on free ports, starts slurmctld and slurmd in the
#   background (no systemd), waits for the node to be idle, runs the jobs, waits
#   for them with `scontrol show job` (no accounting database) and checks states,
#   exit codes and outputs. On exit (success, failure or signal) it cancels its
#   jobs, stops its daemons by pid and removes its temp folder. The system's
#   /etc/slurm and /etc/munge are not used or changed.
# Exit codes: 0 every check passed; 1 a job failed or an expected output is missing;
#   64 usage; 69 the cluster could not be set up or started (packages, munge,
#   slurmctld, slurmd, node not idle within 60 s); 124 the overall timeout expired.
# Environment: NTM_SLURM_TEST_TMP (parent of the temp folder, default /tmp).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

ntm=${NTM_BIN:-$repo/build/pipeline/ntm}
mode=full
config=$repo/configs/demo.yaml
inputs=()
ranks=2
timeout=1200
keep=0
install=1
usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$here/run_slurm_test.sh" >&2
  exit 64
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --ntm) ntm=${2:?--ntm needs a path}; shift 2 ;;
    --smoke) mode=smoke; shift ;;
    --config) config=${2:?}; shift 2 ;;
    --input) inputs+=("${2:?}"); shift 2 ;;
    --ranks) ranks=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-install) install=0; shift ;;
    -h | --help) usage ;;
    *) echo "run_slurm_test: unknown argument $1" >&2; usage ;;
  esac
done
[[ ${#inputs[@]} -gt 0 ]] || inputs=("$repo/tests/data/medquad-sample.jsonl.gz")
abs() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
ntm=$(abs "$ntm")
config=$(abs "$config")
for i in "${!inputs[@]}"; do inputs[i]=$(abs "${inputs[i]}"); done

# ntm_part_name (the score sub-folder of each input) comes from the jobs' helpers
# (sourcing also sets a TERM trap; the test sets its own traps below).
# shellcheck source=SCRIPTDIR/../../jobs/slurm/common.sh
source "$repo/jobs/slurm/common.sh"

readonly EXIT_JOB=1 EXIT_USAGE=64 EXIT_CLUSTER=69 EXIT_TIMEOUT=124
start_time=$SECONDS
deadline=$((SECONDS + timeout))
say() { printf '[slurm-test %4ds] %s\n' "$((SECONDS - start_time))" "$*"; }
fail() {
  local code=$1
  shift
  say "FAIL: $*" >&2
  exit "$code"
}
[[ -x $ntm ]] || fail $EXIT_USAGE "ntm binary not found: $ntm (build it, or pass --ntm)"
[[ $(id -u) -eq 0 ]] || fail $EXIT_CLUSTER "must run as root (starts slurmctld/slurmd as SlurmUser=root)"

# ---------------------------------------------------------------- packages
install_packages() {
  local missing=0 cmd
  for cmd in slurmctld slurmd sbatch srun scontrol munged mungekey; do
    command -v "$cmd" >/dev/null || missing=1
  done
  [[ $missing == 1 ]] || return 0
  [[ $install == 1 ]] || fail $EXIT_CLUSTER "slurm-wlm/munge missing and --no-install given"
  say "installing slurm-wlm and munge (apt-get)"
  # Keep the packages' maintainer scripts from starting the system services
  # (no init system here; a failed start would fail the install).
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge
  } >"${TMPDIR:-/tmp}/ntm-slurm-apt.log" 2>&1 || rc=$?
  [[ $made_policy == 1 ]] && rm -f "$policy"
  if [[ $rc -ne 0 ]]; then
    tail -n 20 "${TMPDIR:-/tmp}/ntm-slurm-apt.log" >&2
    fail $EXIT_CLUSTER "apt-get install slurm-wlm munge failed"
  fi
}

# ---------------------------------------------------------------- cleanup
tmp_parent=${NTM_SLURM_TEST_TMP:-/tmp}
tmp=''
pids_file=''
cluster_up=0
# Daemons of an earlier run that was killed before its own cleanup (e.g. a
# CTest timeout): stop them by the pids that run recorded, then drop its folder.
# A folder whose test process (file owner) still runs is left alone.
reap_stale() {
  local dir pid comm owner
  for dir in "$tmp_parent"/ntm-slurm-test.*; do
    [[ -f $dir/pids ]] || continue
    owner=$(cat "$dir/owner" 2>/dev/null || true)
    if [[ -n $owner && -d /proc/$owner && $(tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null) == *run_slurm_test* ]]; then
      say "note: another run_slurm_test (pid $owner) is running ($dir)"
      continue
    fi
    while read -r pid comm; do
      [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || continue
      say "stopping $comm (pid $pid) left by an earlier run ($dir)"
      kill -TERM "$pid" 2>/dev/null || true
    done <"$dir/pids"
    sleep 1
    rm -rf "$dir"
  done
}
record_pid() { echo "$1 $2" >>"$pids_file"; }

stop_pid() { # pid name: TERM, up to 10 s, then KILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  say "$name (pid $pid) did not stop; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? ids i pid comm
  trap - EXIT INT TERM
  set +e
  if [[ $cluster_up == 1 ]]; then
    ids=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [[ -n $ids ]]; then
      say "cancelling jobs still queued: $(echo "$ids" | tr '\n' ' ')"
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null
      for i in $(seq 1 30); do
        [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
        sleep 1
      done
    fi
  fi
  if [[ -n $pids_file && -f $pids_file ]]; then
    # slurmd first, then slurmctld, then munged (reverse start order).
    tac "$pids_file" | while read -r pid comm; do
      [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] && stop_pid "$pid" "$comm"
    done
  fi
  if [[ -n $tmp && -d $tmp ]]; then
    if [[ $keep == 1 ]]; then
      say "kept $tmp"
      rm -f "$tmp/pids"
    else
      rm -rf "$tmp"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- cluster
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_ports() {
  local p
  for p in $(seq 16817 2 16917); do
    if port_free "$p" && port_free $((p + 1)); then
      ctld_port=$p slurmd_port=$((p + 1))
      return 0
    fi
  done
  fail $EXIT_CLUSTER "no free pair of TCP ports in 16817-16918"
}

show_daemon_logs() {
  local f
  for f in "$tmp"/log/munged.log "$tmp"/log/slurmctld.log "$tmp"/log/slurmd.log "$tmp"/log/*.out; do
    [[ -s $f ]] || continue
    echo "---- last lines of $(basename "$f")" >&2
    tail -n 15 "$f" >&2
  done
}
cluster_fail() {
  show_daemon_logs
  fail $EXIT_CLUSTER "$*"
}

start_cluster() {
  local host hw i state
  tmp=$(mktemp -d "$tmp_parent/ntm-slurm-test.XXXXXX")
  chmod 755 "$tmp" # munged wants every directory above its socket searchable
  pids_file=$tmp/pids
  : >"$pids_file"
  echo $$ >"$tmp/owner"
  mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/jobs"
  chmod 755 "$tmp/munge"
  host=$(hostname -s)
  hw=$(slurmd -C 2>/dev/null | sed -n '1s/^NodeName=[^ ]* //p')
  [[ $hw == *CPUs=* ]] || cluster_fail "slurmd -C did not describe this node"
  mkdir -p "$tmp/spool/slurmd-$host"
  pick_ports

  # munge: a private daemon with its own key, so neither the system key nor a
  # system munged is needed or touched.
  mungekey --create --keyfile="$tmp/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 status=none
  chmod 600 "$tmp/munge/munge.key"
  munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.sock" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
    --seed-file="$tmp/munge/munged.seed" || cluster_fail "munged did not start"
  record_pid "$(cat "$tmp/munge/munged.pid")" munged
  munge -S "$tmp/munge/munge.sock" -n </dev/null | unmunge -S "$tmp/munge/munge.sock" >/dev/null 2>&1 ||
    cluster_fail "munge credential round trip failed"

  sed -e "s|@DIR@|$tmp|g" -e "s|@HOST@|$host|g" -e "s|@CTLD_PORT@|$ctld_port|g" \
    -e "s|@SLURMD_PORT@|$slurmd_port|g" -e "s|@MPI_DEFAULT@|none|g" -e "s|@NODE_HW@|$hw|g" \
    "$here/slurm.conf.in" >"$tmp/slurm.conf"
  export SLURM_CONF=$tmp/slurm.conf
  # Do not let the caller's Slurm environment leak into our jobs.
  unset SLURM_JOB_ID SLURM_JOBID SLURM_NTASKS SLURM_ARRAY_TASK_ID

  slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
  record_pid $! slurmctld
  # slurmd waits for slurmctld to answer, so start it once the port is open.
  for i in $(seq 1 40); do
    port_free "$ctld_port" || break
    sleep 0.5
  done
  port_free "$ctld_port" && cluster_fail "slurmctld did not open port $ctld_port"
  slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
  record_pid $! slurmd
  cluster_up=1

  say "waiting (<= 60 s) for node $host to be idle (slurmctld :$ctld_port, slurmd :$slurmd_port)"
  state=''
  for i in $(seq 1 60); do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -1)
    [[ $state == idle ]] && break
    sleep 1
  done
  [[ $state == idle ]] || cluster_fail "node $host not idle after 60 s (state: ${state:-none})"
  say "cluster up: $(sinfo -h -N -o '%N %T %c CPUs %m MB' | head -1); $(sinfo -V)"
}

# ---------------------------------------------------------------- jobs
# Terminal or not, and how a job (all tasks of an array) ended. Sets job_state
# (the first state other than COMPLETED over the tasks), job_exit, job_restarts.
read_job() {
  local id=$1 line st
  job_state='' job_exit='' job_restarts=0
  local lines
  lines=$(scontrol show job -o "$id" 2>/dev/null) || { job_state=UNKNOWN; return 0; }
  while read -r line; do
    [[ -n $line ]] || continue
    st=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")
    local reason exit restarts
    reason=$(sed -n 's/.* Reason=\([^ ]*\).*/\1/p' <<<"$line")
    exit=$(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<<"$line")
    restarts=$(sed -n 's/.* Restarts=\([0-9]*\).*/\1/p' <<<"$line")
    [[ ${restarts:-0} -gt $job_restarts ]] && job_restarts=$restarts
    if [[ $st == PENDING && $reason == DependencyNeverSatisfied ]]; then st=DEPENDENCY_NEVER_SATISFIED; fi
    # Keep the first non-COMPLETED state so one failed array task shows.
    if [[ -z $job_state || $job_state == COMPLETED ]]; then
      job_state=$st job_exit=$exit
    fi
  done <<<"$lines"
}
terminal() {
  case $1 in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | \
      PREEMPTED | DEPENDENCY_NEVER_SATISFIED | UNKNOWN) return 0 ;;
    *) return 1 ;;
  esac
}
# wait_jobs ID...: waits until every job is terminal (bounded by the overall deadline).
wait_jobs() {
  local id all last_print=-100 status
  while :; do
    all=1 status=''
    for id in "$@"; do
      read_job "$id"
      status+=" $id:$job_state"
      terminal "$job_state" || all=0
    done
    [[ $all == 1 ]] && return 0
    if [[ $SECONDS -ge $deadline ]]; then
      say "overall timeout (${timeout}s) while waiting for:$status"
      summary "$@"
      exit $EXIT_TIMEOUT
    fi
    if ((SECONDS - last_print >= 30)); then
      say "waiting:$status"
      last_print=$SECONDS
    fi
    sleep 2
  done
}
summary() {
  local id
  printf '  %-8s %-16s %-28s %-6s %s\n' JOB NAME STATE EXIT RESTARTS
  for id in "$@"; do
    read_job "$id"
    printf '  %-8s %-16s %-28s %-6s %s\n' "$id" \
      "$(scontrol show job -o "$id" 2>/dev/null | head -1 | sed -n 's/.* JobName=\([^ ]*\).*/\1/p')" \
      "$job_state" "$job_exit" "$job_restarts"
  done
}
# expect_state ID STATE [EXIT]: records a failure unless the job ended so.
failures=()
expect_state() {
  local id=$1 want=$2 want_exit=${3:-}
  read_job "$id"
  if [[ $job_state != "$want" || (-n $want_exit && $job_exit != "$want_exit") ]]; then
    failures+=("job $id: $job_state exit $job_exit (wanted $want${want_exit:+ exit $want_exit})")
    show_job_log "$id"
  fi
}
show_job_log() {
  local f
  for f in $(scontrol show job -o "$1" 2>/dev/null | sed -n 's/.* StdOut=\([^ ]*\).*/\1/p' | sort -u); do
    [[ -s $f ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
}
check_file() { [[ -s $1 ]] || failures+=("missing output: ${1#"$tmp"/}"); }
check_grep() { # pattern file what
  grep -q -- "$1" "$2" 2>/dev/null || failures+=("$3 (no '$1' in ${2#"$tmp"/})")
}
sbatch_id() { local id; id=$(sbatch --parsable "$@") || fail $EXIT_JOB "sbatch refused: $*"; echo "${id%%;*}"; }
# sbatch_env VAR=value... -- SBATCH ARGS: sbatch_id with extra environment.
sbatch_env() {
  local -a vars=()
  while [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  shift
  local id
  id=$(env "${vars[@]}" sbatch --parsable "$@") || fail $EXIT_JOB "sbatch refused: $*"
  echo "${id%%;*}"
}

# ---------------------------------------------------------------- checks
# srun --mpi=list, and one MPI job of $ranks ranks started by srun (pmix) and by
# mpirun inside an allocation, chained with afterok.
check_mpi_launch() {
  local out=$tmp/jobs/mpi a b c
  mkdir -p "$out"
  say "srun --mpi=list: $(srun --mpi=list 2>&1 | tr -s '\t\n' ' ')"
  a=$(sbatch_id -J probe-srun -n "$ranks" -o "$out/srun-version.out" \
    --wrap "srun --mpi=pmix -n $ranks '$ntm' version")
  b=$(sbatch_id -J probe-ranks -n "$ranks" -o "$out/srun-synth.out" --dependency="afterok:$a" \
    --wrap "srun --mpi=pmix -n $ranks '$ntm' synth --out '$out/synth.jsonl' --docs 50 --topics 4 --seed 1")
  c=$(sbatch_id -J probe-mpirun -n "$ranks" -o "$out/mpirun-version.out" --dependency="afterok:$b" \
    --wrap "mpirun --allow-run-as-root -np $ranks '$ntm' version")
  say "MPI probes: jobs $a -> $b -> $c (afterok)"
  wait_jobs "$a" "$b" "$c"
  expect_state "$a" COMPLETED 0:0
  expect_state "$b" COMPLETED 0:0
  expect_state "$c" COMPLETED 0:0
  local n_srun n_mpirun
  n_srun=$(grep -c '^ntm ' "$out/srun-version.out" 2>/dev/null || true)
  [[ $n_srun == 1 ]] || failures+=("srun --mpi=pmix -n $ranks ntm version printed the version $n_srun times (1 = one MPI job)")
  check_grep "on $ranks rank(s)" "$out/srun-synth.out" "srun did not start one MPI job of $ranks ranks"
  n_mpirun=$(grep -c '^ntm ' "$out/mpirun-version.out" 2>/dev/null || true)
  [[ $n_mpirun == 1 ]] || failures+=("mpirun -np $ranks ntm version inside sbatch printed $n_mpirun times")
  say "MPI: 'srun --mpi=pmix -n $ranks ntm version' printed ${n_srun}x, 'mpirun -np $ranks' ${n_mpirun}x (1x = one job of $ranks ranks);" \
    "synth log says '$(grep -o "ntm synth on [0-9]* rank(s)" "$out/srun-synth.out" | head -1)'"
  job_ids+=("$a" "$b" "$c")
}

# A failing job: FAILED with its exit code, and its afterok dependent cancelled.
check_failure_detection() {
  local out=$tmp/jobs/neg a b
  mkdir -p "$out"
  a=$(sbatch_id -J must-fail -n 1 -o "$out/fail.out" --wrap "exit 3")
  b=$(sbatch_id -J must-not-run -n 1 -o "$out/dep.out" --dependency="afterok:$a" --wrap "true")
  wait_jobs "$a" "$b"
  expect_state "$a" FAILED 3:0
  read_job "$b"
  [[ $job_state == CANCELLED || $job_state == DEPENDENCY_NEVER_SATISFIED ]] ||
    failures+=("dependent of a failed job ended $job_state (wanted CANCELLED)")
  say "failure detection: job $a FAILED exit 3, dependent $b $job_state"
  job_ids+=("$a" "$b")
}

# train.sbatch with the stand-in ntm: the time limit's SIGTERM reaches every rank,
# the job requeues itself with exit 75 and resumes; its afterok dependent waits.
check_sigterm_requeue() {
  local launcher=$1 out t d log
  out=$tmp/jobs/sigterm-$launcher
  mkdir -p "$out/corpus" "$out/fake"
  echo '{}' >"$out/corpus/manifest.json"
  # --time=3 with TERM@120: SIGTERM 30-60 s after the start (Slurm signals once
  # the time left is below 120 s + its 30 s check interval, at its next check).
  # The requeued run resumes and ends well before that.
  t=$(sbatch_env NTM_BIN="$here/fake_ntm.sh" NTM_REAL_BIN="$ntm" NTM_FAKE_LOG="$out/fake" \
    NTM_FAKE_TRAIN_SECONDS=150 NTM_LAUNCHER="$launcher" NTM_JOBS_DIR="$repo/jobs/slurm" -- \
    -J "sigterm-$launcher" -n "$ranks" --time=3 --signal=B:TERM@120 \
    -o "$out/train.out" "$repo/jobs/slurm/train.sbatch" "$config" "$out/corpus" "$out/model")
  d=$(sbatch_id -J after-requeue -n 1 -o "$out/dep.out" --dependency="afterok:$t" \
    --wrap "test -s '$out/model/model.bin'")
  say "SIGTERM/requeue ($launcher): train.sbatch job $t (--time=3 --signal=B:TERM@120), dependent $d"
  wait_jobs "$t" "$d"
  expect_state "$t" COMPLETED 0:0
  expect_state "$d" COMPLETED 0:0
  log=$out/train.out
  check_grep "SIGTERM received" "$log" "the batch shell got no SIGTERM ($launcher)"
  check_grep "exited 75" "$log" "ntm stand-in did not exit 75 on SIGTERM ($launcher)"
  check_grep "requeued job $t" "$log" "train.sbatch did not requeue itself ($launcher)"
  check_grep "(restart 1):.*--resume" "$log" "the requeued run did not pass --resume ($launcher)"
  local r got=0
  for ((r = 0; r < ranks; r++)); do [[ -f $out/fake/sigterm-rank$r ]] && got=$((got + 1)); done
  [[ $got == "$ranks" ]] || failures+=("SIGTERM reached $got of $ranks ranks ($launcher)")
  read_job "$t"
  say "SIGTERM/requeue ($launcher): SIGTERM reached $got/$ranks ranks, restarts=$job_restarts, final state $job_state"
  job_ids+=("$t" "$d")
}

# The real `ntm train` under train.sbatch: SIGTERM -> checkpoint -> exit 75 ->
# requeue -> --resume -> COMPLETED. The time-limit signal itself is checked with
# the stand-in above; here the test sends the batch shell the same SIGTERM
# (scancel --batch) once the first epoch is logged, so the outcome does not hang
# on how fast the machine trains against Slurm's 30-60 s signal granularity.
# Uses the corpus of the real pipeline run ($1).
check_sigterm_real() {
  local corpus=$1 out=$tmp/jobs/sigterm-real t i signalled=0
  mkdir -p "$out"
  t=$(sbatch_env NTM_BIN="$ntm" NTM_JOBS_DIR="$repo/jobs/slurm" NTM_SET="train.epochs=100;train.batch_size=20" -- \
    -J sigterm-real -n "$ranks" --time=15 -o "$out/train.out" \
    "$repo/jobs/slurm/train.sbatch" "$config" "$corpus" "$out/model")
  say "SIGTERM/requeue (real ntm train, 100 epochs of batch 20): job $t; SIGTERM to its batch shell after epoch 1"
  for ((i = 0; i < 300; i++)); do
    read_job "$t"
    terminal "$job_state" && break
    [[ $SECONDS -lt $deadline ]] || break
    if [[ $signalled == 0 ]] && grep -q 'epoch 1: validation' "$out/train.out" 2>/dev/null; then
      scancel --batch --signal=TERM "$t" && signalled=1 && say "job $t: epoch 1 logged; sent SIGTERM to the batch shell"
    fi
    [[ $job_restarts -ge 1 ]] && break
    sleep 1
  done
  [[ $signalled == 1 ]] || failures+=("the real train job never logged epoch 1 before it ended (state $job_state)")
  wait_jobs "$t"
  expect_state "$t" COMPLETED 0:0
  check_grep "SIGTERM received" "$out/train.out" "the real train job got no SIGTERM"
  check_grep "ntm train exited 75" "$out/train.out" "ntm train did not exit 75 on SIGTERM"
  check_grep "(restart 1):.*--resume" "$out/train.out" "the requeued real train did not pass --resume"
  check_grep "resuming from .* at step" "$out/train.out" "the resumed real train did not load its checkpoint"
  check_grep "ntm train exited 0" "$out/train.out" "the resumed real train did not finish"
  check_file "$out/model/model.bin"
  check_file "$out/model/topics.npy"
  read_job "$t"
  say "SIGTERM/requeue (real ntm): restarts=$job_restarts, final state $job_state;" \
    "$(grep -c 'stopped by a signal' "$out/train.out" || true) stop message(s) in the log"
  job_ids+=("$t")
}

# nightly.sbatch twice on the same notes (score --incremental).
check_nightly() {
  local kind=$1 model=$2 out=$tmp/jobs/nightly-$1 a b
  shift 2
  mkdir -p "$out"
  local -a env=(NTM_BIN="$ntm" NTM_JOBS_DIR="$repo/jobs/slurm")
  [[ $kind == fake ]] && env=(NTM_BIN="$here/fake_ntm.sh" NTM_REAL_BIN="$ntm" NTM_FAKE_LOG="$out/fake"
    NTM_JOBS_DIR="$repo/jobs/slurm")
  # Documents scored so far: lines of every doc_ids.txt outside hidden folders.
  scored() { find "$out/scores" -name doc_ids.txt -not -path '*/.*' -exec cat {} + 2>/dev/null | wc -l; }
  a=$(sbatch_env "${env[@]}" -- -J nightly-1 -n "$ranks" -o "$out/nightly-1.out" \
    "$repo/jobs/slurm/nightly.sbatch" "$model" "$out/scores" "$@")
  say "nightly.sbatch ($kind ntm): job $a, then a second run on the same notes"
  wait_jobs "$a"
  expect_state "$a" COMPLETED 0:0
  local first
  first=$(scored)
  b=$(sbatch_env "${env[@]}" -- -J nightly-2 -n "$ranks" -o "$out/nightly-2.out" \
    "$repo/jobs/slurm/nightly.sbatch" "$model" "$out/scores" "$@")
  wait_jobs "$b"
  expect_state "$b" COMPLETED 0:0
  if [[ $kind == fake ]]; then
    grep -q 'incremental=1' "$out"/fake/score-"$a"-rank0 2>/dev/null ||
      failures+=("nightly.sbatch did not pass --incremental")
  else
    [[ $first -gt 0 ]] || failures+=("nightly run 1 left no doc_ids.txt under ${out#"$tmp"/}/scores")
    [[ $(scored) == "$first" ]] ||
      failures+=("nightly run 2 scored the same notes again ($first documents, then $(scored))")
    say "nightly.sbatch: run 1 scored $first documents, run 2 added $(($(scored) - first))"
  fi
  job_ids+=("$a" "$b")
}

# jobs/slurm/pipeline.sh: tokenize -> train -> score array -> report.
# $1 = real|fake; the rest are inputs.
run_pipeline() {
  local kind=$1 out=$tmp/run-$1 line ids=()
  shift
  local -a env=(NTM_BIN="$ntm" NTM_RANKS="$ranks")
  if [[ $kind == fake ]]; then
    env=(NTM_BIN="$here/fake_ntm.sh" NTM_REAL_BIN="$ntm" NTM_FAKE_LOG="$out/fake" NTM_RANKS="$ranks")
  fi
  say "submitting jobs/slurm/pipeline.sh ($kind ntm): $(basename "$config"), $# input(s)"
  line=$(env "${env[@]}" bash "$repo/jobs/slurm/pipeline.sh" "$config" "$@" "$out" 2>&1) ||
    { echo "$line" >&2; fail $EXIT_JOB "jobs/slurm/pipeline.sh failed"; }
  printf '    %s\n' "${line//$'\n'/$'\n'    }"
  read -r -a ids <<<"$(echo "$line" | sed -n 's/^job ids: //p')"
  [[ ${#ids[@]} == 4 ]] || fail $EXIT_JOB "pipeline.sh printed no 'job ids:' line"
  wait_jobs "${ids[@]}"
  local id
  for id in "${ids[@]}"; do expect_state "$id" COMPLETED 0:0; done
  check_file "$out/corpus/manifest.json"
  check_file "$out/model/model.bin"
  local i
  for i in "${!inputs_run[@]}"; do
    check_file "$out/scores/$(ntm_part_name "$i" "${inputs_run[i]}")/timings.json"
  done
  check_file "$out/report/report.html"
  if [[ $kind == fake ]]; then
    # Every MPI stage ran as one MPI job of $ranks ranks: each rank left a
    # record, exactly one of them (MPI rank 0) printed.
    local stage printed records
    for stage in tokenize train score; do
      records=$(find "$out/fake" -name "$stage-*-rank*" | wc -l)
      printed=$(cat "$out/fake/$stage"-* 2>/dev/null | grep -c '^printed' || true)
      local jobs_of_stage=1
      [[ $stage == score ]] && jobs_of_stage=${#inputs_run[@]}
      [[ $records == $((ranks * jobs_of_stage)) && $printed == "$jobs_of_stage" ]] ||
        failures+=("$stage: $records rank records, $printed printing (wanted $((ranks * jobs_of_stage)) and $jobs_of_stage)")
    done
  fi
  job_ids+=("${ids[@]}")
}

# The #SBATCH lines of every job and the #SCRON lines of the scrontab example
# are valid sbatch options for this Slurm (`sbatch --test-only` submits nothing).
check_directives() {
  local f opts=() line
  for f in "$repo"/jobs/slurm/*.sbatch; do
    if ! sbatch --test-only -o /dev/null "$f" >"$tmp/jobs/test-only.out" 2>&1 ||
      ! grep -q "to start" "$tmp/jobs/test-only.out"; then
      failures+=("sbatch --test-only rejected $(basename "$f"): $(head -c 300 "$tmp/jobs/test-only.out")")
    fi
  done
  while read -r line; do
    opts+=("${line#\#SCRON }")
  done < <(grep '^#SCRON ' "$repo/jobs/cron/nightly.scrontab")
  opts=("${opts[@]/\/data\/ntm\/logs/$tmp/jobs}")
  sbatch --test-only "${opts[@]}" --wrap true >"$tmp/jobs/test-only.out" 2>&1 ||
    failures+=("#SCRON options rejected by sbatch: $(head -c 300 "$tmp/jobs/test-only.out")")
  say "sbatch --test-only accepted the #SBATCH lines of jobs/slurm/*.sbatch and the #SCRON lines"
  if command -v scrontab >/dev/null; then
    sed -e "s|/opt/ntm|$repo|g" "$repo/jobs/cron/nightly.scrontab" >"$tmp/jobs/scrontab"
    if scrontab "$tmp/jobs/scrontab" >/dev/null 2>"$tmp/jobs/scrontab.err"; then
      say "scrontab accepted jobs/cron/nightly.scrontab"
    else
      failures+=("scrontab rejected jobs/cron/nightly.scrontab: $(head -c 300 "$tmp/jobs/scrontab.err")")
    fi
    scrontab -r >/dev/null 2>&1 || true
  else
    say "scrontab is not part of this Slurm package: the entry itself was not installed"
  fi
}

# ---------------------------------------------------------------- main
install_packages
reap_stale
start_cluster
job_ids=()
check_mpi_launch
if [[ $mode == smoke ]]; then
  check_failure_detection
  synth=$tmp/jobs/mpi/synth.jsonl
  inputs_run=("${inputs[0]}" "$synth")
  run_pipeline fake "${inputs_run[@]}"
  check_sigterm_requeue srun
  check_sigterm_requeue mpirun
  check_nightly fake "$tmp/run-fake/model" "${inputs[0]}"
  check_directives
else
  check_sigterm_requeue srun
  inputs_run=("${inputs[@]}")
  run_pipeline real "${inputs_run[@]}"
  check_nightly real "$tmp/run-real/model" "${inputs[0]}"
  check_sigterm_real "$tmp/run-real/corpus"
fi

echo
say "summary ($mode mode, $ranks ranks, $((SECONDS - start_time)) s):"
summary "${job_ids[@]}"
if [[ ${#failures[@]} -gt 0 ]]; then
  for f in "${failures[@]}"; do say "FAIL: $f" >&2; done
  say "RESULT: FAILED (${#failures[@]} problem(s))"
  exit $EXIT_JOB
fi
say "RESULT: PASSED (every job COMPLETED, outputs present)"
