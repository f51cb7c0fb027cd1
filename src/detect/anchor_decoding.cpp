#include "detect/anchor_decoding.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace facekit::detect {

namespace {

double clamp01(float v) { return std::clamp<double>(v, 0.0, 1.0); }

}  // namespace

void decode_yunet(const float* cls, const float* obj, const float* bbox, const float* kps, int rows, int cols,
                  int stride, double score_threshold, std::vector<AnchorFace>& out) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const int i = r * cols + c;
      const double score = std::sqrt(clamp01(cls[i]) * clamp01(obj[i]));
      if (score < score_threshold) continue;
      const float* b = bbox + 4 * i;
      const double cx = (c + b[0]) * stride, cy = (r + b[1]) * stride;
      const double w = std::exp(double(b[2])) * stride, h = std::exp(double(b[3])) * stride;
      AnchorFace f;
      f.box = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
      f.score = score;
      for (int k = 0; k < 5; ++k) f.keypoints[k] = {(c + kps[10 * i + 2 * k]) * stride, (r + kps[10 * i + 2 * k + 1]) * stride};
      out.push_back(f);
    }
}

void decode_scrfd(const float* scores, const float* bbox, const float* kps, int rows, int cols, int stride,
                  int anchors_per_cell, double score_threshold, std::vector<AnchorFace>& out) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      for (int a = 0; a < anchors_per_cell; ++a) {
        const int i = (r * cols + c) * anchors_per_cell + a;
        if (scores[i] < score_threshold) continue;
        const double x = double(c) * stride, y = double(r) * stride;
        const float* d = bbox + 4 * i;
        AnchorFace f;
        f.box = {x - d[0] * stride, y - d[1] * stride, x + d[2] * stride, y + d[3] * stride};
        f.score = scores[i];
        for (int k = 0; k < 5; ++k) f.keypoints[k] = {x + kps[10 * i + 2 * k] * stride, y + kps[10 * i + 2 * k + 1] * stride};
        out.push_back(f);
      }
}

std::vector<Prior> retinaface_priors(int width, int height) {
  // data/config.py cfg_mnet and cfg_re50 (the same for both backbones).
  constexpr int kSteps[3] = {8, 16, 32};
  constexpr double kMinSizes[3][2] = {{16, 32}, {64, 128}, {256, 512}};
  std::vector<Prior> priors;
  for (int level = 0; level < 3; ++level) {
    const int step = kSteps[level];
    const int rows = (height + step - 1) / step, cols = (width + step - 1) / step;  // ceil, as PriorBox
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        for (double size : kMinSizes[level]) priors.push_back({(c + 0.5) * step, (r + 0.5) * step, size, size});
  }
  return priors;
}

void decode_retinaface(const float* loc, const float* conf, const float* landms, const std::vector<Prior>& priors,
                       double score_threshold, std::vector<AnchorFace>& out) {
  constexpr double kCentreVariance = 0.1, kSizeVariance = 0.2;  // cfg 'variance'
  for (std::size_t i = 0; i < priors.size(); ++i) {
    const double score = conf[2 * i + 1];
    if (score <= score_threshold) continue;
    const Prior& p = priors[i];
    const float* l = loc + 4 * i;
    const double cx = p.cx + l[0] * kCentreVariance * p.w, cy = p.cy + l[1] * kCentreVariance * p.h;
    const double w = p.w * std::exp(l[2] * kSizeVariance), h = p.h * std::exp(l[3] * kSizeVariance);
    AnchorFace f;
    f.box = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    f.score = score;
    for (int k = 0; k < 5; ++k)
      f.keypoints[k] = {p.cx + landms[10 * i + 2 * k] * kCentreVariance * p.w,
                        p.cy + landms[10 * i + 2 * k + 1] * kCentreVariance * p.h};
    out.push_back(f);
  }
}

std::vector<AnchorFace> suppress_overlaps(std::vector<AnchorFace> faces, double iou_threshold, NmsBoxMeasure measure,
                                          int pre_nms_top_k, int max_results) {
  std::vector<int> order(faces.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return faces[a].score > faces[b].score; });
  if (static_cast<int>(order.size()) > pre_nms_top_k) order.resize(pre_nms_top_k);
  std::vector<Corners> boxes;
  std::vector<double> scores;
  for (int i : order) {
    const Corners& b = faces[i].box;
    if (measure == NmsBoxMeasure::PixelInclusive) {
      // (x2 - x1 + 1) widths and max(0, xx2 - xx1 + 1) overlaps are exactly the overlaps of the boxes
      // grown by one pixel to the right and bottom.
      boxes.push_back({b[0], b[1], b[2] + 1, b[3] + 1});
    } else {
      const double x = std::trunc(b[0]), y = std::trunc(b[1]);
      boxes.push_back({x, y, x + std::trunc(b[2] - b[0]), y + std::trunc(b[3] - b[1])});
    }
    scores.push_back(faces[i].score);
  }
  NmsRule rule;
  rule.iou_threshold = iou_threshold;
  rule.max_results = max_results;
  std::vector<AnchorFace> kept;
  for (int k : greedy_nms(boxes, scores, rule)) kept.push_back(faces[order[k]]);
  return kept;
}

}  // namespace facekit::detect
