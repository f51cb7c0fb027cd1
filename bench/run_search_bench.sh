#!/usr/bin/env bash
# Search benchmark: every gallery index kind on face-like synthetic vectors (128-D: 10k, 100k, 1M;
# 512-D: 10k, 100k) and on the real LFW embeddings of the eval cache, against a plain scalar loop
# and the memory-bandwidth floor measured in the same run; then LFW rank-1 identification, exact
# vs approximate. Markdown on stdout (docs/benchmarks.md, "Search"; docs/identification.md).
#
# usage: bash bench/run_search_bench.sh [extra facekit_search_bench options]
# environment:
#   BUILD_DIR   build directory (default <repo>/build-search; configured here if it is not yet)
#   SHARED_DIR  the shared folder (default <repo>/../shared)
#   LFW_CACHE   faceapi-resnet embeddings of LFW as `facekit eval` caches them
#               (default <repo>/build/eval-cache/default.jsonl; left out when missing)
#   JOBS        build parallelism (default 2);  SKIP_BUILD=1 use what is in BUILD_DIR
# 10M x 128-D and 1M x 512-D are left out by default: on a 2-core machine the ANN builds alone
# would take most of an hour (pass --sizes128 / --sizes512 to include them where there is time).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-search}
SHARED=${SHARED_DIR:-$ROOT/../shared}
LFW_CACHE=${LFW_CACHE:-$ROOT/build/eval-cache/default.jsonl}
JOBS=${JOBS:-2}

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  [[ -f "$BUILD/CMakeCache.txt" ]] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$BUILD" -j "$JOBS" --target facekit_search_bench >&2
fi

lfw=()
if [[ -f "$LFW_CACHE" && -f "$SHARED/data/faces/lfw/labels.csv" ]]; then
  lfw=(--lfw-cache "$LFW_CACHE" --lfw-root "$SHARED/data/faces/lfw")
else
  echo "[run_search_bench] no LFW embedding cache ($LFW_CACHE) or no shared LFW: synthetic sets only" >&2
fi

echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/facekit_search_bench" "${lfw[@]}" "$@"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
