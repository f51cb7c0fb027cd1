// The engine's GEMM and convolution against direct sums computed in double precision (mathematics, not
// a recorded output): odd sizes that exercise every micro-kernel row count and a partial column panel,
// bias, ReLU/ReLU6, TensorFlow SAME/VALID padding with strides, and thread-count independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "facekit/error.hpp"
#include "facekit/runtime.hpp"
#include "nn/conv.hpp"
#include "nn/gemm.hpp"

namespace facekit::nn {
namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double activate(double v, Activation act) {
  if (act == Activation::None) return v;
  v = std::max(v, 0.0);
  return act == Activation::Relu6 ? std::min(v, 6.0) : v;
}

struct GemmCase {
  std::int64_t m, k, n;
  bool bias;
  Activation act;
};

class PackedGemm : public ::testing::TestWithParam<GemmCase> {};

TEST_P(PackedGemm, MatchesDirectSum) {
  const GemmCase c = GetParam();
  const std::int64_t lda = c.k + 3, ldc = c.n + 5;  // strides wider than the rows, as a sub-matrix would have
  const auto a = random_values(static_cast<std::size_t>(c.m * lda), 1);
  const auto b = random_values(static_cast<std::size_t>(c.k * c.n), 2);
  const auto bias = c.bias ? random_values(static_cast<std::size_t>(c.n), 3) : std::vector<float>{};
  const PackedMatrix packed(b.data(), c.k, c.n, bias);
  std::vector<float> out(static_cast<std::size_t>(c.m * ldc), -777.f);
  gemm_packed(a.data(), c.m, lda, packed, out.data(), ldc, c.act);
  for (std::int64_t i = 0; i < c.m; ++i) {
    for (std::int64_t j = 0; j < ldc; ++j) {
      const float got = out[i * ldc + j];
      if (j >= c.n) {
        ASSERT_EQ(got, -777.f) << "wrote past column " << c.n;
        continue;
      }
      double want = c.bias ? bias[j] : 0.0;
      for (std::int64_t p = 0; p < c.k; ++p) want += double(a[i * lda + p]) * b[p * c.n + j];
      want = activate(want, c.act);
      // float accumulation of k products of values in [-1, 1]: error grows ~ sqrt(k) * eps * |terms|
      ASSERT_NEAR(got, want, 1e-5 * std::sqrt(double(c.k)) + 1e-6) << "row " << i << " col " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PackedGemm,
    ::testing::Values(GemmCase{1, 1, 1, false, Activation::None}, GemmCase{1, 2304, 256, true, Activation::None},
                      GemmCase{5, 7, 17, true, Activation::Relu}, GemmCase{6, 16, 16, false, Activation::Relu6},
                      GemmCase{13, 147, 32, true, Activation::Relu}, GemmCase{16, 300, 40, true, Activation::Relu6},
                      GemmCase{97, 33, 3, true, Activation::None}, GemmCase{301, 64, 129, false, Activation::Relu},
                      GemmCase{11, 24, 24, true, Activation::Relu}, GemmCase{7, 19, 8, false, Activation::None}));  // half panels

TEST(PackedGemm, ResultDoesNotDependOnThreadCount) {
  const std::int64_t m = 1225, k = 288, n = 32;  // FaceRecognitionNet's 35x35x32 layer: big enough to split
  const auto a = random_values(static_cast<std::size_t>(m * k), 4);
  const auto b = random_values(static_cast<std::size_t>(k * n), 5);
  const PackedMatrix packed(b.data(), k, n, {});
  std::vector<float> one(static_cast<std::size_t>(m * n)), two(one.size());
  const int before = num_threads();
  set_num_threads(1);
  gemm_packed(a.data(), m, k, packed, one.data(), n, Activation::None);
  set_num_threads(2);
  gemm_packed(a.data(), m, k, packed, two.data(), n, Activation::None);
  set_num_threads(before);
  EXPECT_EQ(one, two);
}

TEST(PackedGemm, RejectsBiasOfTheWrongLength) {
  const std::vector<float> b(6, 1.f), bias(2, 0.f);
  EXPECT_THROW(PackedMatrix(b.data(), 2, 3, bias), Error);
}

// conv2d against the definition: y[oy,ox,co] = sum over in-image taps x[oy*s - pad + ky, ...] * f[ky,kx,ci,co].
void expect_conv_matches_definition(std::int64_t h, std::int64_t w, std::int64_t cin, std::int64_t cout, int kh,
                                    int kw, int stride, Padding padding) {
  Tensor x({1, h, w, cin}, random_values(static_cast<std::size_t>(h * w * cin), 6));
  Tensor f({kh, kw, cin, cout}, random_values(static_cast<std::size_t>(kh * kw * cin * cout), 7));
  const auto bias = random_values(static_cast<std::size_t>(cout), 8);
  // Both forms: the filter prepared for this call only, and prepared once (which adds the Winograd form
  // where it suits the shape).
  const Tensor once = conv2d(x, f, bias, stride, stride, padding, Activation::None);
  const Tensor prepared = conv2d(x, prepare_conv_filter(f, bias), stride, stride, padding, Activation::None);
  const PadInfo ph = tf_padding(h, kh, stride, padding), pw = tf_padding(w, kw, stride, padding);
  for (const Tensor* result : {&once, &prepared}) {
  const Tensor& y = *result;
  ASSERT_EQ(y.shape, (Shape{1, ph.out, pw.out, cout}));
  for (std::int64_t oy = 0; oy < ph.out; ++oy)
    for (std::int64_t ox = 0; ox < pw.out; ++ox)
      for (std::int64_t co = 0; co < cout; ++co) {
        double want = bias[co];
        for (int ky = 0; ky < kh; ++ky)
          for (int kx = 0; kx < kw; ++kx) {
            const std::int64_t iy = oy * stride - ph.before + ky, ix = ox * stride - pw.before + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            for (std::int64_t ci = 0; ci < cin; ++ci)
              want += double(x.data[(iy * w + ix) * cin + ci]) * f.data[((ky * kw + kx) * cin + ci) * cout + co];
          }
        ASSERT_NEAR(y.data[(oy * pw.out + ox) * cout + co], want, 1e-4)
            << oy << "," << ox << "," << co << (result == &prepared ? " (prepared once)" : "");
      }
  }
}

TEST(Conv2d, SameAndValidPaddingWithStrides) {
  // < 16 input channels: im2col; >= 16: the filter taps are read from the (padded) input in place.
  expect_conv_matches_definition(9, 7, 3, 5, 3, 3, 1, Padding::Same);
  expect_conv_matches_definition(9, 7, 16, 20, 3, 3, 1, Padding::Same);
  expect_conv_matches_definition(10, 9, 32, 17, 3, 3, 2, Padding::Same);
  expect_conv_matches_definition(9, 9, 24, 8, 3, 3, 2, Padding::Valid);
  expect_conv_matches_definition(9, 7, 3, 20, 3, 3, 2, Padding::Same);
  expect_conv_matches_definition(11, 10, 4, 17, 7, 7, 2, Padding::Valid);
  expect_conv_matches_definition(6, 6, 8, 3, 1, 1, 1, Padding::Same);  // 1x1: no im2col
  expect_conv_matches_definition(4, 4, 16, 33, 3, 3, 2, Padding::Valid);
}

// 3x3 stride-1 filters with channel counts that are multiples of 8 (>= 16 in) take the Winograd F(2x2, 3x3)
// path when the filter is prepared once: odd and even output sizes (edge tiles), SAME and VALID, more tiles
// than one block, bias.
TEST(Conv2d, WinogradPathMatchesDefinition) {
  ASSERT_TRUE(winograd_suits(3, 3, 16, 8));
  ASSERT_FALSE(winograd_suits(3, 3, 12, 8));
  expect_conv_matches_definition(9, 7, 16, 8, 3, 3, 1, Padding::Same);
  expect_conv_matches_definition(12, 11, 32, 24, 3, 3, 1, Padding::Valid);
  expect_conv_matches_definition(20, 17, 24, 16, 3, 3, 1, Padding::Same);  // 110 tiles: three blocks
}


// Depthwise convolution (channel multiplier 1) against its definition, with bias and activation: 3x3 and
// 5x5 filters take the register path inside the image and the general one at the borders; other sizes
// and channel counts that are not a multiple of 8 cover the rest.
void expect_depthwise_matches_definition(std::int64_t h, std::int64_t w, std::int64_t c, int k, int stride,
                                         Padding padding, Activation act) {
  SCOPED_TRACE(testing::Message() << h << "x" << w << "x" << c << " k" << k << " s" << stride
                                  << (padding == Padding::Same ? " SAME" : " VALID"));
  Tensor x({1, h, w, c}, random_values(static_cast<std::size_t>(h * w * c), 11));
  for (float& v : x.data) v *= 4;  // reach past 6 for Relu6
  Tensor f({k, k, c, 1}, random_values(static_cast<std::size_t>(k * k * c), 12));
  const auto bias = random_values(static_cast<std::size_t>(c), 13);
  const Tensor y = depthwise_conv2d(x, f, bias, stride, stride, padding, act);
  const PadInfo ph = tf_padding(h, k, stride, padding), pw = tf_padding(w, k, stride, padding);
  ASSERT_EQ(y.shape, (Shape{1, ph.out, pw.out, c}));
  for (std::int64_t oy = 0; oy < ph.out; ++oy)
    for (std::int64_t ox = 0; ox < pw.out; ++ox)
      for (std::int64_t ch = 0; ch < c; ++ch) {
        double want = 0;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const std::int64_t iy = oy * stride - ph.before + ky, ix = ox * stride - pw.before + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            want += double(x.data[(iy * w + ix) * c + ch]) * f.data[(ky * k + kx) * c + ch];
          }
        ASSERT_NEAR(y.data[(oy * pw.out + ox) * c + ch], activate(want + bias[ch], act), 1e-4) << oy << "," << ox << "," << ch;
      }
}

TEST(DepthwiseConv2d, MatchesDefinition) {
  expect_depthwise_matches_definition(9, 11, 24, 3, 1, Padding::Same, Activation::None);
  expect_depthwise_matches_definition(9, 11, 13, 3, 2, Padding::Same, Activation::Relu);
  expect_depthwise_matches_definition(12, 10, 16, 5, 1, Padding::Same, Activation::Relu6);
  expect_depthwise_matches_definition(12, 13, 21, 5, 2, Padding::Valid, Activation::None);
  expect_depthwise_matches_definition(4, 4, 8, 5, 1, Padding::Same, Activation::None);  // no interior pixel
  expect_depthwise_matches_definition(7, 6, 5, 3, 1, Padding::Valid, Activation::Relu);
  expect_depthwise_matches_definition(8, 8, 10, 2, 2, Padding::Same, Activation::None);
  expect_depthwise_matches_definition(6, 9, 12, 1, 1, Padding::Same, Activation::Relu6);
}

TEST(DepthwiseConv2d, ResultDoesNotDependOnThreadCount) {
  Tensor x({1, 130, 130, 24}, random_values(130 * 130 * 24, 21));  // big enough to be split over threads
  Tensor f({3, 3, 24, 1}, random_values(9 * 24, 22));
  const int before = num_threads();
  set_num_threads(1);
  const Tensor one = depthwise_conv2d(x, f, {}, 1, 1, Padding::Same, Activation::None);
  set_num_threads(2);
  const Tensor two = depthwise_conv2d(x, f, {}, 1, 1, Padding::Same, Activation::None);
  set_num_threads(before);
  EXPECT_EQ(one.data, two.data);
}

}  // namespace
}  // namespace facekit::nn
