# shellcheck shell=bash
# Helpers sourced by the jobs in jobs/slurm/ (not a job itself).
#
# How MPI ranks are launched (function ntm_pick_launcher), decided at run time
# inside the allocation:
#   1. NTM_LAUNCHER=srun or NTM_LAUNCHER=mpirun forces one (default: auto).
#   2. auto: srun is used when `srun --mpi=list` offers pmix (NTM_SRUN_MPI
#      overrides the plugin) AND a probe step `srun --mpi=pmix -n 2 ntm version`
#      prints the version once (rank 0 only). That proves Open MPI ranks started
#      by srun form one MPI_COMM_WORLD. If they do not (Open MPI built without
#      PMIx, or a plugin mismatch), each rank would silently run as a separate
#      1-rank job writing the same files, so the probe falls back to mpirun.
#   3. Otherwise mpirun (Open MPI reads the Slurm allocation itself).
#   On Debian 12 (slurm-wlm 22.05 + Open MPI 4.1.4) `srun --mpi=list` lists
#   pmix, pmi2, none and cray_shasta; pmix works; pmi2 does not (Debian's Open MPI
#   has no Slurm PMI-2 support: MPI_Init fails) and none starts singletons.
#   NTM_LAUNCHER_PROBE=0 skips the probe (trust `srun --mpi=list`).
#
# SIGTERM before the time limit (function ntm_run_forwarding_term): jobs ask for
#   `--signal=B:TERM@120`, i.e. SIGTERM to the batch shell only, and the shell
#   forwards it to every rank:
#   - srun:   `scancel --signal=TERM $SLURM_JOB_ID` signals every task of every
#             step (not the batch shell). Signalling srun itself is NOT used:
#             srun answers SIGTERM by killing its step at once.
#   - mpirun: SIGTERM to mpirun, which passes it to the ranks and kills them
#             OMPI_MCA_odls_base_sigkill_timeout seconds later (raised here from
#             1 s to 30 s so a checkpoint can be written; mpirun itself returns
#             only after about twice that, ~60 s, which still fits in the 120 s);
#             mpirun then exits 1, not the ranks' 75, so the caller treats
#             "TERM forwarded and non-zero" as 75.
#   Slurm checks time limits about every 30 s and may signal that much early, so
#   @120 arrives 120-150 s before the limit. A SIGTERM that arrives while no ntm
#   is running (e.g. during the launcher probe) is remembered: the stage is then
#   not started and the job reports 75.
#   Why not `--signal=TERM@120` (no B:): it signals job steps only, which
#   reaches srun-launched ranks but never ranks that mpirun starts inside the
#   batch step (tested: such a job just hits TIMEOUT).

# Results of ntm_run_forwarding_term and ntm_pick_launcher, read by the jobs.
# shellcheck disable=SC2034
NTM_RC=0 NTM_GOT_TERM=0 NTM_LAUNCHER_KIND=none
NTM_LAUNCH=()
# A SIGTERM before the stage starts (see the header) only sets this flag.
NTM_TERM_PENDING=0
trap 'NTM_TERM_PENDING=1' TERM

# Prints a message prefixed with the job name and the time.
ntm_say() { printf '%s %s: %s\n' "$(date -u +%H:%M:%SZ)" "${NTM_JOB_NAME:-ntm-job}" "$*"; }
ntm_die() {
  local code=$1
  shift
  ntm_say "error: $*" >&2
  exit "$code"
}

# Prints the header comment of a job script (its usage), without #SBATCH lines.
ntm_usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/^#(SBATCH|PBS)/ { sub(/^# ?/, ""); print }' "$1" >&2
}

# The ntm binary: NTM_BIN, else the repository's build/pipeline/ntm, else `ntm`
# on PATH. Sets NTM_BIN to an absolute path.
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

# Number of ranks: the allocation's task count (sbatch -n), else NTM_RANKS, else 1.
ntm_ranks() { echo "${SLURM_NTASKS:-${NTM_RANKS:-1}}"; }

