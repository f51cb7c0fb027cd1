// register_aligners, and the warping helpers the rotating aligners share (see aligners.hpp).
#include "align/aligners.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/registration.hpp"

namespace facekit {

void register_aligners(Registry<Aligner>& registry) {
  register_box_aligner(registry);
  register_eye_aligner(registry);
  register_five_point_aligner(registry);
  register_faceapi_aligner(registry);
  register_arcface_aligner(registry);
}

Similarity fit_similarity(const std::vector<cv::Vec2d>& from, const std::vector<cv::Vec2d>& to) {
  cv::Vec2d mean_from, mean_to;
  for (std::size_t i = 0; i < from.size(); ++i) {
    mean_from += from[i];
    mean_to += to[i];
  }
  mean_from /= static_cast<double>(from.size());
  mean_to /= static_cast<double>(to.size());
  double spread = 0, dot = 0, cross = 0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const cv::Vec2d f = from[i] - mean_from, t = to[i] - mean_to;
    spread += f.dot(f);
    dot += f[0] * t[0] + f[1] * t[1];
    cross += f[0] * t[1] - f[1] * t[0];
  }
  Similarity s;
  s.a = dot / spread;
  s.b = cross / spread;
  s.translation = mean_to - cv::Vec2d(s.a * mean_from[0] - s.b * mean_from[1], s.b * mean_from[0] + s.a * mean_from[1]);
  return s;
}

cv::Mat warp_chip(const cv::Mat& source, const cv::Matx23d& chip_to_source, cv::Size chip_size,
                  int interpolation) {
  if (source.empty()) return cv::Mat::zeros(chip_size, CV_8UC3);
  cv::Mat chip;
  // WARP_INVERSE_MAP: the matrix is read as destination -> source, which is how the aligners
  // naturally describe a chip (where each chip pixel comes from).
  cv::warpAffine(source, chip, cv::Mat(chip_to_source), chip_size, interpolation | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return chip;
}

void record_chip_transform(FaceRegion& face, const cv::Matx23d& m) {
  face.chip_to_image = std::array<double, 6>{m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}

Rect chip_footprint(const cv::Matx23d& chip_to_image, cv::Size chip_size, cv::Size image_size) {
  const double last_u = chip_size.width - 1, last_v = chip_size.height - 1;
  double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
  for (const cv::Vec3d& corner : {cv::Vec3d(0, 0, 1), cv::Vec3d(last_u, 0, 1), cv::Vec3d(0, last_v, 1),
                                 cv::Vec3d(last_u, last_v, 1)}) {
    const cv::Vec2d p = chip_to_image * corner;
    min_x = std::min(min_x, p[0]);
    max_x = std::max(max_x, p[0]);
    min_y = std::min(min_y, p[1]);
    max_y = std::max(max_y, p[1]);
  }
  // An interpolating sample at x reads pixels floor(x) .. ceil(x).
  const double left = std::max(0.0, std::floor(min_x)), top = std::max(0.0, std::floor(min_y));
  const double right = std::min(image_size.width - 1.0, std::ceil(max_x));
  const double bottom = std::min(image_size.height - 1.0, std::ceil(max_y));
  if (right < left || bottom < top) return {};
  return {left, top, right - left + 1, bottom - top + 1};
}

}  // namespace facekit
