#!/bin/bash
# bench_sharded_collectives.sh — the data path of one training step: one
# MPI_Allreduce of the reduce buffer (P = 1 path, and ntm before the sharded
# step) against the sharded step's reduce-scatter + all-gather, in the
# variants pipeline/runtime/mpi_communicator.cc chooses between.
#
# Usage:
#   bash tests/benchmarks/bench_sharded_collectives.sh [--ranks 2] [--reps 200]
#        [--floats 3019850]
#
# Compiles a small C program with mpicc into a temp dir, runs it under mpirun
# and prints, per variant, the median and minimum wall time and the median
# CPU time of rank 0 (Open MPI busy-polls, so waiting counts as CPU; on a
# shared machine the CPU column is the steadier one). The variants run
# interleaved, rep by rep, so they see the same load. Shards: P contiguous
# blocks with boundaries rounded down to multiples of 16 floats (ShardPlan).
set -euo pipefail
ranks=2; reps=200; floats=3019850
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ranks) ranks="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --floats) floats="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
  shift
done
MPIRUN="${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/bench-sharded.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/sharded.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
enum { kVariants = 4 };
static const char* kNames[kVariants] = {
    "MPI_Allreduce (in place)", "MPI_Reduce per shard + MPI_Allgatherv",
    "MPI_Reduce_scatter + MPI_Allgatherv", "MPI_Reduce_scatter_block + MPI_Allgather (padded)"};
static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}
static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size, reps = atoi(argv[1]);
  long n = atol(argv[2]);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int *counts = malloc(sizeof(int) * size), *offsets = malloc(sizeof(int) * size);
  for (int r = 0; r < size; ++r) {
    long begin = n * r / size / 16 * 16, end = r + 1 == size ? n : n * (r + 1) / size / 16 * 16;
    offsets[r] = (int)begin;
    counts[r] = (int)(end - begin);
  }
  long padded = ((n + size - 1) / size + 15) / 16 * 16;
  float *buf = malloc(sizeof(float) * padded * size), *block = malloc(sizeof(float) * padded);
  double *wall = malloc(sizeof(double) * reps * kVariants), *cpus = malloc(sizeof(double) * reps * kVariants);
  for (int k = 0; k < reps; ++k) {
    for (int a = 0; a < kVariants; ++a) {
      for (long i = 0; i < padded * size; ++i) buf[i] = (float)(i % 7);
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime(), c0 = cpu();
      if (a == 0) MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (a == 1) {
        for (int r = 0; r < size; ++r)
          MPI_Reduce(buf + offsets[r], r == rank ? block : NULL, counts[r], MPI_FLOAT, MPI_SUM, r,
                     MPI_COMM_WORLD);
      }
      if (a == 2) MPI_Reduce_scatter(buf, block, counts, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (a == 1 || a == 2) {
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, offsets, MPI_FLOAT,
                       MPI_COMM_WORLD);
      }
      if (a == 3) {
        MPI_Reduce_scatter_block(buf, block, (int)padded, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, (int)padded, MPI_FLOAT,
                      MPI_COMM_WORLD);
      }
      wall[a * reps + k] = MPI_Wtime() - t0;
      cpus[a * reps + k] = cpu() - c0;
    }
  }
  if (rank == 0) {
    printf("%ld floats (%.1f MB), %d ranks, %d reps\n", n, n * 4e-6, size, reps);
    printf("| variant | median wall ms | min wall ms | median CPU ms |\n|---|---:|---:|---:|\n");
    for (int a = 0; a < kVariants; ++a) {
      qsort(wall + a * reps, reps, sizeof(double), cmp);
      qsort(cpus + a * reps, reps, sizeof(double), cmp);
      printf("| %s | %.3f | %.3f | %.3f |\n", kNames[a], 1e3 * wall[a * reps + reps / 2],
             1e3 * wall[a * reps], 1e3 * cpus[a * reps + reps / 2]);
    }
  }
  MPI_Finalize();
  return 0;
}
EOF
mpicc -O2 -o "$dir/sharded" "$dir/sharded.c"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
$MPIRUN -np "$ranks" "$dir/sharded" "$reps" "$floats"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
