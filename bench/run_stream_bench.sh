#!/usr/bin/env bash
# `facekit stream` end to end on the two example clips (issue: real time), detection on every frame:
#   1. detector recall: each candidate (on a downscaled copy of the frame) against the stills default,
#      dlib-hog:upsample=0, on the full-resolution frames (facekit_video_recall; IoU >= 0.5, one to one);
#   2. end-to-end fps and per-stage times of `facekit stream --every 1` with a gallery of the two
#      reference faces of the hamilton clip, for the same candidates. The anchor, measured in the
#      same run, is the default detector at full resolution: each fps is also given as a ratio to it.
#
# usage: bash bench/run_stream_bench.sh
# environment:
#   BUILD_DIR   build directory with the facekit CLI and facekit_video_recall (default <repo>/build)
#   SHARED_DIR  the shared folder (default <repo>/../shared)
#   THREADS     engine threads for `facekit stream` (default 1, the CLI's default; 0 = all cores)
#   CANDIDATES  "SPEC@LONG_SIDE ..." (default below); LONG_SIDE 0 = full resolution
#   SKIP_RECALL=1  only the fps part
# Output: a markdown table on stdout; raw JSON in $BUILD_DIR/stream-bench/<timestamp>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SHARED=${SHARED_DIR:-$ROOT/../shared}
THREADS=${THREADS:-1}
CANDIDATES=${CANDIDATES:-"dlib-hog:upsample=0@0 hog-cascade@0 dlib-hog:upsample=0@640 blazeface@640 tiny:input_size=416@0 tiny:input_size=608@0 ssd@0"}
OUT=$BUILD/stream-bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
FACEKIT=$BUILD/facekit
RECALL=$BUILD/facekit_video_recall
[[ -x "$FACEKIT" ]] || { echo "no $FACEKIT (build facekit_cli)" >&2; exit 1; }

EXAMPLES=$SHARED/data/faces
CLIPS=("$EXAMPLES/face_recognition/examples/short_hamilton_clip.mp4" "$EXAMPLES/facenet-pytorch/examples/video.mp4")

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores;" \
  "facekit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo export); stream engine threads: $THREADS (0 = all);" \
  "model faceapi-resnet, 5point, dlib68"

# Gallery: the two reference faces of the hamilton clip (face_recognition's facerec_from_video_file.py).
GALLERY=$OUT/hamilton.gallery
"$FACEKIT" gallery create "$GALLERY" >/dev/null
"$FACEKIT" gallery add "$GALLERY" --identity lin-manuel-miranda --quiet \
  "$EXAMPLES/face_recognition/examples/lin-manuel-miranda.png" >/dev/null
"$FACEKIT" gallery add "$GALLERY" --identity alex-lacamoire --quiet \
  "$EXAMPLES/face_recognition/examples/alex-lacamoire.png" >/dev/null

if [[ "${SKIP_RECALL:-0}" != 1 && -x "$RECALL" ]]; then
  for clip in "${CLIPS[@]}"; do
    echo
    echo '```'
    # shellcheck disable=SC2086
    "$RECALL" "$clip" $CANDIDATES | tee "$OUT/recall-$(basename "$clip").txt"
    echo '```'
  done
fi

echo
echo "| clip | detector | detect long side | fps | x anchor | decode | detect | track | embed | search (ms/frame) | tracks | switches |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for clip in "${CLIPS[@]}"; do
  anchor=""
  for cand in $CANDIDATES; do
    spec=${cand%@*}
    side=${cand##*@}
    json=$OUT/stream-$(basename "$clip")-${spec//[:=,]/_}-$side.json
    "$FACEKIT" stream --source "$clip" --gallery "$GALLERY" --detector "$spec" --detect-size "$side" --every 1 \
      --threads "$THREADS" --json >"$json"
    fps=$(jq -r .fps "$json")
    [[ -n "$anchor" ]] || anchor=$fps
    jq -r --arg clip "$(basename "$clip")" --arg spec "$spec" --arg side "$side" --argjson anchor "$anchor" \
      '"| \($clip) | \($spec) | \(if $side == "0" then "full" else $side end) | \(.fps) | \((.fps / $anchor * 100 | round) / 100) | " +
       ([.stages.decode, .stages.detect, .stages.track, .stages.embed, .stages.search] | map(.ms_per_frame | tostring) | join(" | ")) +
       " | \(.tracks) | \(.identity_switches) |"' "$json"
  done
done
