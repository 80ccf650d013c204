#!/usr/bin/env bash
# Checks the PBS jobs of jobs/pbs/ without a PBS server (none can be installed
# here): shell syntax (bash -n, and shellcheck when installed), every #PBS
# directive against the qsub options of PBS Pro / OpenPBS and their value
# syntax, and jobs/pbs/pipeline.sh against stand-in qsub/qstat/qalter/qdel that
# record what they are asked (dependencies, arrays, the variables each job needs).
# With --ntm it also runs each job script as PBS would (PBS_* variables, a node
# file of 2 slots, mpirun) with the stand-in ntm (tests/slurm/fake_ntm.sh), and
# the train job's walltime stop: stop timer -> SIGTERM -> exit 75 -> resubmission
# with NTM_RESUME=1 and `qalter` of the jobs that depend on it.
#
# Usage: tests/slurm/check_pbs.sh [--ntm PATH]
# Exit codes: 0 all checks passed, 1 a check failed, 64 usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
pbs=$repo/jobs/pbs
ntm=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --ntm) ntm=${2:?--ntm needs a path}; shift 2 ;;
    *) echo "usage: check_pbs.sh [--ntm PATH]" >&2; exit 64 ;;
  esac
done

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntm-pbs-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- syntax
for f in "$pbs"/*.pbs "$pbs"/*.sh; do
  if bash -n "$f" 2>"$tmp/err"; then ok "bash -n $(basename "$f")"; else bad "bash -n $(basename "$f"): $(cat "$tmp/err")"; fi
done
if command -v shellcheck >/dev/null; then
  if (cd "$repo" && shellcheck -x jobs/pbs/*.pbs jobs/pbs/*.sh) >"$tmp/sc" 2>&1; then
    ok "shellcheck jobs/pbs"
  else
    bad "shellcheck jobs/pbs"
    head -n 40 "$tmp/sc"
  fi
fi

# ---------------------------------------------------------------- directives
# check_option OPT VALUE: empty output when valid, else the reason.
check_option() {
  local opt=$1 val=$2 item
  case $opt in
    -N) [[ $val =~ ^[A-Za-z][^[:space:]@]{0,235}$ ]] || echo "job name '$val'" ;;
    -l)
      local -a items
      IFS=',' read -r -a items <<<"$val"
      for item in "${items[@]}"; do
        case $item in
          select=*)
            [[ $item =~ ^select=[0-9]+(:(ncpus|mpiprocs|ompthreads|ngpus|mem|vmem|host|vnode|arch)=[^:,[:space:]]+)*$ ]] ||
              echo "select '$item'"
            ;;
          walltime=*)
            [[ $item =~ ^walltime=([0-9]+|([0-9]+:)?[0-9]{1,2}:[0-9]{2}:[0-9]{2})$ ]] || echo "walltime '$item'"
            ;;
          place=*) [[ $item =~ ^place=(free|pack|scatter|vscatter)(:(excl|shared|exclhost))?$ ]] || echo "place '$item'" ;;
          ncpus=* | mem=* | nodes=* | mpiprocs=* | software=* | cput=* | pmem=*) ;;
          *) echo "unknown resource '$item'" ;;
        esac
      done
      ;;
    -j) [[ $val =~ ^(oe|eo|n)$ ]] || echo "join '$val'" ;;
    -r) [[ $val =~ ^[yn]$ ]] || echo "rerunnable '$val'" ;;
    -S) [[ $val == /* ]] || echo "shell '$val' not absolute" ;;
    -J) [[ $val =~ ^[0-9]+-[0-9]+(:[0-9]+)?(%[0-9]+)?$ ]] || echo "array range '$val'" ;;
    -t) [[ $val =~ ^[0-9]+(-[0-9]+)?(%[0-9]+)?$ ]] || echo "Torque array '$val'" ;;
    -W)
      if [[ $val == depend=* ]]; then
        [[ $val =~ ^depend=(after|afterok|afternotok|afterany|before|beforeok|beforenotok|beforeany|on|runone):[^[:space:]]+$ ]] ||
          echo "depend '$val'"
      else
        [[ $val =~ ^[a-z_]+=[^[:space:]]+$ ]] || echo "attribute '$val'"
      fi
      ;;
    -m) [[ $val =~ ^([abe]+|n)$ ]] || echo "mail events '$val'" ;;
    -k) [[ $val =~ ^([oe]+|[doe]+|n)$ ]] || echo "keep '$val'" ;;
    -v) [[ $val =~ ^[A-Za-z_][A-Za-z0-9_]*(=[^,]*)?(,[A-Za-z_][A-Za-z0-9_]*(=[^,]*)?)*$ ]] || echo "variable list '$val'" ;;
    -q | -A | -P | -M | -o | -e | -a | -c | -p) [[ -n $val && $val != *[[:space:]]* ]] || echo "empty or spaced value for $opt" ;;
    -V | -h | -I | -X | -z | -f) [[ -z $val ]] || echo "$opt takes no value" ;;
    *) echo "unknown qsub option $opt" ;;
  esac
}

for f in "$pbs"/*.pbs; do
  name=$(basename "$f")
  problems=()
  seen_command=0 count=0 line_no=0
  while IFS= read -r line; do
    line_no=$((line_no + 1))
    if [[ $line == '#PBS'* ]]; then
      if [[ $seen_command == 1 ]]; then
        problems+=("line $line_no: #PBS after the first command (PBS ignores it)")
        continue
      fi
      count=$((count + 1))
      read -r -a words <<<"${line#\#PBS}"
      [[ ${#words[@]} -ge 1 && ${#words[@]} -le 2 ]] || { problems+=("line $line_no: '$line'"); continue; }
      why=$(check_option "${words[0]}" "${words[1]:-}")
      [[ -z $why ]] || problems+=("line $line_no: $why")
    elif [[ $line_no -gt 1 && -n ${line//[[:space:]]/} && $line != '#'* ]]; then
      seen_command=1
    fi
  done <"$f"
  [[ $(head -1 "$f") == '#!'* ]] || problems+=("no #! line")
  grep -q '^#PBS -N ' "$f" || problems+=("no #PBS -N")
  grep -q '^#PBS -l walltime=' "$f" || problems+=("no #PBS -l walltime")
  if [[ ${#problems[@]} -eq 0 ]]; then
    ok "$name: $count #PBS directives valid"
  else
    bad "$name: ${problems[*]}"
  fi
done

# ---------------------------------------------------------------- stand-in PBS
fake=$tmp/bin
mkdir -p "$fake"
export FAKE_PBS_LOG=$tmp/pbs.log FAKE_PBS_COUNTER=$tmp/counter
echo 100 >"$FAKE_PBS_COUNTER"
cat >"$fake/qsub" <<'EOF'
#!/usr/bin/env bash
# Records its arguments (one per line, then "--"), prints a new job id.
set -euo pipefail
n=$(($(cat "$FAKE_PBS_COUNTER") + 1))
echo "$n" >"$FAKE_PBS_COUNTER"
array=''
for a in "$@"; do [[ $a == -J ]] && array='[]'; done
{ echo "qsub $n$array.pbs"; printf '%s\n' "$@"; echo "--"; } >>"$FAKE_PBS_LOG"
echo "$n$array.pbs"
EOF
cat >"$fake/qalter" <<'EOF'
#!/usr/bin/env bash
{ echo "qalter"; printf '%s\n' "$@"; echo "--"; } >>"$FAKE_PBS_LOG"
EOF
cat >"$fake/qdel" <<'EOF'
#!/usr/bin/env bash
{ echo "qdel"; printf '%s\n' "$@"; echo "--"; } >>"$FAKE_PBS_LOG"
EOF
cat >"$fake/qstat" <<'EOF'
#!/usr/bin/env bash
# qstat -f JOB: a job that two others wait on, with a folded depend line.
printf 'Job Id: %s\n    Job_Name = ntm-train\n' "${2:-}"
printf '    depend = beforeok:201.pbs@srv:202[].pbs@srv,afterok:100.pbs@s\n\trv\n'
printf '    Resource_List.walltime = %s\n' "${FAKE_WALLTIME:-00:00:20}"
EOF
chmod +x "$fake"/*

# The qsub call recorded for job id $1: its arguments, one per line.
qsub_args() { awk -v id="$1" '$0 == "qsub " id { on = 1; next } on && $0 == "--" { exit } on' "$FAKE_PBS_LOG"; }
# The value after option $2 in the qsub call of job $1 (the last one when repeated).
qsub_opt() { qsub_args "$1" | awk -v o="$2" 'prev == o { v = $0 } { prev = $0 } END { print v }'; }

out=$tmp/run
mkdir -p "$tmp/inputs/notes"
echo '{}' >"$tmp/inputs/a.jsonl"
if PATH=$fake:$PATH QSUB=qsub NTM_BIN=$here/fake_ntm.sh \
  bash "$pbs/pipeline.sh" "$repo/configs/demo.yaml" "$tmp/inputs/a.jsonl" "$tmp/inputs/notes" "$out" \
  >"$tmp/pipeline.out" 2>&1; then
  ok "pipeline.sh submitted: $(tail -1 "$tmp/pipeline.out")"
else
  bad "pipeline.sh failed: $(cat "$tmp/pipeline.out")"
fi
read -r -a ids <<<"$(sed -n 's/^job ids: //p' "$tmp/pipeline.out")"
if [[ ${#ids[@]} -eq 4 ]]; then
  tok=${ids[0]} train=${ids[1]} score=${ids[2]} report=${ids[3]}
  if [[ $(qsub_opt "$train" -W) == "depend=afterok:$tok" ]]; then ok "train waits for tokenize"; else bad "train dependency: $(qsub_opt "$train" -W)"; fi
  if [[ $(qsub_opt "$score" -W) == "depend=afterok:$train" ]]; then ok "score waits for train"; else bad "score dependency: $(qsub_opt "$score" -W)"; fi
  if [[ $(qsub_opt "$report" -W) == "depend=afterok:$score" ]]; then ok "report waits for the whole score array"; else bad "report dependency: $(qsub_opt "$report" -W)"; fi
  if [[ $(qsub_opt "$score" -J) == 0-1 && $score == *'[]'* ]]; then ok "score is an array of 2 (-J 0-1)"; else bad "score array: -J $(qsub_opt "$score" -J)"; fi
  # Every recorded qsub option is valid, and -v gives each job what it requires.
  for id in "${ids[@]}"; do
    script=$(qsub_args "$id" | tail -1)
    mapfile -t args < <(qsub_args "$id")
    why=''
    for ((i = 0; i < ${#args[@]} - 1; i++)); do
      a=${args[i]}
      [[ $a == -* ]] || continue
      case $a in -V | -h | -I | -X | -z | -f) v='' ;; *) v=${args[i + 1]}; i=$((i + 1)) ;; esac
      r=$(check_option "$a" "$v")
      [[ -z $r ]] || why+="$r; "
    done
    vars=$(qsub_opt "$id" -v)
    for need in $(sed -n 's/^ntm_require //p' "$script" | head -1); do
      [[ ,$vars, == *",$need="* ]] || why+="-v lacks $need; "
    done
    if [[ -z $why ]]; then ok "qsub of $(basename "$script"): options valid, variables complete"; else bad "qsub of $(basename "$script"): $why"; fi
  done
else
  bad "pipeline.sh printed no 'job ids:' line"
fi

# ---------------------------------------------------------------- local runs
if [[ -n $ntm ]]; then
  [[ $ntm == /* ]] || ntm=$PWD/$ntm
  [[ -x $ntm ]] || { bad "--ntm $ntm is not executable"; ntm=''; }
fi
if [[ -n $ntm && ${#ids[@]} -eq 4 ]]; then
  printf 'localhost\nlocalhost\n' >"$tmp/nodefile"
  # run_job ID [VAR=value...]: runs the recorded job as PBS would.
  run_job() {
    local id=$1 script vars
    shift
    script=$(qsub_args "$id" | tail -1)
    vars=$(qsub_opt "$id" -v)
    local -a env=(PBS_JOBID="$id" PBS_O_WORKDIR="$out" PBS_NODEFILE="$tmp/nodefile"
      NTM_REAL_BIN="$ntm" NTM_FAKE_LOG="$tmp/fake" OMPI_MCA_odls_base_sigkill_timeout=3)
    IFS=',' read -r -a more <<<"$vars"
    env+=("${more[@]}" "$@")
    (cd "$out" && env "${env[@]}" PATH="$fake:$PATH" bash "$script") >"$tmp/job-$id.out" 2>&1
  }
  for id in "$tok" "$train"; do
    if run_job "$id"; then ok "ran $(basename "$(qsub_args "$id" | tail -1)") under mpirun"; else bad "job $id: $(tail -5 "$tmp/job-$id.out")"; fi
  done
  for index in 0 1; do
    if run_job "$score" PBS_ARRAY_INDEX=$index; then ok "ran score.pbs index $index"; else bad "score index $index: $(tail -5 "$tmp/job-$score.out")"; fi
  done
  if run_job "$report"; then ok "ran report.pbs"; else bad "report: $(tail -5 "$tmp/job-$report.out")"; fi
  for f in corpus/manifest.json model/model.bin scores/000-a/timings.json scores/001-notes/timings.json report/report.html; do
    if [[ -s $out/$f ]]; then ok "output $f"; else bad "missing output $f"; fi
  done
  printed=$(cat "$tmp"/fake/tokenize-* 2>/dev/null | grep -c '^printed' || true)
  records=$(find "$tmp/fake" -name 'tokenize-*' | wc -l)
  if [[ $records == 2 && $printed == 1 ]]; then ok "tokenize ran as one MPI job of 2 ranks"; else bad "tokenize: $records rank records, $printed printing"; fi

  # Walltime stop: 20 s walltime, stop 5 s before -> SIGTERM at 15 s -> 75 ->
  # resubmitted with NTM_RESUME=1 -> dependents moved to the new job.
  rm -rf "$out/model"
  cp "$FAKE_PBS_LOG" "$FAKE_PBS_LOG.before"
  # What was recorded since (diff exits 1 when there is something).
  log_since() { diff "$FAKE_PBS_LOG.before" "$FAKE_PBS_LOG" | sed -n 's/^> //p' || true; }
  rc=0
  run_job "$train" NTM_FAKE_TRAIN_SECONDS=120 NTM_STOP_MARGIN=5 FAKE_WALLTIME=00:00:20 || rc=$?
  new=$(log_since | sed -n 's/^qsub //p' | head -1)
  if [[ $rc == 75 && -n $new ]]; then
    ok "train.pbs stopped by its timer: exit 75, resubmitted as $new"
  else
    bad "train.pbs stop: exit $rc, resubmission '${new:-none}': $(tail -8 "$tmp/job-$train.out")"
  fi
  if [[ -n $new ]]; then
    if [[ ,$(qsub_opt "$new" -v), == *",NTM_RESUME=1,"* ]]; then ok "resubmission carries NTM_RESUME=1"; else bad "resubmission -v: $(qsub_opt "$new" -v)"; fi
    moved=$(log_since | sed -n '/^qalter$/,/^--$/p' | grep -c "depend=afterok:$new" || true)
    if [[ $moved == 2 ]]; then ok "both dependents now wait for $new (qalter)"; else bad "qalter calls for $new: $moved (wanted 2)"; fi
    if [[ $(find "$tmp/fake" -name 'sigterm-rank*' | wc -l) == 2 ]]; then ok "SIGTERM reached both ranks"; else bad "SIGTERM reached $(find "$tmp/fake" -name 'sigterm-rank*' | wc -l) ranks"; fi
    if run_job "$new" && grep -q 'resume=1' "$tmp/fake/train-$new-rank0"; then
      ok "resubmitted train ran with --resume"
    else
      bad "resubmitted train: $(tail -5 "$tmp/job-$new.out")"
    fi
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
