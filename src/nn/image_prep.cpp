#include "nn/image_prep.hpp"

#include <cmath>

#include "facekit/error.hpp"
#include "nn/kernels.hpp"

namespace facekit::nn {

Tensor image_to_tensor(const cv::Mat& rgb) {
  if (rgb.type() != CV_8UC3) throw Error(ErrorCode::Internal, "image_to_tensor expects RGB CV_8UC3");
  Tensor t({1, rgb.rows, rgb.cols, 3});
  float* dst = t.ptr();
  for (int y = 0; y < rgb.rows; ++y) {
    const unsigned char* row = rgb.ptr<unsigned char>(y);
    for (int i = 0; i < rgb.cols * 3; ++i) *dst++ = row[i];
  }
  return t;
}

Tensor pad_to_square(const Tensor& image, bool centred) {
  const HWC s = as_hwc(image);
  if (s.h == s.w) return image;
  const std::int64_t diff = std::llabs(s.h - s.w);
  const std::int64_t after = centred ? std::llround(diff * 0.5) : diff;  // Math.round: .5 rounds up
  const std::int64_t before = diff - after;
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(4, {0, 0});
  pads[s.h > s.w ? 2 : 1] = {before, after};
  return pad(image, pads);
}

Tensor resize_bilinear(const Tensor& image, std::int64_t out_h, std::int64_t out_w, bool align_corners,
                       bool half_pixel_centers) {
  const HWC s = as_hwc(image);
  Tensor y({1, out_h, out_w, s.c});
  auto scale = [&](std::int64_t in, std::int64_t out) {
    return (align_corners && out > 1) ? float(in - 1) / float(out - 1) : float(in) / float(out);
  };
  const float sy = scale(s.h, out_h), sx = scale(s.w, out_w);
  std::vector<std::int64_t> x0(out_w), x1(out_w);
  std::vector<float> fx(out_w);
  for (std::int64_t c = 0; c < out_w; ++c) {
    const float src = half_pixel_centers ? (float(c) + 0.5f) * sx - 0.5f : float(c) * sx;
    const float flo = std::floor(src);
    x0[c] = std::max<std::int64_t>(0, static_cast<std::int64_t>(flo));
    x1[c] = std::min<std::int64_t>(s.w - 1, static_cast<std::int64_t>(std::ceil(src)));
    fx[c] = src - flo;
  }
  const float* in = image.ptr();
  for (std::int64_t r = 0; r < out_h; ++r) {
    const float src = half_pixel_centers ? (float(r) + 0.5f) * sy - 0.5f : float(r) * sy;
    const float flo = std::floor(src);
    const std::int64_t y0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(flo));
    const std::int64_t y1 = std::min<std::int64_t>(s.h - 1, static_cast<std::int64_t>(std::ceil(src)));
    const float fy = src - flo;
    for (std::int64_t c = 0; c < out_w; ++c) {
      const float* tl = in + (y0 * s.w + x0[c]) * s.c;
      const float* tr = in + (y0 * s.w + x1[c]) * s.c;
      const float* bl = in + (y1 * s.w + x0[c]) * s.c;
      const float* br = in + (y1 * s.w + x1[c]) * s.c;
      float* out = y.ptr() + (r * out_w + c) * s.c;
      for (std::int64_t ch = 0; ch < s.c; ++ch) {
        const float top = tl[ch] + (tr[ch] - tl[ch]) * fx[c];
        const float bottom = bl[ch] + (br[ch] - bl[ch]) * fx[c];
        out[ch] = top + (bottom - top) * fy;
      }
    }
  }
  return y;
}

Tensor faceapi_batch_tensor(const cv::Mat& rgb, int size, bool centred) {
  Tensor t = pad_to_square(image_to_tensor(rgb), centred);
  if (t.shape[1] != size || t.shape[2] != size) t = resize_bilinear(t, size, size);
  return t;
}

void normalize_channels(Tensor& t, const std::array<float, 3>& mean, float divisor) {
  const std::int64_t c = t.shape.back();
  for (std::int64_t i = 0; i < t.size(); ++i) t.data[i] = (t.data[i] - mean[i % c]) / divisor;
}

}  // namespace facekit::nn
