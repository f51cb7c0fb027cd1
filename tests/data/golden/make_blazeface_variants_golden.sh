#!/usr/bin/env bash
# Raw outputs of the BlazeFace variants (human-models blazeface-front, facemesh-detection-short,
# facemesh-detection-full) on the reference's synthetic pattern, by upstream tfjs 4.22.0 (WASM backend)
# through shared/reference/human_ref.js. Those models have no input convention in human_models.js, so
# the input is written here: x[y, x, c] = float32(v / 127.5 - 1), v = (7y + 3x + 11c) % 256, RGB NHWC
# (the -1..1 range of human's blazeface.ts). blazeface-back has the same weights as blazeface, covered
# by shared/reference/golden/human_blazeface.json.
#
# usage: bash tests/data/golden/make_blazeface_variants_golden.sh [SHARED_DIR]
# Needs Node >= 18 and network access for the temporary `npm ci` (about 590 MB, removed afterwards).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARED=${1:-$HERE/../../../../shared}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SHARED/reference" "$WORK/"
cd "$WORK/reference"
rm -rf node_modules golden
npm ci --ignore-scripts >/dev/null
for size in 128 192; do
  python3 - "$size" "$WORK/synthetic_$size.f32" <<'PY'
import struct, sys
size, path = int(sys.argv[1]), sys.argv[2]
with open(path, "wb") as f:
    for y in range(size):
        for x in range(size):
            for c in range(3):
                f.write(struct.pack("<f", ((7 * y + 3 * x + 11 * c) % 256) / 127.5 - 1))
PY
done
for model in blazeface-front:128 facemesh-detection-short:128 facemesh-detection-full:192; do
  name=${model%:*} size=${model#*:}
  node human_ref.js --model "$name" --input "$WORK/synthetic_$size.f32" --shape "1,$size,$size,3" \
    --out "$HERE/human_$name.json"
done
