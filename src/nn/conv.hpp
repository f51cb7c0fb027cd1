// Convolutions with the filter prepared once, when a net is built: the form ConvOp uses.
// kernels.hpp's conv2d(x, filter Tensor, ...) prepares the filter on every call (for filters that
// arrive as graph inputs) and then runs the same code.
#pragma once
#include <memory>

#include "nn/gemm.hpp"
#include "nn/kernels.hpp"
#include "nn/winograd.hpp"

namespace facekit::nn {

struct ConvFilter {
  int kh = 0, kw = 0;
  std::int64_t cin = 0, cout = 0;
  PackedMatrix matrix;  // [kh*kw*cin, cout], bias included
  // 3x3 filters that suit it (winograd_suits) also in Winograd form, used for stride 1.
  std::shared_ptr<const WinogradFilter> winograd;
};

// filter HWIO [kh,kw,cin,cout]; bias empty or [cout]. `winograd`: also prepare the Winograd form when the
// shape suits it (worth it for filters prepared once, not for one call).
ConvFilter prepare_conv_filter(const Tensor& filter, const std::vector<float>& bias, bool winograd = true);

Tensor conv2d(const Tensor& x, const ConvFilter& filter, int stride_h, int stride_w, Padding padding,
              Activation act);

}  // namespace facekit::nn
