// Compute kernels over NHWC tensors with batch 1 ([1,H,W,C]). Each follows TensorFlow's semantics
// (padding, rounding of output sizes) so that ported nets match their tfjs originals.
#pragma once
#include <vector>

#include "nn/tensor.hpp"

namespace facekit::nn {

enum class Padding { Same, Valid };
enum class Activation { None, Relu, Relu6 };

struct Window {
  int kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::Same;
};

// TensorFlow's output size and leading pad for one spatial dimension.
struct PadInfo {
  std::int64_t out = 0;
  std::int64_t before = 0;
};
PadInfo tf_padding(std::int64_t in, int kernel, int stride, Padding padding);

// y = act(conv2d(x, filter) + bias); filter HWIO [kh,kw,cin,cout]; bias may be empty.
Tensor conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias, int stride_h,
              int stride_w, Padding padding, Activation act);

// Depthwise: filter [kh,kw,C,1] (channel multiplier 1).
Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias,
                        int stride_h, int stride_w, Padding padding, Activation act);

Tensor max_pool(const Tensor& x, const Window& w);
// TensorFlow's average pool: padded cells are excluded from the divisor.
Tensor avg_pool(const Tensor& x, const Window& w);

// [1,H,W,C] -> [1,C]: mean over H and W.
Tensor global_mean(const Tensor& x);

// y = x[1,K] * w[K,N] + bias (bias may be empty).
Tensor matmul(const Tensor& x, const Tensor& w, const std::vector<float>& bias);

void apply_activation(float* data, std::int64_t n, Activation act);
// PReLU over rows of slope.size() channels: v < 0 ? slope[c] * v : v, computed branch-free as
// max(v, 0) + slope * min(v, 0) (exact; a sign branch mispredicts on half of the activations).
void apply_prelu(float* data, std::int64_t n, const std::vector<float>& slope);
// y[r, c] += bias[c] (when bias is not empty), then act, over a rows x cols matrix.
void add_bias_activation(float* data, std::int64_t rows, std::int64_t cols, const std::vector<float>& bias,
                         Activation act);

Tensor add(const Tensor& a, const Tensor& b, Activation act);

// Zero padding per dimension: pads[i] = {before, after}.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pads);
Tensor concat(const std::vector<const Tensor*>& parts, int axis);

}  // namespace facekit::nn
