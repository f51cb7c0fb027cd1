#!/usr/bin/env python3
"""Per-model sanity figures for docs/analysis.md on labelled photos from ../shared:
gender over the face-api.js example crops (amy, bernadette, penny: Woman; howard, leonard, raj,
sheldon, stuart: Man) and emotion over its 7 expression photos.
usage: eval/analysis_sanity.py BUILD_DIR [SHARED_DIR]"""
import json
import os
import subprocess
import sys

build = sys.argv[1]
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
images = os.path.join(shared, "data/faces/faceapi-js/examples/images")
cli = os.path.join(build, "facekit")
WOMEN, MEN = ["amy", "bernadette", "penny"], ["howard", "leonard", "raj", "sheldon", "stuart"]
EXPRESSIONS = {"angry": "angry", "disgusted": "disgust", "fearful": "fear", "happy": "happy",
               "neutral": "neutral", "sad": "sad", "surprised": "surprise"}


def analyze(paths, action, model, detector):
    cmd = [cli, "analyze", "--json", "--actions", action, "--models", model, "--detector", detector,
           "--allow-no-face"] + paths
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    faces = {}
    for line in out.splitlines():
        face = json.loads(line)
        faces.setdefault(face["img"], face)  # first (most confident) face per image
    return faces


def gender_table(detector):
    print(f"\ngender, detector `{detector}` (crops are 150x150 grey; with no face found the whole crop is used)\n")
    print("| model | " + " | ".join(WOMEN + MEN) + " | worst class |")
    print("|---|" + "---|" * (len(WOMEN) + len(MEN) + 1))
    for model in ["faceapi-age-gender", "gear", "faceres", "ssrnet-gender"]:
        cells, worst = [], 1.0
        for person in WOMEN + MEN:
            folder = os.path.join(images, person)
            paths = sorted(os.path.join(folder, f) for f in os.listdir(folder))
            faces = analyze(paths, "gender", model, detector)
            want = "Woman" if person in WOMEN else "Man"
            right = sum(faces[p]["dominant_gender"] == want for p in paths)
            worst = min(worst, right / len(paths))
            cells.append(f"{right}/{len(paths)}")
        print(f"| {model} | " + " | ".join(cells) + f" | {worst:.0%} |")


def emotion_table(detector):
    print(f"\nemotion, detector `{detector}`\n")
    print("| model | " + " | ".join(EXPRESSIONS) + " | right |")
    print("|---|" + "---|" * (len(EXPRESSIONS) + 1))
    for model in ["faceapi-expression", "emotion"]:
        paths = [os.path.join(images, name + ".jpg") for name in EXPRESSIONS]
        faces = analyze(paths, "emotion", model, detector)
        got = [faces[p]["dominant_emotion"] for p in paths]
        right = sum(g == want for g, want in zip(got, EXPRESSIONS.values()))
        print(f"| {model} | " + " | ".join(got) + f" | {right}/7 |")


for det in ["none", "dlib-hog:upsample=0", "ssd"]:
    gender_table(det)
for det in ["dlib-hog:upsample=0", "ssd"]:
    emotion_table(det)
