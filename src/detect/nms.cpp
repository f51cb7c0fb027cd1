#include "detect/nms.hpp"

#include <algorithm>

#include "facekit/error.hpp"

namespace facekit::detect {

namespace {

// The intersection over (union or smaller area) of two corner boxes; 0 when either has no area.
double corner_overlap(const Corners& a, const Corners& b, bool of_smaller) {
  const double ax0 = std::min(a[0], a[2]), ay0 = std::min(a[1], a[3]), ax1 = std::max(a[0], a[2]), ay1 = std::max(a[1], a[3]);
  const double bx0 = std::min(b[0], b[2]), by0 = std::min(b[1], b[3]), bx1 = std::max(b[0], b[2]), by1 = std::max(b[1], b[3]);
  const double area_a = (ax1 - ax0) * (ay1 - ay0), area_b = (bx1 - bx0) * (by1 - by0);
  if (area_a <= 0 || area_b <= 0) return 0.0;
  const double inter = std::max(std::min(ax1, bx1) - std::max(ax0, bx0), 0.0) *
                       std::max(std::min(ay1, by1) - std::max(ay0, by0), 0.0);
  return of_smaller ? inter / std::min(area_a, area_b) : inter / (area_a + area_b - inter);
}

}  // namespace

double corner_iou(const Corners& a, const Corners& b) { return corner_overlap(a, b, false); }
double corner_overlap_of_smaller(const Corners& a, const Corners& b) { return corner_overlap(a, b, true); }

std::vector<int> greedy_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, const NmsRule& rule) {
  if (boxes.size() != scores.size())
    throw Error(ErrorCode::Internal, "nms: " + std::to_string(boxes.size()) + " boxes but " +
                                         std::to_string(scores.size()) + " scores");
  std::vector<int> order;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (scores[i] > rule.score_threshold) order.push_back(i);
  // Both upstream sorts are stable, so equal scores keep index order, reversed when the upstream
  // code pops from the end of an ascending list.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  if (rule.ties_higher_index_first) {
    for (auto first = order.begin(); first != order.end();) {
      auto last = std::find_if(first, order.end(), [&](int i) { return scores[i] != scores[*first]; });
      std::reverse(first, last);
      first = last;
    }
  }
  std::vector<int> kept;
  for (int candidate : order) {
    if (static_cast<int>(kept.size()) >= rule.max_results) break;
    bool suppressed = false;
    for (auto it = kept.rbegin(); it != kept.rend() && !suppressed; ++it) {
      const double overlap = corner_overlap(boxes[candidate], boxes[*it], rule.overlap_of_smaller);
      suppressed = rule.suppress_at_threshold ? overlap >= rule.iou_threshold : overlap > rule.iou_threshold;
    }
    if (!suppressed) kept.push_back(candidate);
  }
  return kept;
}

std::vector<int> tfjs_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, int max_results,
                          double iou_threshold, double score_threshold) {
  return greedy_nms(boxes, scores,
                    {.iou_threshold = iou_threshold, .suppress_at_threshold = true, .score_threshold = score_threshold,
                     .max_results = max_results, .ties_higher_index_first = false});
}

std::vector<int> faceapi_nms(const std::vector<Corners>& boxes, const std::vector<double>& scores, double iou_threshold,
                             bool is_iou) {
  return greedy_nms(boxes, scores,
                    {.iou_threshold = iou_threshold, .ties_higher_index_first = true, .overlap_of_smaller = !is_iou});
}

}  // namespace facekit::detect
