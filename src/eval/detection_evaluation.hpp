// Detector quality against annotated faces (`facekit eval detect`): annotation files, and the greedy
// IoU matching that turns detections into true/false positives and misses.
#pragma once
#include <string>
#include <vector>

#include "facekit/types.hpp"

namespace facekit::eval {

struct AnnotatedImage {
  std::string file;             // as written in the annotation file (relative to its folder or --root)
  std::vector<Rect> faces;      // faces a detector should find
  std::vector<Rect> ignored;    // dlib imglab's ignore='1' boxes: finding them is neither right nor wrong
};

// dlib imglab XML (<image file='..'><box top left width height [ignore='1']/>) or CSV (file,x,y,width,height
// with a header line; one row per face, an image without faces as a row with empty box fields).
// Throws InvalidArgument naming the file and line for anything else.
std::vector<AnnotatedImage> read_face_annotations(const std::string& path);

struct MatchCounts {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  MatchCounts& operator+=(const MatchCounts& o);
};

// Pairs detections with faces greedily by decreasing IoU (each used at most once, IoU >= threshold);
// unmatched detections that overlap an ignored box by >= threshold are not counted.
MatchCounts match_detections(const std::vector<Rect>& detections, const AnnotatedImage& truth, double iou_threshold);

}  // namespace facekit::eval
