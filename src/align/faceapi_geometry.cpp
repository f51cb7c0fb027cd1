#include "align/faceapi_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "facekit/error.hpp"

namespace facekit::faceapi {

cv::Rect clip_and_floor(const Rect& box, int image_width, int image_height) {
  const double x = std::max(box.x, 0.0), y = std::max(box.y, 0.0);
  const double w = std::min(box.right() - x, image_width - x);
  const double h = std::min(box.bottom() - y, image_height - y);
  return cv::Rect(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)), static_cast<int>(std::floor(w)),
                  static_cast<int>(std::floor(h)));
}

Point centre(const std::vector<Point>& points, int first, int last_exclusive) {
  Point c;
  for (int i = first; i < last_exclusive; ++i) {
    c.x += points[i].x;
    c.y += points[i].y;
  }
  const double n = last_exclusive - first;
  return {c.x / n, c.y / n};
}

Rect dlib_style_box(const std::vector<Point>& lm, double crop_width, double crop_height) {
  if (lm.size() != 68) throw Error(ErrorCode::Internal, "dlib_style_box needs 68 landmarks");
  constexpr double kRelX = 0.5, kRelY = 0.43, kRelScale = 0.45;
  const Point left_eye = centre(lm, 36, 42), right_eye = centre(lm, 42, 48), mouth = centre(lm, 48, 68);
  auto dist_to_mouth = [&](const Point& p) { return std::hypot(mouth.x - p.x, mouth.y - p.y); };
  const double eye_to_mouth = (dist_to_mouth(left_eye) + dist_to_mouth(right_eye)) / 2;
  const double size = std::floor(eye_to_mouth / kRelScale);
  const Point ref{(left_eye.x + right_eye.x + mouth.x) / 3, (left_eye.y + right_eye.y + mouth.y) / 3};
  const double x = std::floor(std::max(0.0, ref.x - kRelX * size));
  const double y = std::floor(std::max(0.0, ref.y - kRelY * size));
  return {x, y, std::min(size, crop_width + x), std::min(size, crop_height + y)};
}

Rect min_bbox_box(const std::vector<Point>& lm, double padding) {
  // ops/minBbox.ts starts the max at 0, not at -infinity.
  double min_x = std::numeric_limits<double>::infinity(), min_y = min_x, max_x = 0, max_y = 0;
  for (const auto& p : lm) {
    min_x = std::min(min_x, p.x);
    min_y = std::min(min_y, p.y);
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  const double w = max_x - min_x, h = max_y - min_y;
  return {min_x - w * padding / 2, min_y - h * padding / 2, w + w * padding, h + h * padding};
}

}  // namespace facekit::faceapi
