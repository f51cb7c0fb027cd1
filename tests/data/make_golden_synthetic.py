#!/usr/bin/env python3
"""Extracts the reference outputs on the synthetic input from shared/reference/golden/faceapi_nets.json
(made by upstream face-api.js on tfjs, see shared/reference/README.md) into golden_synthetic.json, so
the faithfulness test in tests/test_golden_synthetic.cpp can run on a clone without ../shared.

usage: python3 tests/data/make_golden_synthetic.py ../shared/reference/golden/faceapi_nets.json tests/data/golden_synthetic.json
"""
import json
import sys


def main(src, dst):
    nets = json.load(open(src))["nets"]
    ssd = nets["ssdMobilenetv1"]["outputs"]
    scores = ssd["scores"]["values"]
    # The 20 highest-scoring anchors with their decoded boxes: enough to pin detection down
    # without committing all 5118 x 5 values.
    top = sorted(range(len(scores)), key=lambda i: -scores[i])[:20]
    out = {
        "source": "shared/reference/golden/faceapi_nets.json (@vladmandic/face-api 1.7.15 on tfjs 4.22.0 wasm)",
        "generator": "tests/data/make_golden_synthetic.py",
        "input": nets["faceRecognitionNet"]["input"]["formula"],
        "faceRecognitionNet": {"descriptor": nets["faceRecognitionNet"]["outputs"]["descriptor"]["values"]},
        "faceLandmark68Net": {"landmarks_raw": nets["faceLandmark68Net"]["outputs"]["landmarks_raw"]["values"]},
        "ssdMobilenetv1": {
            "anchor_index": top,
            "scores": [scores[i] for i in top],
            "boxes": [ssd["boxes"]["values"][4 * i: 4 * i + 4] for i in top],
        },
    }
    with open(dst, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
