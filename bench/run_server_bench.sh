#!/usr/bin/env bash
# Load test of `facekit serve` with wrk (Debian's wrk) on loopback: POST /represent with a 640x480
# one-face JPEG as a base64 data URI, at 1, 4 and 16 connections, then on to TOTAL requests to see
# whether resident memory stays flat. The anchor, measured in the same run, is facekit::represent on
# the same image in one process, one thread, no HTTP (bench/server_bench.cpp).
#
# usage: bash bench/run_server_bench.sh
# environment:
#   BUILD_DIR   build directory with facekit and facekit_server_bench (default <repo>/build-server)
#   SHARED_DIR  the shared folder (default <repo>/../shared); the photo is face_recognition's obama-480p.jpg
#   DURATION    seconds per connection count (default 20)
#   TOTAL       requests in all, for the memory check (default 10000)
#   THREADS     server workers (default 0 = one per core)
#   PORT        (default 5099)
#   SKIP_BUILD=1  use what is in BUILD_DIR
# Results: $BUILD_DIR/bench-results/server-<timestamp>/summary.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-server}
SHARED=${SHARED_DIR:-$ROOT/../shared}
DURATION=${DURATION:-20}
TOTAL=${TOTAL:-10000}
THREADS=${THREADS:-0}
PORT=${PORT:-5099}
OUT=$BUILD/bench-results/server-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
log() { echo "[run_server_bench] $*" >&2; }

command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }
PHOTO=$SHARED/data/faces/face_recognition/examples/obama-480p.jpg
[[ -f $PHOTO ]] || { echo "$PHOTO not found (set SHARED_DIR)" >&2; exit 1; }
if [[ -z ${SKIP_BUILD:-} ]]; then
  [[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target facekit_cli facekit_server_bench >/dev/null
fi

log "anchor: in-process represent, 1 thread"
"$BUILD/facekit_server_bench" "$PHOTO" "$OUT" 30 | tee "$OUT/anchor.txt"
anchor_ms=$(awk '/^anchor_median_ms/{print $2}' "$OUT/anchor.txt")

"$BUILD/facekit" serve --port "$PORT" --threads "$THREADS" >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$server/status"; }
URL=http://127.0.0.1:$PORT/represent
export BODY=$OUT/represent.json

run_wrk() {  # NAME CONNECTIONS SECONDS
  wrk -t1 -c"$2" -d"$3"s --timeout 60s -s "$ROOT/bench/wrk_post.lua" "$URL" >"$OUT/$1.txt" 2>&1
  grep '^RESULT' "$OUT/$1.txt" | sed "s/^RESULT/$1/" || { cat "$OUT/$1.txt" >&2; exit 1; }
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# The first 100 requests (4 at a time), then the memory baseline.
warm_failed=$(seq 100 | xargs -P4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
  --data-binary "@$BODY" "$URL" | grep -vc '^200$' || true)
done_requests=100
errors=$warm_failed
rss_first=$(rss_kib)
log "after $done_requests requests: RSS $rss_first KiB"

declare -A rps p50 p99
for c in 1 4 16; do
  line=$(run_wrk "c$c" "$c" "$DURATION")
  log "$line"
  rps[$c]=$(field "$line" rps); p50[$c]=$(field "$line" p50_ms); p99[$c]=$(field "$line" p99_ms)
  done_requests=$((done_requests + $(field "$line" requests)))
  errors=$((errors + $(field "$line" errors) + $(field "$line" non2xx)))
done
# On to TOTAL at 16 connections, in rounds sized from the measured rate (wrk runs for a time, not a count).
round=0
while ((done_requests < TOTAL)); do
  round=$((round + 1))
  seconds=$(awk -v n=$((TOTAL - done_requests)) -v r="${rps[16]}" 'BEGIN{s = int(n / r) + 2; print (s > 600) ? 600 : s}')
  log "soak round $round: $((TOTAL - done_requests)) more requests, ${seconds}s at 16 connections"
  line=$(run_wrk "soak$round" 16 "$seconds")
  done_requests=$((done_requests + $(field "$line" requests)))
  errors=$((errors + $(field "$line" errors) + $(field "$line" non2xx)))
done
rss_last=$(rss_kib)
growth=$(awk -v a="$rss_first" -v b="$rss_last" 'BEGIN{printf "%.1f", 100 * (b - a) / a}')
flat=$(awk -v g="$growth" 'BEGIN{print (g <= 10 && g >= -10) ? "yes" : "NO"}')

workers=$THREADS; [[ $workers == 0 ]] && workers=$(nproc)
{
  echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); server workers: $workers (1 engine thread each); model: faceapi-resnet, detector dlib-hog:upsample=0 (defaults)"
  echo "anchor: facekit::represent in-process, 1 thread, no HTTP: median ${anchor_ms} ms (= $(awk -v m="$anchor_ms" 'BEGIN{printf "%.2f", 1000 / m}') req/s)"
  echo
  echo "| connections | req/s | x anchor rate | p50 ms | p99 ms | p50 / anchor |"
  echo "|---|---|---|---|---|---|"
  for c in 1 4 16; do
    awk -v c="$c" -v r="${rps[$c]}" -v p="${p50[$c]}" -v q="${p99[$c]}" -v m="$anchor_ms" \
      'BEGIN{printf "| %d | %.2f | %.2f | %.1f | %.1f | %.2f |\n", c, r, r * m / 1000, p, q, p / m}'
  done
  echo
  echo "requests: $done_requests, errors (socket or non-2xx): $errors"
  echo "resident memory: $rss_first KiB after the first 100 requests, $rss_last KiB after $done_requests ($growth%; within 10%: $flat)"
} | tee "$OUT/summary.md"
[[ $errors == 0 && $flat == yes ]]
