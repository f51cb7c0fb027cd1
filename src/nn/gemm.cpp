#include "nn/gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/parallel.hpp"
#include "facekit/error.hpp"

namespace facekit::nn {

void PackedMatrix::FreeAligned::operator()(float* p) const { std::free(p); }

PackedMatrix::PackedMatrix(const float* b, std::int64_t k, std::int64_t n, const std::vector<float>& bias)
    : k_(k), n_(n) {
  if (!bias.empty() && static_cast<std::int64_t>(bias.size()) != n)
    throw Error(ErrorCode::Internal, "bias of " + std::to_string(bias.size()) + " for " + std::to_string(n) +
                                         " columns");
  const std::int64_t total = panels() * k * kPanel;
  const std::size_t bytes = (static_cast<std::size_t>(std::max<std::int64_t>(total, 1)) * sizeof(float) + 31) / 32 * 32;
  data_.reset(static_cast<float*>(std::aligned_alloc(32, bytes)));
  if (!data_) throw std::bad_alloc();
  std::memset(data_.get(), 0, bytes);
  for (std::int64_t j = 0; j < panels(); ++j) {
    const std::int64_t col0 = j * kPanel, cols = std::min(kPanel, n - col0);
    float* dst = data_.get() + j * k * kPanel;
    for (std::int64_t p = 0; p < k; ++p) std::memcpy(dst + p * kPanel, b + p * n + col0, sizeof(float) * cols);
  }
  bias_.assign(static_cast<std::size_t>(panels() * kPanel), 0.f);
  std::copy(bias.begin(), bias.end(), bias_.begin());
}

namespace {

constexpr int kRows = 6;  // 6 rows x 16 columns = 12 ymm accumulators, 2 for B, 1 for the broadcast

inline __m256 activate(__m256 v, Activation act) {
  if (act == Activation::None) return v;
  v = _mm256_max_ps(v, _mm256_setzero_ps());
  return act == Activation::Relu6 ? _mm256_min_ps(v, _mm256_set1_ps(6.f)) : v;
}

// Rows [0, ROWS) of A times one 16-column panel of B; writes `cols` (<= 16) columns of C.
// `prefetch`, when not null, is the panel to be used next: one of its cache lines is requested per k step,
// so that a filter too big for the caches streams in from memory while this panel is being computed.
template <int ROWS>
void micro_kernel(const float* a, std::int64_t lda, const float* panel, const float* bias, std::int64_t k,
                  float* c, std::int64_t ldc, std::int64_t cols, Activation act, const float* prefetch) {
  __m256 acc[ROWS][2];
#pragma GCC unroll 6
  for (int r = 0; r < ROWS; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (std::int64_t p = 0; p < k; ++p) {
    if (prefetch) _mm_prefetch(reinterpret_cast<const char*>(prefetch + p * PackedMatrix::kPanel), _MM_HINT_T1);
    const __m256 b0 = _mm256_load_ps(panel + p * PackedMatrix::kPanel);
    const __m256 b1 = _mm256_load_ps(panel + p * PackedMatrix::kPanel + 8);
#pragma GCC unroll 6
    for (int r = 0; r < ROWS; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
#pragma GCC unroll 6
  for (int r = 0; r < ROWS; ++r) {
    const __m256 v0 = activate(_mm256_add_ps(acc[r][0], bias0), act);
    const __m256 v1 = activate(_mm256_add_ps(acc[r][1], bias1), act);
    float* out = c + r * ldc;
    if (cols == PackedMatrix::kPanel) {
      _mm256_storeu_ps(out, v0);
      _mm256_storeu_ps(out + 8, v1);
    } else {
      alignas(32) float tmp[PackedMatrix::kPanel];
      _mm256_store_ps(tmp, v0);
      _mm256_store_ps(tmp + 8, v1);
      std::memcpy(out, tmp, sizeof(float) * cols);
    }
  }
}

using MicroKernel = void (*)(const float*, std::int64_t, const float*, const float*, std::int64_t, float*,
                             std::int64_t, std::int64_t, Activation, const float*);
constexpr MicroKernel kKernels[kRows + 1] = {nullptr,          micro_kernel<1>, micro_kernel<2>, micro_kernel<3>,
                                             micro_kernel<4>, micro_kernel<5>, micro_kernel<6>};

void run_block(const float* a, std::int64_t lda, const PackedMatrix& b, float* c, std::int64_t ldc,
               std::int64_t row0, std::int64_t rows, std::int64_t panel, Activation act,
               const float* prefetch = nullptr) {
  const std::int64_t col0 = panel * PackedMatrix::kPanel;
  kKernels[rows](a + row0 * lda, lda, b.panel(panel), b.bias(panel), b.k(), c + row0 * ldc + col0, ldc,
                 std::min(PackedMatrix::kPanel, b.n() - col0), act, prefetch);
}

}  // namespace

void gemm_packed(const float* a, std::int64_t m, std::int64_t lda, const PackedMatrix& b, float* c,
                 std::int64_t ldc, Activation act) {
  if (m <= 0 || b.empty()) return;
  const std::int64_t row_blocks = (m + kRows - 1) / kRows, panels = b.panels();
  const auto rows_of = [&](std::int64_t block) { return std::min<std::int64_t>(kRows, m - block * kRows); };
  // Below ~4 MFLOP a thread's start-up (~20 us) would cost more than it saves.
  const std::size_t flops = static_cast<std::size_t>(2 * m * b.k() * b.n());
  const int threads = flops < (4u << 20) ? 1 : 0;
  // A small B (one conv's filter up to 256 KB) stays in L2 while the row blocks stream past it; a big B
  // with few rows (the 4x4 and 1x1 layers) is streamed once, panel by panel, each panel reused by all rows.
  if (b.k() * b.n() * sizeof(float) <= (256u << 10) || row_blocks >= 4 * panels) {
    parallel_for(static_cast<std::size_t>(row_blocks), 1, threads, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t blk = begin; blk < end; ++blk)
        for (std::int64_t j = 0; j < panels; ++j) run_block(a, lda, b, c, ldc, blk * kRows, rows_of(blk), j, act);
    });
  } else {
    parallel_for(static_cast<std::size_t>(panels), 1, threads, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t j = begin; j < end; ++j) {
        const float* next = j + 1 < end ? b.panel(static_cast<std::int64_t>(j) + 1) : nullptr;
        for (std::int64_t blk = 0; blk < row_blocks; ++blk)
          run_block(a, lda, b, c, ldc, blk * kRows, rows_of(blk), j, act, blk == 0 ? next : nullptr);
      }
    });
  }
}

}  // namespace facekit::nn