# Sets the array NTM_LAUNCH (the command prefix that starts the ranks) and
# NTM_LAUNCHER_KIND (srun | mpirun | none). See the header of this file.
ntm_pick_launcher() {
  local want=${NTM_LAUNCHER:-auto} ranks plugin probe_n out
  ranks=$(ntm_ranks)
  plugin=${NTM_SRUN_MPI:-pmix}
  NTM_LAUNCH=()
  if [[ $want == auto ]]; then
    want=mpirun
    if [[ -n ${SLURM_JOB_ID:-} ]] && command -v srun >/dev/null &&
      srun --mpi=list 2>&1 | grep -qw -- "$plugin"; then
      want=srun
      if [[ ${NTM_LAUNCHER_PROBE:-1} != 0 ]]; then
        probe_n=$((ranks < 2 ? ranks : 2))
        out=$(srun --mpi="$plugin" -n "$probe_n" "$NTM_BIN" version 2>/dev/null) || out=""
        if [[ $(grep -c '^ntm ' <<<"$out") -ne 1 ]]; then
          ntm_say "srun --mpi=$plugin does not start one MPI job of $probe_n ranks here; using mpirun"
          want=mpirun
        fi
      fi
    fi
  fi
  case $want in
    srun)
      NTM_LAUNCH=(srun --mpi="$plugin" -n "$ranks" --kill-on-bad-exit=1)
      ;;
    mpirun)
      command -v mpirun >/dev/null || ntm_die 69 "mpirun not found"
      NTM_LAUNCH=(mpirun -np "$ranks")
      [[ $(id -u) -eq 0 ]] && NTM_LAUNCH+=(--allow-run-as-root)
      # Give ranks time to checkpoint after a forwarded SIGTERM (default 1 s).
      export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-30}
      ;;
    none)
      NTM_LAUNCH=()
      ;;
    *) ntm_die 64 "NTM_LAUNCHER must be auto, srun, mpirun or none (got '$want')" ;;
  esac
  NTM_LAUNCHER_KIND=$want
  ntm_say "launcher: $want${NTM_LAUNCH:+ (${NTM_LAUNCH[*]})}, $ranks rank(s)"
}

# --set overrides from NTM_SET ("key=value;key=value"); fills the array NTM_SET_ARGS.
ntm_set_args() {
  local item
  NTM_SET_ARGS=()
  local -a items=()
  IFS=';' read -r -a items <<<"${NTM_SET:-}"
  for item in "${items[@]}"; do
    [[ -n $item ]] && NTM_SET_ARGS+=(--set "$item")
  done
  return 0
}

# Runs "$@" (a launcher command) in the background, forwards a SIGTERM that
# reaches the batch shell to the ranks (see the header), and waits. Sets
# NTM_RC to the exit code and NTM_GOT_TERM to 1 when SIGTERM was forwarded.
ntm_run_forwarding_term() {
  NTM_GOT_TERM=0
  NTM_RC=0
  if [[ $NTM_TERM_PENDING == 1 ]]; then
    ntm_say "SIGTERM arrived before the stage started: not starting it"
    NTM_GOT_TERM=1 NTM_RC=75
    return 0
  fi
  "$@" &
  NTM_CHILD=$!
  trap '_ntm_forward_term' TERM
  # `wait` returns early (status > 128) when a trapped signal arrives; go on
  # waiting until the child has really exited.
  while :; do
    NTM_RC=0
    wait "$NTM_CHILD" || NTM_RC=$?
    kill -0 "$NTM_CHILD" 2>/dev/null || break
  done
  trap 'NTM_TERM_PENDING=1' TERM
}

_ntm_forward_term() {
  NTM_GOT_TERM=1
  ntm_say "SIGTERM received (time limit near): forwarding to the ranks via $NTM_LAUNCHER_KIND"
  case $NTM_LAUNCHER_KIND in
    srun) scancel --signal=TERM "$SLURM_JOB_ID" 2>/dev/null || kill -TERM "$NTM_CHILD" 2>/dev/null || true ;;
    *) kill -TERM "$NTM_CHILD" 2>/dev/null || true ;;
  esac
}

# The sub-folder name that score.sbatch gives input number $1 (path $2):
# 000-notes for .../notes.jsonl.gz. Characters other than [A-Za-z0-9._-] become _.
ntm_part_name() {
  local name
  name=$(basename "${2%/}")
  name=${name%.gz}
  name=${name%.jsonl}
  name=${name%.csv}
  name=${name%.txt}
  printf '%03d-%s\n' "$1" "${name//[^A-Za-z0-9._-]/_}"
}
