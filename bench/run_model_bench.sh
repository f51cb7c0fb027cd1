#!/usr/bin/env bash
# Every model facekit runs, single thread, against the same model on tfjs-wasm in Node (one thread),
# measured in the same run: rounds of facekit_bench then shared/reference/bench_ref.js, back to back.
#   face-api nets: public API calls (embed 150, SSD 512, TinyFaceDetector 416, 68 landmarks 112: facekit
#                  also does the resize/crop, decoding and NMS that the tfjs timing leaves out)
#   human graphs:  the network alone on a [1,H,W,C] tensor of its input shape, like tfjs execute()
# usage: bash bench/run_model_bench.sh       (docs/benchmarks.md, "Every model")
# environment: BUILD_DIR (default <repo>/build), SHARED_DIR (<repo>/../shared), ROUNDS (2), RUNS (20),
#   WARMUP (3), GRAPHS (the human models compared; default below).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SHARED=${SHARED_DIR:-$ROOT/../shared}
ROUNDS=${ROUNDS:-2}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
GRAPHS=${GRAPHS:-blazeface,facemesh,iris,faceres,mobilefacenet,mobileface,emotion,gear,antispoof,liveness,gender,age}
OUT=$BUILD/bench-results/models-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
# shellcheck source=bench/tfjs_ref.sh
source "$ROOT/bench/tfjs_ref.sh"

[[ -x "$BUILD/facekit_bench" ]] || { echo "no $BUILD/facekit_bench: cmake --build $BUILD --target facekit_bench" >&2; exit 1; }
TFJS_DIR=""
if [[ -f "$SHARED/reference/bench_ref.js" ]]; then
  TFJS_DIR=$(install_tfjs_ref "$BUILD" "$SHARED/reference" "$OUT") || TFJS_DIR=""
fi
[[ -n "$TFJS_DIR" ]] || echo "[run_model_bench] SKIPPED anchor tfjs-wasm (no $SHARED/reference, or node/npm unavailable): facekit figures only" >&2

for ((r = 1; r <= ROUNDS; r++)); do
  echo "[run_model_bench] round $r/$ROUNDS: facekit_bench --threads 1" >&2
  "$BUILD/facekit_bench" --threads 1 --runs "$RUNS" --warmup "$WARMUP" --only embed,detect,landmarks,tiny \
    --graphs "$GRAPHS" >"$OUT/facekit-$r.txt"
  if [[ -n "$TFJS_DIR" ]]; then
    echo "[run_model_bench] round $r/$ROUNDS: bench_ref.js --threads 1" >&2
    (cd "$TFJS_DIR" && node bench_ref.js --threads 1 --runs "$RUNS" --warmup "$WARMUP" --human "$GRAPHS" \
      --out "$OUT/tfjs-$r.json") >"$OUT/tfjs-$r.txt" 2>&1 || echo "[run_model_bench] tfjs round $r failed ($OUT/tfjs-$r.txt)" >&2
  fi
done

python3 - "$OUT" "$ROUNDS" <<'PY' | tee "$OUT/summary.md"
import json, os, platform, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
# facekit case -> tfjs result key
names = {"embed": "face-api/faceRecognitionNet", "detect": "face-api/ssdMobilenetv1",
         "tiny": "face-api/tinyFaceDetector", "landmarks": "face-api/faceLandmark68Net"}
fk, tf = {}, {}
for r in range(1, rounds + 1):
    for line in open(f"{out}/facekit-{r}.txt"):
        if line.startswith("RESULT "):
            kv = dict(p.split("=", 1) for p in line.split()[1:])
            key = kv["case"]
            fk.setdefault(key, []).append((float(kv["median_ms"]), float(kv["min_ms"]), float(kv["cpu_per_wall"])))
    path = f"{out}/tfjs-{r}.json"
    if os.path.exists(path):
        for k, v in json.load(open(path))["results"].items():
            tf.setdefault(k, []).append((v["median_ms"], v["min_ms"], v.get("cpu_per_wall", 0)))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} logical cores; threads: facekit 1, tfjs-wasm 1; rounds {rounds}")
print("ms = median over rounds of each round's median (min); x = tfjs / facekit per round, median over rounds\n")
print("| model | facekit ms median (min) | c/w | tfjs-wasm ms median (min) | x median | x min |")
print("|---|---|---|---|---|---|")
worst = None
for key, runs in fk.items():
    tkey = names.get(key, "human/" + key.split(":", 1)[1] if key.startswith("graph:") else "")
    med = statistics.median(x[0] for x in runs); mn = statistics.median(x[1] for x in runs)
    cw = statistics.median(x[2] for x in runs)
    label = key.split(":", 1)[1] if key.startswith("graph:") else {"embed": "faceapi-resnet", "detect": "ssd", "tiny": "tiny", "landmarks": "faceapi68"}[key]
    if tkey in tf:
        t = tf[tkey][:len(runs)]
        xs = [a[0] / b[0] for a, b in zip(t, runs)]; xm = [a[1] / b[1] for a, b in zip(t, runs)]
        tmed = statistics.median(a[0] for a in t); tmn = statistics.median(a[1] for a in t)
        x, xmin = statistics.median(xs), statistics.median(xm)
        worst = x if worst is None else min(worst, x)
        print(f"| {label} | {med:.2f} ({mn:.2f}) | {cw:.2f} | {tmed:.2f} ({tmn:.2f}) | {x:.2f} | {xmin:.2f} |")
    else:
        print(f"| {label} | {med:.2f} ({mn:.2f}) | {cw:.2f} | n/a | n/a | n/a |")
if worst is not None:
    print(f"\nslowest speed-up (medians): {worst:.2f}x -> target >= 3x on every model: {'MET' if worst >= 3 else 'NOT MET'}")
PY
echo "[run_model_bench] raw logs: $OUT" >&2
