// Greedy non-maximum suppression as the upstream JavaScript detectors run it. Every variant walks
// the candidates from the highest score down and keeps one unless it overlaps an already kept box
// too much; they differ only in the details below, which decide the result near ties and thresholds:
//  - tf.image.nonMaxSuppression (tfjs-core nonMaxSuppressionV3Impl; human's BlazeFace): candidates
//    need score > score_threshold, an overlap >= iou_threshold suppresses, equal scores keep the lower
//    index first, at most max_results are kept.
//  - face-api.js ops/nonMaxSuppression.ts (TinyYolov2 / TinyFaceDetector): no score threshold, an
//    overlap > iou_threshold suppresses, equal scores keep the higher index first (an ascending stable
//    sort popped from the end).
//    With isIOU = false (MTCNN stage 3) the overlap is the intersection over the smaller area.
//  - face-api.js ssdMobilenetv1/nonMaxSuppression.ts: score > threshold, overlap > iou_threshold,
//    equal scores keep the lower index first, max_results.
#pragma once
#include <array>
#include <limits>
#include <vector>

namespace facekit::detect {

// Two opposite corners (x1, y1, x2, y2) in any order; IoU treats them as tfjs does (min/max per axis,
// 0 when either box has no area). IoU does not depend on which axis comes first.
using Corners = std::array<double, 4>;
double corner_iou(const Corners& a, const Corners& b);
// Intersection over the smaller of the two areas (face-api.js ops/iou.ts with isIOU = false); 0 as above.
double corner_overlap_of_smaller(const Corners& a, const Corners& b);

struct NmsRule {
  double iou_threshold = 0.5;
  bool suppress_at_threshold = false;  // true: iou >= threshold suppresses (tfjs); false: iou > threshold
  double score_threshold = -std::numeric_limits<double>::infinity();  // candidates need score > this
  int max_results = std::numeric_limits<int>::max();
  bool ties_higher_index_first = false;
  bool overlap_of_smaller = false;  // overlap = intersection / min(area) instead of IoU
};

// Indices of the kept boxes, best first.
std::vector<int> greedy_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, const NmsRule& rule);

// tf.image.nonMaxSuppression(boxes, scores, max_results, iou_threshold, score_threshold).
std::vector<int> tfjs_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, int max_results,
                          double iou_threshold, double score_threshold);

// face-api.js ops/nonMaxSuppression(boxes, scores, iou_threshold, isIOU = true).
std::vector<int> faceapi_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, double iou_threshold,
                             bool is_iou = true);

}  // namespace facekit::detect
