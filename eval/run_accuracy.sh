#!/usr/bin/env bash
# Regenerates docs/accuracy.md: `facekit eval pairs` (10-fold protocol) for each configuration below
# on LFW (shared/data/faces/lfw, grayscale and pre-aligned) and on the smaller pair sets.
# Embeddings are cached in build/eval-cache/, so a rerun only embeds what changed.
# usage: bash eval/run_accuracy.sh [SHARED_DIR]   (default ../shared)
# FACEKIT_BIN (default build/facekit), FACEKIT_EVAL_CACHE (default build/eval-cache) and
# FACEKIT_EVAL_OUT (default build/eval-results) point it at another build and cache folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared=${1:-../shared}
facekit=${FACEKIT_BIN:-build/facekit}
cache=${FACEKIT_EVAL_CACHE:-build/eval-cache}
out=${FACEKIT_EVAL_OUT:-build/eval-results}
mkdir -p "$out" "$cache"
[[ -x $facekit ]] || { echo "build facekit first (bash scripts/setup.sh)" >&2; exit 1; }
[[ -d $shared/data/faces ]] || { echo "no shared data at $shared" >&2; exit 1; }

# Where the detector finds no face (the grey pre-aligned crops defeat dlib's HOG on ~0.5% of LFW):
# BlazeFace, then the whole image. Each detector's embeddings are cached apart, so only those images
# are embedded again when the chain changes.
fallback="blazeface,none"
# name | model | detector | landmarker | align
configs=(
  "default|faceapi-resnet|dlib-hog:upsample=0|dlib68|5point"
  "hog-up1|faceapi-resnet|dlib-hog|dlib68|5point"
  "blazeface|faceapi-resnet|blazeface|dlib68|5point"
  "ssd-faceapi68|faceapi-resnet|ssd|faceapi68|auto"
  "flip|faceapi-resnet:flip=1|dlib-hog:upsample=0|dlib68|5point"
  "jitter10|faceapi-resnet:jitter=10|dlib-hog:upsample=0|dlib68|5point"
  "jitter30|faceapi-resnet:jitter=30|dlib-hog:upsample=0|dlib68|5point"
  "views-flip|faceapi-resnet:flip=1|dlib-hog:upsample=0|dlib68+faceapi68-tiny|5point"
  "faceres|faceres|dlib-hog:upsample=0|dlib68|arcface:size=224"
  "mobileface|mobileface|dlib-hog:upsample=0|dlib68|arcface"
)
pairsets=(
  "lfw|$shared/data/faces/lfw/pairs.csv"
  "face_recognition|$shared/data/faces/face_recognition/pairs_all.csv"
  "faceapi-js|$shared/data/faces/faceapi-js/pairs_all.csv"
  "dlib-johns|$shared/data/faces/dlib/pairs_johns_all.csv"
)
for c in "${configs[@]}"; do
  IFS='|' read -r name model detector landmarker align <<<"$c"
  for p in "${pairsets[@]}"; do
    IFS='|' read -r set csv <<<"$p"
    # Pre-aligned crops (faceapi-js 150x150, dlib johns 150x150 chips) are often too tight for the
    # detector: the fallback chain handles them as it does LFW's misses.
    echo "== $name on $set" >&2
    "$facekit" eval pairs --pairs "$csv" --model "$model" --detector "$detector" --landmarker "$landmarker" \
      --align "$align" --fallback "$fallback" --cache "$cache/$name.jsonl" --json --quiet >"$out/$name.$set.json"
  done
done
# Alignment of the human-models embedders, compared on a 600-pair subset (every 10th pair: 60 per fold).
subset="$out/lfw-sub600.csv"
awk -F, 'NR == 1 || (NR - 2) % 10 == 0' "$shared/data/faces/lfw/pairs.csv" >"$subset"
for model in mobilefacenet mobileface; do
  for align in arcface 5point:size=112 none; do
    echo "== alignment: $model $align on the lfw subset" >&2
    "$facekit" eval pairs --pairs "$subset" --root "$shared/data/faces/lfw" --model "$model" \
      --detector dlib-hog:upsample=0 --landmarker dlib68 --align "$align" --fallback "$fallback" \
      --cache "$cache/align-$model.jsonl" \
      --json --quiet >"$out/align-$model-${align//[:=]/_}.sub600.json"
  done
done
# Test-time augmentation of faceapi-resnet beyond flip=1, on the same subset.
for v in "plain|default|faceapi-resnet" "flip|flip|faceapi-resnet:flip=1"; do
  IFS='|' read -r name cached model <<<"$v"
  echo "== tta: $model on the lfw subset" >&2
  "$facekit" eval pairs --pairs "$subset" --root "$shared/data/faces/lfw" --model "$model" \
    --detector dlib-hog:upsample=0 --landmarker dlib68 --align auto --fallback "$fallback" \
    --cache "$cache/$cached.jsonl" \
    --json --quiet >"$out/tta-$name.sub600.json"
done
# The ensemble: members' distances combined by a logistic regression, cross-fitted over the 10 folds;
# the combiner fitted on all LFW pairs is the shipped file. Its cache is the members' caches merged
# (keys name the model and the alignment "auto" resolves to, so the matrix rows' entries are reused).
members="faceapi-resnet:jitter=30:cosine,faceapi-resnet:jitter=30:euclidean,faceres:cosine,faceres:euclidean"
members+=",mobileface:cosine,mobileface:euclidean"
cat "$cache/jitter30.jsonl" "$cache/faceres.jsonl" "$cache/mobileface.jsonl" >"$cache/ensemble.jsonl"
echo "== ensemble on lfw" >&2
"$facekit" eval pairs --pairs "$shared/data/faces/lfw/pairs.csv" --model ensemble --members "$members" \
  --fallback "$fallback" --cache "$cache/ensemble.jsonl" \
  --save-ensemble data/ensemble/lfw-resnet-jitter-faceres-mobileface.v3.json \
  --json --quiet >"$out/ensemble.lfw.json"
# Gradient boosting against the logistic regression on the same members, both cross-fitted (a few minutes).
echo "== boosting check on lfw" >&2
python3 eval/boosting_check.py "$shared/data/faces/lfw/pairs.csv" "$shared/data/faces/lfw" "$cache" \
  >"$out/boosting.lfw.jsonl"
python3 eval/accuracy_table.py "$out" "${configs[@]}" >docs/accuracy.md
echo "wrote docs/accuracy.md" >&2
