#!/usr/bin/env bash
# Single-thread speed of facekit against two anchors measured in the same run:
#   dlib   - dlib's own C++ ResNet-29 (shared/reference/dlib_resnet_bench.cpp), the net FaceRecognitionNet ports
#   tfjs   - the face-api.js nets on tfjs-wasm in Node (shared/reference/bench_ref.js), one thread
# plus the wall time of a cold `facekit verify` process. See docs/benchmarks.md.
#
# usage: bash bench/run_bench.sh
# environment:
#   BUILD_DIR    build directory (default <repo>/build-bench; configured here if it is not yet)
#   SHARED_DIR   the shared folder with reference/ and data/ (default <repo>/../shared)
#   RUNS WARMUP  timed / warm-up runs per net (default 30 / 5), facekit and tfjs alike
#   ROUNDS       rounds of (facekit_bench, dlib, tfjs) back to back (default 3); each figure in the table is
#                the median over the clean rounds (cpu/wall CPW_LO..CPW_HI, default 0.9..1.25) of that
#                round's min / median: rounds slowed by other load on the machine are left out
#   QUIET_WAIT   before each round wait up to this many seconds until the other processes on the machine use
#                less than QUIET_BUSY (default 0.25) of all cores (from /proc/stat over 2 s); default 0 = no wait
#   VERIFY_RUNS  cold `facekit verify` processes to time (default 5)
#   JOBS         build parallelism (default 2)
#   BENCH_COMMIT what to print as the commit when ROOT is an export (git archive) rather than a checkout
#   SKIP_BUILD=1 use what is in BUILD_DIR;  SKIP_DLIB=1 / SKIP_TFJS=1 leave an anchor out
# Raw logs and summary.txt go to $BUILD_DIR/bench-results/<timestamp>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-bench}
SHARED=${SHARED_DIR:-$ROOT/../shared}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-5}
ROUNDS=${ROUNDS:-3}
VERIFY_RUNS=${VERIFY_RUNS:-5}
QUIET_WAIT=${QUIET_WAIT:-0}
QUIET_BUSY=${QUIET_BUSY:-0.25}
JOBS=${JOBS:-2}
REF=$SHARED/reference
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$BUILD/bench-results/$STAMP
mkdir -p "$OUT"

log() { echo "[run_bench] $*" >&2; }
# shellcheck source=bench/tfjs_ref.sh
source "$ROOT/bench/tfjs_ref.sh"
skipped=()

# ---- build -------------------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    log "configuring $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  fi
  log "building facekit_bench and the facekit CLI in $BUILD"
  cmake --build "$BUILD" -j"$JOBS" --target facekit_bench facekit_cli >"$OUT/build.log" 2>&1 \
    || { tail -40 "$OUT/build.log"; log "build failed (log: $OUT/build.log)"; exit 1; }
fi
[[ -x "$BUILD/facekit_bench" ]] || { log "no $BUILD/facekit_bench"; exit 1; }

# dlib anchor binary: the reference source, copied (the shared folder may be read-only), built with its own line.
DLIB_BIN=""
if [[ "${SKIP_DLIB:-0}" == 1 ]]; then
  skipped+=("anchor dlib: SKIP_DLIB=1")
elif [[ ! -f "$REF/dlib_resnet_bench.cpp" ]]; then
  skipped+=("anchor dlib: $REF/dlib_resnet_bench.cpp not found")
elif ! pkg-config --exists dlib-1; then
  skipped+=("anchor dlib: pkg-config does not know dlib-1 (install libdlib-dev)")
else
  mkdir -p "$BUILD/anchors"
  if ! cmp -s "$REF/dlib_resnet_bench.cpp" "$BUILD/anchors/dlib_resnet_bench.cpp" || [[ ! -x "$BUILD/anchors/dlib_resnet_bench" ]]; then
    rm -f "$BUILD/anchors/dlib_resnet_bench.cpp"
    cp "$REF/dlib_resnet_bench.cpp" "$BUILD/anchors/dlib_resnet_bench.cpp"
    log "building the dlib anchor (g++ -O3 -march=native, a minute or two)"
    # shellcheck disable=SC2046
    if ! g++ -O3 -march=native "$BUILD/anchors/dlib_resnet_bench.cpp" $(pkg-config --cflags --libs dlib-1) \
         -o "$BUILD/anchors/dlib_resnet_bench" >"$OUT/dlib-build.log" 2>&1; then
      rm -f "$BUILD/anchors/dlib_resnet_bench"
      skipped+=("anchor dlib: build failed (see $OUT/dlib-build.log)")
    fi
  fi
  [[ -x "$BUILD/anchors/dlib_resnet_bench" ]] && DLIB_BIN=$BUILD/anchors/dlib_resnet_bench
