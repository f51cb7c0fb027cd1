// The face crops of the two model families (face-api.js and human), made as each library makes them.
#include <algorithm>
#include <cmath>

#include "align/faceapi_geometry.hpp"
#include "analyze/analyzer.hpp"
#include "facekit/error.hpp"
#include "nn/image_prep.hpp"

namespace facekit::analysis {

cv::Rect FaceContext::faceapi_crop_rect() const {
  if (whole_image_) return {0, 0, rgb_.cols, rgb_.rows};
  // globalApi/DetectFaceLandmarksTasks -> extractFaceTensors(input, landmarks.align(null, {useDlibAlignment:
  // false, minBoxPadding: 0.2})) for the age/gender and expression nets (face-api 1.7.15).
  const Rect box = region_.landmarks.size() == 68 ? faceapi::min_bbox_box(region_.landmarks, 0.2) : region_.detection.box;
  return faceapi::clip_and_floor(box, rgb_.cols, rgb_.rows);
}

const cv::Mat& FaceContext::faceapi_crop() {
  if (!faceapi_crop_) {
    const cv::Rect r = faceapi_crop_rect();
    if (r.width <= 0 || r.height <= 0)
      throw Error(ErrorCode::InvalidArgument, "face box lies outside the image");
    faceapi_crop_ = rgb_(r).clone();
  }
  return *faceapi_crop_;
}

const nn::Tensor& FaceContext::human_face() {
  if (!human_face_) {
    constexpr int kFaceTensorSize = 192;  // facemesh's input: human crops every face to it
    const nn::Tensor image = nn::image_to_tensor(rgb_);
    const double h = rgb_.rows, w = rgb_.cols;
    std::array<double, 4> box = {0, 0, 1, 1};
    if (!whole_image_) {
      // facemeshutil.ts enlargeBox(box, config.face.detector.scale = 1.4), then squarifyBox();
      // cutAndResize() divides the pixel corners by the image height and width.
      const Rect& b = region_.detection.box;
      const double cx = b.x + b.width / 2, cy = b.y + b.height / 2;
      const double half = 1.4 * std::max(b.width, b.height) / 2;
      box = {(cy - half) / h, (cx - half) / w, (cy + half) / h, (cx + half) / w};
    }
    nn::Tensor face = crop_and_resize(image, box, kFaceTensorSize, kFaceTensorSize);
    for (float& v : face.data) v /= 255.f;
    human_face_ = std::move(face);
  }
  return *human_face_;
}

nn::Tensor crop_and_resize(const nn::Tensor& image, const std::array<double, 4>& box, int out_h, int out_w) {
  // TensorFlow's CropAndResize kernel (bilinear): sample points span the box corners inclusively
  // in units of (size - 1); points outside the image read the extrapolation value 0.
  const nn::HWC in = nn::as_hwc(image);
  nn::Tensor out({1, out_h, out_w, in.c}, 0.f);
  const auto [y1, x1, y2, x2] = box;
  const double h_scale = out_h > 1 ? (y2 - y1) * double(in.h - 1) / (out_h - 1) : 0;
  const double w_scale = out_w > 1 ? (x2 - x1) * double(in.w - 1) / (out_w - 1) : 0;
  const float* src = image.ptr();
  for (int y = 0; y < out_h; ++y) {
    const double in_y = out_h > 1 ? y1 * (in.h - 1) + y * h_scale : 0.5 * (y1 + y2) * (in.h - 1);
    if (in_y < 0 || in_y > in.h - 1) continue;
    const std::int64_t top = std::int64_t(std::floor(in_y)), bottom = std::int64_t(std::ceil(in_y));
    const float y_lerp = float(in_y - top);
    for (int x = 0; x < out_w; ++x) {
      const double in_x = out_w > 1 ? x1 * (in.w - 1) + x * w_scale : 0.5 * (x1 + x2) * (in.w - 1);
      if (in_x < 0 || in_x > in.w - 1) continue;
      const std::int64_t left = std::int64_t(std::floor(in_x)), right = std::int64_t(std::ceil(in_x));
      const float x_lerp = float(in_x - left);
      float* dst = out.ptr() + (std::int64_t(y) * out_w + x) * in.c;
      for (std::int64_t c = 0; c < in.c; ++c) {
        const float tl = src[(top * in.w + left) * in.c + c], tr = src[(top * in.w + right) * in.c + c];
        const float bl = src[(bottom * in.w + left) * in.c + c], br = src[(bottom * in.w + right) * in.c + c];
        const float t = tl + (tr - tl) * x_lerp, b = bl + (br - bl) * x_lerp;
        dst[c] = t + (b - t) * y_lerp;
      }
    }
  }
  return out;
}

Scores percentages(const std::vector<const char*>& labels, const std::vector<float>& probabilities) {
  if (labels.size() != probabilities.size())
    throw Error(ErrorCode::Internal, "model gave " + std::to_string(probabilities.size()) + " classes, expected " +
                                         std::to_string(labels.size()));
  Scores out;
  for (size_t i = 0; i < labels.size(); ++i) out.emplace_back(labels[i], 100.0 * probabilities[i]);
  return out;
}

std::string dominant(const Scores& scores) {
  auto best = std::max_element(scores.begin(), scores.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return best == scores.end() ? "" : best->first;
}

}  // namespace facekit::analysis
