#!/usr/bin/env bash
# Installs a built facekit into a temporary prefix, then builds and runs a separate project
# (tests/install/consumer) that finds it with find_package(facekit) and links facekit::facekit.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/facekit-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

echo "== cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix"

for f in include/facekit/facekit.hpp include/facekit/components.hpp bin/facekit; do
  [[ -f "$prefix/$f" ]] || { echo "FAIL: $prefix/$f was not installed" >&2; exit 1; }
done
config=$(find "$prefix" -name facekitConfig.cmake -print -quit)
[[ -n "$config" ]] || { echo "FAIL: no facekitConfig.cmake under $prefix" >&2; exit 1; }

echo "== configure the consumer against $prefix"
# No package registry: the consumer must find facekit through CMAKE_PREFIX_PATH alone.
cmake -S "$source_dir/tests/install/consumer" -B "$tmp/consumer-build" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
found_dir=$(sed -n 's/^facekit_DIR:PATH=//p' "$tmp/consumer-build/CMakeCache.txt")
case "$found_dir" in
  "$prefix"/*) ;;
  *) echo "FAIL: facekit found at '$found_dir', not under $prefix" >&2; exit 1 ;;
esac

echo "== build the consumer"
cmake --build "$tmp/consumer-build" -j "$(nproc 2>/dev/null || echo 2)"

echo "== run the consumer"
out=$("$tmp/consumer-build/facekit_consumer")
echo "$out"

fail=0
expect() {
  if ! grep -Eq -- "$1" <<<"$out"; then
    echo "FAIL: consumer output lacks a line matching: $1" >&2
    fail=1
  fi
}
expect '^component ssd min_confidence=0\.3$'
expect '^malformed spec rejected: invalid_argument$'
expect '^iou 0\.142857'
expect '^detectors (.*,)?ssd(,.*)?$'
expect '^aligners (.*,)?none(,.*)?$'
expect '^models .*faceapi-resnet'
[[ $fail -eq 0 ]] || exit 1
echo "PASS: installed facekit is usable through find_package(facekit)"
