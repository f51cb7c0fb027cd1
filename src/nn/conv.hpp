// Convolutions with the filter prepared once, when a net is built: the form ConvOp uses.
// kernels.hpp's conv2d(x, filter Tensor, ...) prepares the filter on every call (for filters that
// arrive as graph inputs) and then runs the same code.
#pragma once
#include "nn/gemm.hpp"
#include "nn/kernels.hpp"

namespace facekit::nn {

struct ConvFilter {
  int kh = 0, kw = 0;
  std::int64_t cin = 0, cout = 0;
  PackedMatrix matrix;  // [kh*kw*cin, cout], bias included
};

// filter HWIO [kh,kw,cin,cout]; bias empty or [cout].
ConvFilter prepare_conv_filter(const Tensor& filter, const std::vector<float>& bias);

Tensor conv2d(const Tensor& x, const ConvFilter& filter, int stride_h, int stride_w, Padding padding,
              Activation act);

}  // namespace facekit::nn
