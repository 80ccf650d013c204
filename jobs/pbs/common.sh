# shellcheck shell=bash
# Helpers sourced by the jobs in jobs/pbs/ (not a job itself). Written for PBS Pro
# / OpenPBS; Torque differences are noted where they matter.
#
# PBS passes no arguments to a job script, so every job takes its paths from
# environment variables (qsub -v NAME=value,...; pipeline.sh sets them). Lists of
# inputs are files with one path per line (NTM_INPUT_LIST), because qsub -v splits
# values at commas.
#
# Ranks are started with Open MPI's mpirun on the hosts in $PBS_NODEFILE (one line
# per MPI process: ask for select=N:ncpus=C:mpiprocs=C). Debian's Open MPI is
# built without PBS "tm" support, so the host file is passed explicitly; with a
# tm-enabled Open MPI it is harmless.
#
# SIGTERM: at the walltime PBS sends SIGTERM and SIGKILL only kill_delay seconds
# (often 10-30 s) later, too little to checkpoint reliably, and PBS has no
# equivalent of Slurm's --signal. So long jobs start a timer (ntm_start_stop_timer)
# that sends SIGTERM to mpirun NTM_STOP_MARGIN seconds (default 300) before the
# walltime; mpirun passes it to every rank and kills them
# OMPI_MCA_odls_base_sigkill_timeout (30) s later, then exits 1 -- so "timer
# fired and non-zero" counts as 75 (checkpoint written).

ntm_say() { printf '%s %s: %s\n' "$(date -u +%H:%M:%SZ)" "${NTM_JOB_NAME:-ntm-job}" "$*"; }
ntm_die() {
  local code=$1
  shift
  ntm_say "error: $*" >&2
  exit "$code"
}
ntm_usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/^#(SBATCH|PBS)/ { sub(/^# ?/, ""); print }' "$1" >&2
}
# ntm_require NAME...: every variable must be set.
ntm_require() {
  local name missing=()
  for name in "$@"; do [[ -n ${!name:-} ]] || missing+=("$name"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    ntm_say "error: missing variable(s): ${missing[*]} (qsub -v NAME=value,...)" >&2
    ntm_usage "$NTM_JOB_FILE"
    exit 64
  fi
}

# Results read by the jobs.
# shellcheck disable=SC2034
NTM_RC=0 NTM_GOT_TERM=0
NTM_LAUNCH=()

ntm_find_binary() {
  local repo
  if [[ -z ${NTM_BIN:-} ]]; then
    repo=$(cd "$NTM_JOBS_DIR/../.." && pwd)
    if [[ -x $repo/build/pipeline/ntm ]]; then
      NTM_BIN=$repo/build/pipeline/ntm
    else
      NTM_BIN=$(command -v ntm || true)
    fi
  fi
  [[ -n $NTM_BIN && -x $NTM_BIN ]] ||
    ntm_die 66 "ntm binary not found (set NTM_BIN; tried ${NTM_BIN:-build/pipeline/ntm and PATH})"
  export NTM_BIN
}

# Sets NTM_LAUNCH: mpirun over $PBS_NODEFILE (or NTM_RANKS local ranks without one).
ntm_pick_launcher() {
  local ranks
  command -v mpirun >/dev/null || ntm_die 69 "mpirun not found"
  if [[ -n ${PBS_NODEFILE:-} && -s $PBS_NODEFILE ]]; then
    ranks=$(wc -l <"$PBS_NODEFILE")
    NTM_LAUNCH=(mpirun -np "$ranks" --hostfile "$PBS_NODEFILE")
  else
    ranks=${NTM_RANKS:-1}
    NTM_LAUNCH=(mpirun -np "$ranks")
  fi
  [[ $(id -u) -eq 0 ]] && NTM_LAUNCH+=(--allow-run-as-root)
  export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-30}
  ntm_say "launcher: ${NTM_LAUNCH[*]}"
}

# config overrides from NTM_SET ("key=value;key=value") into NTM_SET_ARGS.
ntm_set_args() {
  local item
  local -a items=()
  NTM_SET_ARGS=()
  IFS=';' read -r -a items <<<"${NTM_SET:-}"
  for item in "${items[@]}"; do
    [[ -n $item ]] && NTM_SET_ARGS+=(--set "$item")
  done
  return 0
}

