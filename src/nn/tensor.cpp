#include "nn/tensor.hpp"

#include "facekit/error.hpp"

namespace facekit::nn {

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw Error(ErrorCode::Internal, "negative dimension in shape " + shape_string(shape));
    n *= d;
  }
  return n;
}

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(Shape s, std::vector<float> values) : shape(std::move(s)), data(std::move(values)) {
  if (element_count(shape) != static_cast<std::int64_t>(data.size()))
    throw Error(ErrorCode::Internal, "tensor of shape " + shape_string(shape) + " given " +
                                         std::to_string(data.size()) + " values");
}

HWC as_hwc(const Tensor& t) {
  if (t.rank() == 3) return {t.shape[0], t.shape[1], t.shape[2]};
  if (t.rank() == 4 && t.shape[0] == 1) return {t.shape[1], t.shape[2], t.shape[3]};
  throw Error(ErrorCode::Internal, "expected an [H,W,C] or [1,H,W,C] tensor, got " + shape_string(t.shape));
}

}  // namespace facekit::nn
