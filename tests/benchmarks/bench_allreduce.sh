#!/bin/bash
# bench_allreduce.sh — MPI_Allreduce (float sum, in place) time versus message
# size on this machine, the input of the latency/bandwidth model in docs/scaling.md.
#
# Usage:
#   bash tests/benchmarks/bench_allreduce.sh [--ranks 2] [--reps 20]
#
# Compiles a 40-line C program with mpicc into a temp dir (nothing is built in
# the repository), runs it under mpirun, and prints, for 1 KB .. 32 MB, the
# median time per all-reduce, the algorithm bandwidth (bytes / time) and the
# "bus" bandwidth 2(P-1)/P * bytes / time (the ring model's effective link rate).
# The ntm reduce buffer for V=20000, H=100, K=50 (lda decoder) is 3.02 M floats = 12.1 MB.
set -euo pipefail
ranks=2; reps=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ranks) ranks="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
MPIRUN="${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/bench-allreduce.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/allreduce.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size, reps = atoi(argv[1]);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double* t = malloc(sizeof(double) * reps);
  if (rank == 0) printf("| bytes | median us | algbw MB/s | busbw MB/s |\n|---:|---:|---:|---:|\n");
  for (long bytes = 1024; bytes <= 32L << 20; bytes *= 4) {
    long n = bytes / 4;
    float* buf = calloc(n, sizeof(float));
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);  // warm-up
    for (int r = 0; r < reps; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      double dt = MPI_Wtime() - t0, mx;
      MPI_Allreduce(&dt, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      t[r] = mx;
    }
    qsort(t, reps, sizeof(double), cmp);
    double med = t[reps / 2];
    if (rank == 0)
      printf("| %ld | %.1f | %.0f | %.0f |\n", bytes, med * 1e6, bytes / med / 1e6,
             2.0 * (size - 1) / size * bytes / med / 1e6);
    free(buf);
  }
  MPI_Finalize();
  return 0;
}
EOF
mpicc -O2 -o "$dir/allreduce" "$dir/allreduce.c"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
$MPIRUN -np "$ranks" "$dir/allreduce" "$reps"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
