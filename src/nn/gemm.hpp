// C = act(A * B + bias) with B packed once, ahead of time: the GEMM behind every convolution.
//
// Why our own instead of OpenBLAS sgemm: the face nets' convolutions are small matrices (M = 1..5184
// output pixels, N = 32..256 channels) and OpenBLAS repacks B on every call; for the 4x4 and 1x1 layers of
// FaceRecognitionNet that repacking of a 2.4 MB filter costs more than the arithmetic. Here B (a filter)
// is packed when the net is built, into column panels that the AVX2 micro-kernel streams, and bias and
// activation are applied while the result is still in registers. bench/facekit_bench measures it.
//
// Each element of C is summed over k in the same order whatever the thread count, so results do not
// depend on how the work is split.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/kernels.hpp"

namespace facekit::nn {

// B [k, n] row-major, repacked into ceil(n / 16) panels of [k][16] floats (zero-padded columns),
// 32-byte aligned; bias padded the same way (zeros when the layer has none).
class PackedMatrix {
 public:
  static constexpr std::int64_t kPanel = 16;

  PackedMatrix() = default;
  PackedMatrix(const float* b, std::int64_t k, std::int64_t n, const std::vector<float>& bias);

  std::int64_t k() const { return k_; }
  std::int64_t n() const { return n_; }
  std::int64_t panels() const { return (n_ + kPanel - 1) / kPanel; }
  const float* panel(std::int64_t j) const { return data_.get() + j * k_ * kPanel; }
  const float* bias(std::int64_t j) const { return bias_.data() + j * kPanel; }
  bool empty() const { return n_ == 0; }

 private:
  struct FreeAligned {
    void operator()(float* p) const;
  };
  std::int64_t k_ = 0, n_ = 0;
  std::unique_ptr<float[], FreeAligned> data_;
  std::vector<float> bias_;
};

// C[m, n] (row stride ldc) = act(A[m, k] (row stride lda) * B + bias).
void gemm_packed(const float* a, std::int64_t m, std::int64_t lda, const PackedMatrix& b, float* c,
                 std::int64_t ldc, Activation act);

// A given without materialising it: row i is the concatenation, over taps t, of the `segment` floats at
// base + row_offset[i] + tap_offset[t] (k = taps * segment). A convolution over a zero-padded NHWC input
// is this with one row per output pixel and one tap per filter position, so no im2col copy is made.
struct TapRows {
  const float* base = nullptr;
  const std::int64_t* row_offset = nullptr;  // m entries
  const std::int64_t* tap_offset = nullptr;  // taps entries
  int taps = 1;
  std::int64_t segment = 0;
};
void gemm_packed(const TapRows& a, std::int64_t m, const PackedMatrix& b, float* c, std::int64_t ldc,
                 Activation act);

}  // namespace facekit::nn
