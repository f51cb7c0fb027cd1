#!/usr/bin/env bash
# Runs facekit's test suite (ctest) on build/, building first; run scripts/setup.sh once before.
# FACEKIT_REQUIRE_SHARED=1 (set by .ci/run when ../shared exists) turns skips for missing shared
# test data into failures; this script passes it through but never sets it itself.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "==== Build (build/)"
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j"$jobs"
echo "==== done: build (${SECONDS}s)"

if [[ -d ../shared ]]; then
  echo "shared test data: $(cd ../shared && pwd)"
  if [[ -n "${FACEKIT_REQUIRE_SHARED:-}" ]]; then
    export FACEKIT_REQUIRE_SHARED
    echo "FACEKIT_REQUIRE_SHARED=$FACEKIT_REQUIRE_SHARED (tests needing ../shared fail instead of skipping)"
  fi
else
  echo "shared test data: ../shared not present; tests that need it are skipped"
fi

if ! build/facekit models verify >/dev/null 2>&1; then
  echo "warning: model files are missing or corrupt (run: bash scripts/setup.sh); tests that need them will fail" >&2
fi

echo "==== Tests (ctest)"
start=$SECONDS
status=0
ctest --test-dir build --output-on-failure -j2 || status=$?
echo "==== done: tests ($((SECONDS - start))s), ctest exit status $status"
exit "$status"
