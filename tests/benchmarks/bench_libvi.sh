#!/bin/bash
# Builds bench_libvi, runs it and its PyTorch peer (avitm_peer.py), then
# classical_peer.py (scikit-learn) on the trained lda topics, and prints the
# side-by-side table. Single core: every figure is docs per CPU-second of one
# thread.
#
#   tests/benchmarks/bench_libvi.sh [OUT_DIR] [extra bench_libvi flags...]
#
#   BUILD      build directory            (default: <repo>/build-h11)
#   PYTHON     interpreter with torch     (default: /usr/bin/python3)
#   SKLEARN=0  skip the scikit-learn comparison of classical VI
# Peers: apt-get install -y python3-torch python3-sklearn libopenblas0-pthread
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-$REPO/build-h11}"
PYTHON="${PYTHON:-/usr/bin/python3}"
OUT="${1:-/tmp/ntm-bench-libvi}"
shift || true
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target bench_libvi -j2 >/dev/null

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== libvi (bench_libvi)"
"$BUILD/tests/libvi/bench_libvi" --out "$OUT" "$@"
echo
echo "== PyTorch peer (avitm_peer.py)"
"$PYTHON" "$REPO/tests/benchmarks/avitm_peer.py" "$OUT"
if [[ "${SKLEARN:-1}" != 0 ]]; then
  echo
  echo "== classical VI vs scikit-learn LatentDirichletAllocation.transform (trained lda topics)"
  "$PYTHON" "$REPO/tests/benchmarks/classical_peer.py" "$OUT/classical"
fi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
