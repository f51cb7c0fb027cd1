// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each 2x2 block of outputs costs 16 products per input/output channel pair
// instead of 36, the rest being cheap additions. The big 3x3 layers (the face nets' ResNet blocks, gear,
// antispoof) already run near the CPU's FMA peak as a GEMM, so fewer multiplications is what is left.
// The 16 products per channel pair are 16 GEMMs of [tiles x cin] by [cin x cout] on the packed GEMM.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/gemm.hpp"

namespace facekit::nn {

struct WinogradFilter {
  std::int64_t cin = 0, cout = 0;
  std::vector<PackedMatrix> u;  // 16 transformed filters G g G^T, element (i, j) of the 4x4 as u[4 * i + j]
  std::vector<float> bias;      // cout (zeros when the layer has none)
};

// Whether a filter of this shape takes the Winograd path (3x3, channel counts multiples of 8, >= 16 in).
bool winograd_suits(int kh, int kw, std::int64_t cin, std::int64_t cout);

// filter HWIO [3,3,cin,cout]; bias empty or [cout].
WinogradFilter prepare_winograd_filter(const float* filter, std::int64_t cin, std::int64_t cout,
                                       const std::vector<float>& bias);

// y [oh, ow, cout] = act(conv3x3(x) + bias) for the zero-padded input `x` whose top-left pixel is the
// first window's: it must have at least 2 * ceil(oh / 2) + 2 rows and 2 * ceil(ow / 2) + 2 columns of
// `width` pixels, zero where the image has none.
void winograd_conv3x3(const float* x, std::int64_t width, std::int64_t oh, std::int64_t ow, const WinogradFilter& f,
                      float* y, Activation act);

}  // namespace facekit::nn
