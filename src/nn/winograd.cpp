#include "nn/winograd.hpp"

#include <immintrin.h>

#include <algorithm>
#include <array>

namespace facekit::nn {
namespace {

// Tiles per block: the block's 16 input and 16 product matrices stay in L2 while they are used.
constexpr std::int64_t kTileBlock = 48;

}  // namespace

bool winograd_suits(int kh, int kw, std::int64_t cin, std::int64_t cout) {
  return kh == 3 && kw == 3 && cin >= 16 && cin % 8 == 0 && cout % 8 == 0;
}

WinogradFilter prepare_winograd_filter(const float* filter, std::int64_t cin, std::int64_t cout,
                                       const std::vector<float>& bias) {
  // U = G g G^T with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], in double, per (cin, cout) pair.
  static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  std::vector<std::vector<float>> u(16, std::vector<float>(static_cast<std::size_t>(cin * cout)));
  for (std::int64_t ci = 0; ci < cin; ++ci)
    for (std::int64_t co = 0; co < cout; ++co) {
      double g[3][3], t[4][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) g[ky][kx] = filter[((ky * 3 + kx) * cin + ci) * cout + co];
      for (int i = 0; i < 4; ++i)
        for (int kx = 0; kx < 3; ++kx) t[i][kx] = G[i][0] * g[0][kx] + G[i][1] * g[1][kx] + G[i][2] * g[2][kx];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          u[4 * i + j][ci * cout + co] = static_cast<float>(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
  WinogradFilter f;
  f.cin = cin;
  f.cout = cout;
  for (const auto& m : u) f.u.emplace_back(m.data(), cin, cout, std::vector<float>{});
  f.bias = bias.empty() ? std::vector<float>(static_cast<std::size_t>(cout), 0.f) : bias;
  return f;
}

void winograd_conv3x3(const float* x, std::int64_t width, std::int64_t oh, std::int64_t ow, const WinogradFilter& f,
                      float* y, Activation act) {
  const std::int64_t cin = f.cin, cout = f.cout, tiles_w = (ow + 1) / 2, tiles = ((oh + 1) / 2) * tiles_w;
  thread_local std::vector<float> v, m;
  v.resize(static_cast<std::size_t>(16 * kTileBlock * cin));
  m.resize(static_cast<std::size_t>(16 * kTileBlock * cout));
  for (std::int64_t t0 = 0; t0 < tiles; t0 += kTileBlock) {
    const std::int64_t nt = std::min(kTileBlock, tiles - t0);
    // V = B^T d B for each tile's 4x4 input window, 8 channels at a time. B^T = [1 0 -1 0; 0 1 1 0;
    // 0 -1 1 0; 0 1 0 -1].
    for (std::int64_t b = 0; b < nt; ++b) {
      const std::int64_t ty = (t0 + b) / tiles_w, tx = (t0 + b) % tiles_w;
      const float* window = x + (2 * ty * width + 2 * tx) * cin;
      for (std::int64_t c = 0; c < cin; c += 8) {
        __m256 d[4][4], t[4][4];
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) d[i][j] = _mm256_loadu_ps(window + (i * width + j) * cin + c);
        for (int j = 0; j < 4; ++j) {
          t[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
          t[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
          t[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
          t[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
        }
        for (int i = 0; i < 4; ++i) {
          const __m256 r[4] = {_mm256_sub_ps(t[i][0], t[i][2]), _mm256_add_ps(t[i][1], t[i][2]),
                               _mm256_sub_ps(t[i][2], t[i][1]), _mm256_sub_ps(t[i][1], t[i][3])};
          for (int j = 0; j < 4; ++j) _mm256_storeu_ps(v.data() + ((4 * i + j) * kTileBlock + b) * cin + c, r[j]);
        }
      }
    }
    for (int k = 0; k < 16; ++k)
      gemm_packed(v.data() + k * kTileBlock * cin, nt, cin, f.u[k], m.data() + k * kTileBlock * cout, cout,
                  Activation::None);
    // Y = A^T M A with A^T = [1 1 1 0; 0 1 -1 -1], then bias and activation; edge tiles keep what fits.
    for (std::int64_t b = 0; b < nt; ++b) {
      const std::int64_t ty = (t0 + b) / tiles_w, tx = (t0 + b) % tiles_w;
      const bool second_row = 2 * ty + 1 < oh, second_col = 2 * tx + 1 < ow;
      for (std::int64_t c = 0; c < cout; c += 8) {
        __m256 s[2][4];
        for (int j = 0; j < 4; ++j) {
          const auto at = [&](int i) { return _mm256_loadu_ps(m.data() + ((4 * i + j) * kTileBlock + b) * cout + c); };
          const __m256 m0 = at(0), m1 = at(1), m2 = at(2), m3 = at(3);
          s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
          s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
        }
        const __m256 bias = _mm256_loadu_ps(f.bias.data() + c);
        for (int r = 0; r < 2; ++r) {
          if (r == 1 && !second_row) break;
          __m256 out[2] = {_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]),
                           _mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3])};
          for (int q = 0; q < 2; ++q) {
            if (q == 1 && !second_col) break;
            __m256 o = _mm256_add_ps(out[q], bias);
            if (act != Activation::None) o = _mm256_max_ps(o, _mm256_setzero_ps());
            if (act == Activation::Relu6) o = _mm256_min_ps(o, _mm256_set1_ps(6.f));
            _mm256_storeu_ps(y + ((2 * ty + r) * ow + 2 * tx + q) * cout + c, o);
          }
        }
      }
    }
  }
}

}  // namespace facekit::nn