fi

# tfjs anchor: copy of reference/ with node_modules installed once and cached under $BUILD/tfjs-ref.
TFJS_DIR=""
TFJS_GOLDEN=0
if [[ "${SKIP_TFJS:-0}" == 1 ]]; then
  skipped+=("anchor tfjs-wasm: SKIP_TFJS=1")
elif [[ ! -f "$REF/bench_ref.js" ]]; then
  skipped+=("anchor tfjs-wasm: $REF/bench_ref.js not found")
else
  TFJS_DIR=$(install_tfjs_ref "$BUILD" "$REF" "$OUT") || TFJS_DIR=""
  if [[ -z "$TFJS_DIR" ]]; then
    if [[ -f "$REF/golden/bench_wasm_1thread.json" ]] && command -v python3 >/dev/null; then
      log "node/npm unavailable or npm ci failed: falling back to the RECORDED tfjs figures (another run)"
      TFJS_GOLDEN=1
    else
      skipped+=("anchor tfjs-wasm: node/npm unavailable and no recorded figures")
    fi
  fi
fi

# ---- measure -------------------------------------------------------------------------------------------
# Every figure goes to $OUT/measurements.tsv as: round source net stat value
#   source facekit|dlib|tfjs; net embed|detect|landmarks; stat min|median|max|cpu_per_wall|batch16
M=$OUT/measurements.tsv
: >"$M"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)

tf_field() {  # tf_field JSON NET FIELD -> results["face-api/NET"].FIELD
  if command -v python3 >/dev/null; then
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"].get("face-api/" + sys.argv[2], {})
print(r.get(sys.argv[3], ""))' "$1" "$2" "$3"
  else
    node -e 'const r = require(process.argv[1]).results["face-api/" + process.argv[2]] || {};
console.log(r[process.argv[3]] ?? "");' "$1" "$2" "$3"
  fi
}
record_tfjs() {  # record_tfjs ROUND JSON
  local net key stat v
  for net in embed:faceRecognitionNet detect:ssdMobilenetv1 landmarks:faceLandmark68Net; do
    key=${net#*:}
    for stat in min median max cpu_per_wall; do
      case $stat in cpu_per_wall) v=$(tf_field "$2" "$key" cpu_per_wall) ;; *) v=$(tf_field "$2" "$key" "${stat}_ms") ;; esac
      [[ -n "$v" ]] && echo "$1 tfjs ${net%%:*} $stat $v" >>"$M"
    done
  done
  return 0
}

busy() {  # fraction of all cores busy over 2 s (/proc/stat: user nice system idle iowait irq softirq steal)
  local a b
  a=$(head -1 /proc/stat); sleep 2; b=$(head -1 /proc/stat)
  echo "$a $b" | awk '{ for (i = 2; i <= 9; i++) { t0 += $i; t1 += $(i + 11) }
    i0 = $5 + $6; i1 = $16 + $17; printf "%.2f", 1 - (i1 - i0) / (t1 - t0) }'
}
wait_quiet() {
  [[ "$QUIET_WAIT" -gt 0 ]] || return 0
  local t0=$SECONDS b
  while :; do
    b=$(busy)
    awk -v b="$b" -v q="$QUIET_BUSY" 'BEGIN { exit !(b < q) }' && { log "machine quiet (busy $b)"; return 0; }
    (( SECONDS - t0 >= QUIET_WAIT )) && { log "still busy ($b) after ${QUIET_WAIT}s: measuring anyway"; return 0; }
    log "machine busy ($b of all cores), waiting for it to drop below $QUIET_BUSY"
    sleep 8
  done
}

