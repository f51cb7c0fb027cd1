#!/usr/bin/env bash
# Regenerates docs/accuracy.md: `facekit eval pairs` (10-fold protocol) for each configuration below
# on LFW (shared/data/faces/lfw, grayscale and pre-aligned) and on the smaller pair sets.
# Embeddings are cached in build/eval-cache/, so a rerun only embeds what changed.
# usage: bash eval/run_accuracy.sh [SHARED_DIR]   (default ../shared)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared=${1:-../shared}
facekit=build/facekit
out=build/eval-results
mkdir -p "$out" build/eval-cache
[[ -x $facekit ]] || { echo "build facekit first (bash scripts/setup.sh)" >&2; exit 1; }
[[ -d $shared/data/faces ]] || { echo "no shared data at $shared" >&2; exit 1; }

# name | model | detector | landmarker | align
configs=(
  "default|faceapi-resnet|dlib-hog:upsample=0|dlib68|5point"
  "hog-up1|faceapi-resnet|dlib-hog|dlib68|5point"
  "blazeface|faceapi-resnet|blazeface|dlib68|5point"
  "ssd-faceapi68|faceapi-resnet|ssd|faceapi68|auto"
  "flip|faceapi-resnet:flip=1|dlib-hog:upsample=0|dlib68|5point"
  "faceres|faceres|dlib-hog:upsample=0|dlib68|auto"
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
    # Pre-aligned crops (faceapi-js 150x150, dlib johns 150x150 chips) are too tight for detectors:
    # the documented fallback treats the whole image as the face box.
    echo "== $name on $set" >&2
    "$facekit" eval pairs --pairs "$csv" --model "$model" --detector "$detector" --landmarker "$landmarker" \
      --align "$align" --cache "build/eval-cache/$name.jsonl" --json --quiet >"$out/$name.$set.json"
  done
done
# The ensemble: members' distances combined by a logistic regression, cross-fitted over the 10 folds;
# the combiner fitted on all LFW pairs is the shipped file. Its cache is the members' caches merged.
members="faceapi-resnet:cosine,faceapi-resnet:euclidean,faceres:cosine,faceres:euclidean"
cat build/eval-cache/default.jsonl build/eval-cache/faceres.jsonl >build/eval-cache/ensemble.jsonl
echo "== ensemble on lfw" >&2
"$facekit" eval pairs --pairs "$shared/data/faces/lfw/pairs.csv" --model ensemble --members "$members" \
  --cache build/eval-cache/ensemble.jsonl --save-ensemble data/ensemble/lfw-faceapi-resnet-faceres.v1.json \
  --json --quiet >"$out/ensemble.lfw.json"
python3 eval/accuracy_table.py "$out" "${configs[@]}" >docs/accuracy.md
echo "wrote docs/accuracy.md" >&2