# Reads NTM_INPUT_LIST (one path per line) into the array NTM_INPUTS.
ntm_read_inputs() {
  [[ -f ${NTM_INPUT_LIST:-} ]] || ntm_die 66 "NTM_INPUT_LIST is not a file: ${NTM_INPUT_LIST:-unset}"
  mapfile -t NTM_INPUTS < <(grep -v '^[[:space:]]*$' "$NTM_INPUT_LIST")
  [[ ${#NTM_INPUTS[@]} -gt 0 ]] || ntm_die 64 "no inputs listed in $NTM_INPUT_LIST"
}

# Seconds of walltime this job has: NTM_WALLTIME_SECONDS, else qstat's
# Resource_List.walltime, else empty.
ntm_walltime_seconds() {
  local wt h m s
  if [[ -n ${NTM_WALLTIME_SECONDS:-} ]]; then
    echo "$NTM_WALLTIME_SECONDS"
    return
  fi
  [[ -n ${PBS_JOBID:-} ]] && command -v qstat >/dev/null || return 0
  wt=$(qstat -f "$PBS_JOBID" 2>/dev/null | sed -n 's/^ *Resource_List.walltime = //p' | head -1)
  [[ $wt =~ ^([0-9]+):([0-9]{2}):([0-9]{2})$ ]] || return 0
  h=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  echo $((10#$h * 3600 + 10#$m * 60 + 10#$s))
}

# Runs "$@" in the background; when the walltime is known, SIGTERM goes to it
# NTM_STOP_MARGIN seconds before the end. SIGTERM to this shell (qdel, or PBS at
# the walltime) is forwarded too. Sets NTM_RC and NTM_GOT_TERM.
ntm_run_with_stop_timer() {
  local wall margin=${NTM_STOP_MARGIN:-300} timer=''
  NTM_GOT_TERM=0 NTM_RC=0
  wall=$(ntm_walltime_seconds)
  "$@" &
  NTM_CHILD=$!
  trap '_ntm_forward_term shell' TERM
  trap '_ntm_forward_term timer' USR1
  if [[ -n $wall && $wall -gt $margin ]]; then
    ntm_say "walltime ${wall}s: SIGTERM to the ranks after $((wall - margin))s"
    (
      sleep $((wall - margin))
      kill -USR1 $$ 2>/dev/null
    ) &
    timer=$!
  else
    ntm_say "walltime unknown or short: no stop timer (set NTM_WALLTIME_SECONDS)"
  fi
  while :; do
    NTM_RC=0
    wait "$NTM_CHILD" || NTM_RC=$?
    kill -0 "$NTM_CHILD" 2>/dev/null || break
  done
  if [[ -n $timer ]]; then # the timer subshell and its sleep
    pkill -P "$timer" 2>/dev/null || true
    kill "$timer" 2>/dev/null || true
  fi
  trap - TERM USR1
  if [[ $NTM_GOT_TERM == 1 && $NTM_RC -ne 0 ]]; then NTM_RC=75; fi
  return 0
}
_ntm_forward_term() {
  NTM_GOT_TERM=1
  ntm_say "stop requested ($1): SIGTERM to mpirun, ranks checkpoint and exit"
  kill -TERM "$NTM_CHILD" 2>/dev/null || true
}

# Score sub-folder name for input number $1 (path $2), as jobs/slurm/ names it.
ntm_part_name() {
  local name
  name=$(basename "${2%/}")
  name=${name%.gz}
  name=${name%.jsonl}
  name=${name%.csv}
  name=${name%.txt}
  printf '%03d-%s\n' "$1" "${name//[^A-Za-z0-9._-]/_}"
}

# Jobs that wait on job $1 with afterok: the ids in its `depend = beforeok:...`
# attribute (qstat -f folds long values onto lines that start with a tab).
ntm_dependents_of() {
  qstat -f "$1" 2>/dev/null |
    awk '/^\t/ { sub(/^\t/, ""); line = line $0; next } { if (line != "") print line; line = $0 }
         END { if (line != "") print line }' |
    sed -n 's/^ *depend = //p' | tr ',' '\n' | sed -n 's/^beforeok://p' | tr ':' '\n' | sed 's/@.*//'
}