for ((r = 1; r <= ROUNDS; r++)); do
  wait_quiet
  log "round $r/$ROUNDS: facekit_bench (threads 1, $WARMUP warm-up + $RUNS timed runs per net)"
  "$BUILD/facekit_bench" --threads 1 --runs "$RUNS" --warmup "$WARMUP" | tee "$OUT/facekit-$r.txt" >&2
  awk -v r="$r" '$1 == "RESULT" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      print r, "facekit", f["case"], "min", f["min_ms"]; print r, "facekit", f["case"], "median", f["median_ms"]
      print r, "facekit", f["case"], "max", f["max_ms"]; print r, "facekit", f["case"], "cpu_per_wall", f["cpu_per_wall"]
    }' "$OUT/facekit-$r.txt" >>"$M"

  if [[ -n "$DLIB_BIN" ]]; then
    log "round $r/$ROUNDS: dlib anchor (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)"
    TIMEFORMAT='%R %U %S'
    { time OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$DLIB_BIN" >"$OUT/dlib-$r.txt" 2>&1; } 2>"$OUT/dlib-time-$r.txt"
    cat "$OUT/dlib-$r.txt" >&2
    v=$(sed -n 's/.*best of [0-9]*: \([0-9.eE+-]*\) ms.*/\1/p' "$OUT/dlib-$r.txt")
    [[ -n "$v" ]] && echo "$r dlib embed min $v" >>"$M"
    v=$(sed -n 's/^batch 16: \([0-9.eE+-]*\) ms\/face.*/\1/p' "$OUT/dlib-$r.txt")
    [[ -n "$v" ]] && echo "$r dlib embed batch16 $v" >>"$M"
    # whole process (net set-up and the batch included): ~1.0 = one thread, never waiting
    awk -v r="$r" '$1 > 0 { printf "%s dlib embed cpu_per_wall %.3f\n", r, ($2 + $3) / $1 }' "$OUT/dlib-time-$r.txt" >>"$M"
  fi

  if [[ -n "$TFJS_DIR" ]]; then
    log "round $r/$ROUNDS: tfjs-wasm anchor (bench_ref.js --threads 1; it also times 4 face-api nets not compared here)"
    if (cd "$TFJS_DIR" && node bench_ref.js --threads 1 --runs "$RUNS" --warmup "$WARMUP" --human , --out "$OUT/tfjs-$r.json") \
         >"$OUT/tfjs-$r.txt" 2>&1; then
      cat "$OUT/tfjs-$r.txt" >&2
      record_tfjs "$r" "$OUT/tfjs-$r.json"
    else
      cat "$OUT/tfjs-$r.txt" >&2
      log "tfjs round $r failed (see $OUT/tfjs-$r.txt)"
    fi
  fi
done
if [[ "$TFJS_GOLDEN" == 1 ]]; then  # the same recorded figures stand in for every round
  for ((r = 1; r <= ROUNDS; r++)); do record_tfjs "$r" "$REF/golden/bench_wasm_1thread.json"; done
fi
[[ -n "$DLIB_BIN" ]] && ! grep -q ' dlib embed min ' "$M" && skipped+=("anchor dlib: ran but its output could not be parsed ($OUT/dlib-1.txt)")
[[ -n "$TFJS_DIR" ]] && ! grep -q ' tfjs ' "$M" && skipped+=("anchor tfjs-wasm: bench_ref.js failed in every round ($OUT/tfjs-*.txt)")

# Cold `facekit verify`: the whole process (start, model loading from disk, two decodes, two pipelines).
IMG_DIR=$SHARED/data/faces/face_recognition/tests/test_images
verify_stats() {  # verify_stats THREADS -> "min median max" wall ms of VERIFY_RUNS processes
  local t=() i s e
  for ((i = 0; i < VERIFY_RUNS; i++)); do
    s=$(date +%s%N)
    "$BUILD/facekit" verify --threads "$1" "$IMG_DIR/obama.jpg" "$IMG_DIR/obama2.jpg" >>"$OUT/verify-t$1.txt" 2>&1 \
      || { log "facekit verify failed (see $OUT/verify-t$1.txt)"; return 1; }
    e=$(date +%s%N)
    t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f", v[1] / 1000, m / 1000, v[NR] / 1000 }'
}
VERIFY1="" VERIFYN=""
if [[ -f "$IMG_DIR/obama.jpg" && -f "$IMG_DIR/obama2.jpg" && -x "$BUILD/facekit" ]]; then
  log "cold facekit verify obama.jpg obama2.jpg: $VERIFY_RUNS processes with --threads 1, $VERIFY_RUNS with --threads 0 (all cores)"
  VERIFY1=$(verify_stats 1) || VERIFY1=""
  VERIFYN=$(verify_stats 0) || VERIFYN=""
else
  skipped+=("cold verify timing: $IMG_DIR/obama.jpg, obama2.jpg or $BUILD/facekit missing")
fi
LOAD_END=$(loadavg)

# ---- report --------------------------------------------------------------------------------------------
# A (round, source, net) is "clean" when its cpu/wall is within CPW_LO..CPW_HI: one thread, busy all the time.
# On a shared machine other load shows up as cpu/wall well below 1; such rounds are left out of the table
# (when every round of a source/net is contended, all are used and the row is flagged).
CPW_LO=${CPW_LO:-0.9} CPW_HI=${CPW_HI:-1.25}
agg() {  # agg SOURCE NET STAT -> median over the clean rounds (all rounds if none is clean; "" if never measured)
  awk -v s="$1" -v n="$2" -v t="$3" -v lo="$CPW_LO" -v hi="$CPW_HI" '
    $2 == s && $3 == n && $4 == "cpu_per_wall" { c[$1] = $5 }
    $2 == s && $3 == n && $4 == t { r[++k] = $1; x[k] = $5 }
    END {
      if (!k) exit
      for (i = 1; i <= k; i++) if (!(r[i] in c) || (c[r[i]] >= lo && c[r[i]] <= hi)) v[++m] = x[i]
      if (!m) for (i = 1; i <= k; i++) v[++m] = x[i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { y = v[i]; v[i] = v[j]; v[j] = y }
      printf "%.2f", m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }' "$M"
}
clean() {  # clean SOURCE NET -> "used/rounds" (rounds whose cpu/wall is clean / rounds measured)
  awk -v s="$1" -v n="$2" -v lo="$CPW_LO" -v hi="$CPW_HI" '$2 == s && $3 == n && $4 == "cpu_per_wall" {
      k++; if ($5 >= lo && $5 <= hi) m++ }
    END { if (k) printf "%d/%d%s", m, k, m ? "" : "!"; else printf "-" }' "$M"
}
per_round() {  # per_round SOURCE_A STAT_A SOURCE_B STAT_B NET -> A/B per round; "!" marks a contended round
  awk -v sa="$1" -v ta="$2" -v sb="$3" -v tb="$4" -v n="$5" -v lo="$CPW_LO" -v hi="$CPW_HI" '
    $3 == n && $4 == "cpu_per_wall" && ($5 < lo || $5 > hi) { bad[$1] = 1 }
    $3 == n && $2 == sa && $4 == ta { a[$1] = $5 } $3 == n && $2 == sb && $4 == tb { b[$1] = $5; if ($1 > m) m = $1 }
    END { for (r = 1; r <= m; r++) if ((r in a) && (r in b) && b[r] > 0) printf "%s%.2f%s", (o++ ? " " : ""), a[r] / b[r], (r in bad) ? "!" : "" }' "$M"
}
xagg() {  # xagg SOURCE_A STAT_A SOURCE_B STAT_B NET -> median over rounds of A/B, using rounds where both are clean
  awk -v sa="$1" -v ta="$2" -v sb="$3" -v tb="$4" -v n="$5" -v lo="$CPW_LO" -v hi="$CPW_HI" '
    $3 == n && $4 == "cpu_per_wall" && ($5 < lo || $5 > hi) { bad[$1] = 1 }
    $3 == n && $2 == sa && $4 == ta { a[$1] = $5 } $3 == n && $2 == sb && $4 == tb { b[$1] = $5 }
    END {
      for (r in a) if ((r in b) && b[r] > 0) { all[++k] = a[r] / b[r]; if (!(r in bad)) ok[++m] = a[r] / b[r] }
      if (!k) { printf "n/a"; exit }
      if (m) { for (i = 1; i <= m; i++) v[i] = ok[i] } else { m = k; for (i = 1; i <= k; i++) v[i] = all[i] }
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { y = v[i]; v[i] = v[j]; v[j] = y }
      printf "%.2f", m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }' "$M"
}
na() { [[ -n "$1" ]] && echo "$1" || echo "n/a"; }
meets() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a" || r == "") print "not measured"; else if (r + 0 >= t + 0) print "MET"; else print "NOT MET" }'; }

{
  echo "facekit single-thread benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "  machine   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(grep -c '^processor' /proc/cpuinfo) logical cores ($(nproc) available)"
  if [[ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)" == "$ROOT" ]] && C=$(git -C "$ROOT" rev-parse --short HEAD); then
    echo "  commit    $C$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (working tree has changes)')"
  else
    echo "  commit    ${BENCH_COMMIT:-unknown} ($ROOT is not a git checkout)"
  fi
  echo "  threads   facekit 1 (set_num_threads(1), OpenBLAS 1; cpu/wall below), dlib OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1, tfjs-wasm --threads 1"
  # OpenBLAS picks its kernels by CPU unless OPENBLAS_CORETYPE says otherwise (facekit and dlib both use it)
  echo "  OpenBLAS  $(sed -n 's/.*(\(OpenBLAS [^)]*\)).*/\1/p' "$OUT/facekit-1.txt" | head -1); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset: detected)}"
  echo "  models    facekit: faceapi-resnet, ssd, faceapi68 from $(sed -n 's/^  models *//p' "$OUT/facekit-1.txt")"
  grep -q ' dlib ' "$M" \
    && echo "            dlib: ResNet-29 (dlib $(pkg-config --modversion dlib-1 2>/dev/null || echo ?) C++, random weights, 150x150, built -O3 -march=native)"
  [[ -n "$TFJS_DIR" ]] \
    && echo "            tfjs: @vladmandic/face-api 1.7.15 nets on @tensorflow/tfjs-backend-wasm 4.22.0 (SIMD), node $(node --version)"
  echo "  runs      $ROUNDS rounds; per round and net $WARMUP warm-up + $RUNS timed (dlib: its own 1 warm-up + best of 20)"
  echo "  loadavg   $LOAD_START at start, $LOAD_END at end"
  if [[ "$TFJS_GOLDEN" == 1 ]]; then
    echo
    echo "  !!!!! tfjs-wasm figures are NOT from this run: node/npm unavailable, using the RECORDED"
    echo "  !!!!! $REF/golden/bench_wasm_1thread.json (another run, possibly another machine)"
  fi
  echo
  echo "  ms: median over the clean rounds (cpu/wall $CPW_LO..$CPW_HI) of each round's min or median"
  printf '  %-20s %-14s %7s %7s %4s %4s   %-9s %7s %7s %4s %4s   %6s %5s\n' net facekit min median c/w ok anchor min median c/w ok "x med" "x min"
  row() {  # row NET MODEL CASE ANCHOR SOURCE
    local fmin fmed fcw amin amed acw xmed
    fmin=$(agg facekit "$3" min) fmed=$(agg facekit "$3" median) fcw=$(agg facekit "$3" cpu_per_wall)
    amin=$(agg "$5" "$3" min) amed=$(agg "$5" "$3" median) acw=$(agg "$5" "$3" cpu_per_wall)
    xmed=$(xagg "$5" median facekit median "$3")
    # dlib prints only its best of 20: the median column compares that best with facekit's median (a lower bound)
    [[ "$5" == dlib ]] && xmed=">=$(xagg dlib min facekit median "$3")"
    printf '  %-20s %-14s %7s %7s %4s %4s   %-9s %7s %7s %4s %4s   %6s %5s\n' "$1" "$2" "$(na "$fmin")" "$(na "$fmed")" \
      "$(na "$fcw")" "$(clean facekit "$3")" "$4" "$(na "$amin")" "$(na "$amed")" "$(na "$acw")" "$(clean "$5" "$3")" \
      "$xmed" "$(xagg "$5" min facekit min "$3")"
  }
  grep -q ' dlib embed min ' "$M" && row "embed 150x150 128-D" faceapi-resnet embed "dlib C++" dlib
  TN=tfjs-wasm; [[ "$TFJS_GOLDEN" == 1 ]] && TN="tfjs REC!"
  if grep -q ' tfjs ' "$M"; then
    row "embed 150x150 128-D" faceapi-resnet embed "$TN" tfjs
    row "SSD detect 512x512" ssd detect "$TN" tfjs
    row "landmarks68 112x112" faceapi68 landmarks "$TN" tfjs
  else
    grep -q ' dlib embed min ' "$M" || row "embed 150x150 128-D" faceapi-resnet embed "(none)" none
    row "SSD detect 512x512" ssd detect "(none)" none
    row "landmarks68 112x112" faceapi68 landmarks "(none)" none
  fi
  echo "  x = anchor ms / facekit ms = facekit's speed-up, per round (facekit and anchor measured a minute apart), then"
  echo "  the median over the rounds where both were clean. c/w = CPU time / wall time over the timed loop (1.0 = one"
  echo "  busy thread; dlib: whole process); ok = clean rounds used / rounds (! = none clean: all used, figures suspect)."
  echo "  dlib reports only its best of 20, so for it 'x med' is dlib best / facekit median, a lower bound."
  B=$(agg dlib embed batch16); [[ -n "$B" ]] && echo "  dlib batch of 16: $B ms/face (facekit has no batched embed; not compared)"
  echo
  echo "  embedding speed-up per round (! = contended round, left out of the table):"
  [[ -n "$(per_round dlib min facekit min embed)" ]] && echo "    dlib best / facekit min:     $(per_round dlib min facekit min embed)"
  [[ -n "$(per_round tfjs median facekit median embed)" ]] && echo "    tfjs / facekit, median:      $(per_round tfjs median facekit median embed)" \
    && echo "    tfjs / facekit, min:         $(per_round tfjs min facekit min embed)"
  echo
  if [[ -n "$VERIFY1" ]]; then
    read -r v1min v1med v1max <<<"$VERIFY1"
    echo "  cold 'facekit verify obama.jpg obama2.jpg' (whole process incl. model loading, wall, $VERIFY_RUNS runs):"
    echo "    --threads 1: median $v1med ms (min $v1min, max $v1max)"
    if [[ -n "$VERIFYN" ]]; then
      read -r vnmin vnmed vnmax <<<"$VERIFYN"
      echo "    all cores:   median $vnmed ms (min $vnmin, max $vnmax)"
    fi
    echo "    output: $(tail -1 "$OUT/verify-t1.txt")"
    echo
  fi
  XD_MIN=$(xagg dlib min facekit min embed)
  XD_LOW=$(xagg dlib min facekit median embed)
  XT_MED=$(xagg tfjs median facekit median embed)
  XT_MIN=$(xagg tfjs min facekit min embed)
  echo "  targets (single-thread embedding):"
  if [[ "$XD_MIN" == n/a ]]; then
    echo "    >= 1.5x faster than dlib:      not measured"
  else
    echo "    >= 1.5x faster than dlib:      $(meets "$XD_MIN" 1.5) (best vs best ${XD_MIN}x; dlib best / facekit median ${XD_LOW}x)"
  fi
  if [[ "$XT_MED" == n/a ]]; then
    echo "    >= 3x faster than tfjs-wasm:   not measured"
  else
    echo "    >= 3x faster than tfjs-wasm:   $(meets "$XT_MED" 3) on medians (${XT_MED}x); $(meets "$XT_MIN" 3) on mins (${XT_MIN}x)$([[ "$TFJS_GOLDEN" == 1 ]] && echo ' -- RECORDED tfjs figures')"
  fi
  if awk -v lo="$CPW_LO" -v hi="$CPW_HI" '$4 == "cpu_per_wall" && ($5 < lo || $5 > hi) { bad = 1 } END { exit !bad }' "$M"; then
    echo "  note: contended (left out unless nothing else): $(awk -v lo="$CPW_LO" -v hi="$CPW_HI" '$4 == "cpu_per_wall" && ($5 < lo || $5 > hi) {
      printf "%sr%s %s %s %.2f", (o++ ? ", " : ""), $1, $2, $3, $5 }' "$M")" | fold -s -w 110 | sed '2,$s/^/        /'
    [[ "$XD_MIN$XT_MED" != n/an/a && "$(clean facekit embed)$(clean dlib embed)$(clean tfjs embed)" == *'!'* ]] \
      && echo "  !!! the embedding targets above rest on contended rounds only: rerun when the machine is quiet (QUIET_WAIT=600)"
  fi
  if [[ ${#skipped[@]} -gt 0 ]]; then
    echo
    for s in "${skipped[@]}"; do echo "  SKIPPED $s"; done
  fi
  echo "  raw logs: $OUT"
} | tee "$OUT/summary.txt"
