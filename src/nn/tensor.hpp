// A dense float32 tensor, row-major. Images and activations are NHWC with N = 1 dropped
// where a kernel works on one image ([H, W, C]); filters are HWIO as TensorFlow stores them.
#pragma once
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace facekit::nn {

using Shape = std::vector<std::int64_t>;

std::int64_t element_count(const Shape& shape);
std::string shape_string(const Shape& shape);

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.f) : shape(std::move(s)), data(element_count(shape), fill) {}
  Tensor(Shape s, std::vector<float> values);

  std::int64_t size() const { return static_cast<std::int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
  std::int64_t dim(int i) const { return shape[i < 0 ? shape.size() + i : i]; }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
};

// Views a tensor of rank 3 or 4 (batch 1) as height x width x channels.
struct HWC {
  std::int64_t h, w, c;
};
HWC as_hwc(const Tensor& t);

}  // namespace facekit::nn
