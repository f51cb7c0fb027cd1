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

// Rows [0, ROWS) of A times one 16-column panel of B; writes `cols` (<= 16) columns of C. Row r of A is
// `taps` segments of `segment` floats at rows[r] + tap_offset[t]. HALVES is 2, or 1 for a last panel of at
// most 8 real columns (channel counts like 24, 56, 88): its zero-padded upper half is then not computed.
// `prefetch`, when not null, is the panel to be used next: one of its cache lines is requested per k step,
// so that a filter too big for the caches streams in from memory while this panel is being computed.
template <int ROWS, int HALVES>
void micro_kernel(const float* const* rows, const std::int64_t* tap_offset, int taps, std::int64_t segment,
                  const float* panel, const float* bias, float* c, std::int64_t ldc, std::int64_t cols,
                  Activation act, const float* prefetch) {
  __m256 acc[ROWS][2];
#pragma GCC unroll 6
  for (int r = 0; r < ROWS; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int t = 0; t < taps; ++t) {
    const float* a[ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < ROWS; ++r) a[r] = rows[r] + tap_offset[t];
    const float* b = panel + t * segment * PackedMatrix::kPanel;
    const float* pf = prefetch ? prefetch + t * segment * PackedMatrix::kPanel : nullptr;
    for (std::int64_t p = 0; p < segment; ++p) {
      if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + p * PackedMatrix::kPanel), _MM_HINT_T1);
      const __m256 b0 = _mm256_load_ps(b + p * PackedMatrix::kPanel);
      const __m256 b1 = HALVES == 2 ? _mm256_load_ps(b + p * PackedMatrix::kPanel + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
      for (int r = 0; r < ROWS; ++r) {
        const __m256 av = _mm256_broadcast_ss(a[r] + p);
        acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
        if (HALVES == 2) acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
      }
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
    } else if (cols == 8) {
      _mm256_storeu_ps(out, v0);
    } else {
      alignas(32) float tmp[PackedMatrix::kPanel];
      _mm256_store_ps(tmp, v0);
      _mm256_store_ps(tmp + 8, v1);
      std::memcpy(out, tmp, sizeof(float) * cols);
    }
  }
}

using MicroKernel = void (*)(const float* const*, const std::int64_t*, int, std::int64_t, const float*,
                             const float*, float*, std::int64_t, std::int64_t, Activation, const float*);
// [halves - 1][rows]
constexpr MicroKernel kKernels[2][kRows + 1] = {
    {nullptr, micro_kernel<1, 1>, micro_kernel<2, 1>, micro_kernel<3, 1>, micro_kernel<4, 1>, micro_kernel<5, 1>,
     micro_kernel<6, 1>},
    {nullptr, micro_kernel<1, 2>, micro_kernel<2, 2>, micro_kernel<3, 2>, micro_kernel<4, 2>, micro_kernel<5, 2>,
     micro_kernel<6, 2>}};

// Rows of A in a block: from the row offsets, or evenly strided when there are none.
struct RowSource {
  const TapRows& a;
  std::int64_t lda;  // used when a.row_offset is null
  void fill(std::int64_t row0, std::int64_t rows, const float** out) const {
    for (std::int64_t r = 0; r < rows; ++r)
      out[r] = a.base + (a.row_offset ? a.row_offset[row0 + r] : (row0 + r) * lda);
  }
};

void run_block(const RowSource& src, const PackedMatrix& b, float* c, std::int64_t ldc, std::int64_t row0,
               std::int64_t rows, std::int64_t panel, Activation act, const float* prefetch = nullptr) {
  const float* row_ptrs[kRows];
  src.fill(row0, rows, row_ptrs);
  const std::int64_t col0 = panel * PackedMatrix::kPanel;
  const std::int64_t cols = std::min(PackedMatrix::kPanel, b.n() - col0);
  kKernels[cols <= 8 ? 0 : 1][rows](row_ptrs, src.a.tap_offset, src.a.taps, src.a.segment, b.panel(panel), b.bias(panel),
                 c + row0 * ldc + col0, ldc, cols, act, prefetch);
}

void gemm_rows(const RowSource& src, std::int64_t m, const PackedMatrix& b, float* c, std::int64_t ldc,
               Activation act) {
  if (m <= 0 || b.empty()) return;
  if (std::int64_t(src.a.taps) * src.a.segment != b.k())
    throw Error(ErrorCode::Internal, "gemm: A rows of " + std::to_string(src.a.taps * src.a.segment) +
                                         " for B of " + std::to_string(b.k()) + " rows");
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
        for (std::int64_t j = 0; j < panels; ++j) run_block(src, b, c, ldc, blk * kRows, rows_of(blk), j, act);
    });
  } else {
    parallel_for(static_cast<std::size_t>(panels), 1, threads, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t j = begin; j < end; ++j) {
        const float* next = j + 1 < end ? b.panel(static_cast<std::int64_t>(j) + 1) : nullptr;
        for (std::int64_t blk = 0; blk < row_blocks; ++blk)
          run_block(src, b, c, ldc, blk * kRows, rows_of(blk), j, act, blk == 0 ? next : nullptr);
      }
    });
  }
}

}  // namespace

void gemm_packed(const float* a, std::int64_t m, std::int64_t lda, const PackedMatrix& b, float* c,
                 std::int64_t ldc, Activation act) {
  const std::int64_t no_tap_offset = 0;
  const TapRows rows{a, nullptr, &no_tap_offset, 1, b.k()};
  gemm_rows(RowSource{rows, lda}, m, b, c, ldc, act);
}

void gemm_packed(const TapRows& a, std::int64_t m, const PackedMatrix& b, float* c, std::int64_t ldc,
                 Activation act) {
  if (!a.row_offset || !a.tap_offset) throw Error(ErrorCode::Internal, "gemm: TapRows without offsets");
  gemm_rows(RowSource{a, 0}, m, b, c, ldc, act);
}

}  // namespace facekit::nn
