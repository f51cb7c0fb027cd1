// "exact": brute-force search over float32 rows; "exact:int8": the same scan over int8 codes with
// one scale per row (code = round(127 x / max|x|)), a quarter of the bytes to read, so a single
// query, which is bound by memory bandwidth, runs up to 4x faster. Its results are exact for the
// reconstructed rows (scale * code): distances to the stored approximation, not to the input.
//
// Distances use |x - q|^2 = |x|^2 - 2 x.q + |q|^2 with |x|^2 stored at add time, so the inner loop
// is one FMA per element for either metric. Rows are stored padded with zeros to a multiple of 8
// codes (no tail loop; the padded query has zeros there too) in 2 MiB-aligned huge-page memory.
//
// A single query streams the rows once: eight rows at a time against the query, eight independent
// FMA chains, their sums transposed into one vector, the keys of all eight compared with the
// worst kept hit in one instruction (the heap is touched only for the rare row that gets in).
// Threads split the rows. A batch is scanned in tiles small enough to stay in L2 while every query
// of the batch visits them: it reuses each tile from cache and is bound by FMA throughput, so
// batching is faster per query. Threads split the rows (few queries) or the queries (many), each
// with its own top-k heaps. Hits are the k smallest (key, id) pairs: equal distances resolve to the
// smaller id, whatever the thread count.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "facekit/error.hpp"
#include "gallery/index.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/parallel.hpp"

namespace facekit {
namespace {

constexpr int kLanes = 8;  // floats per AVX2 register; rows are padded to a multiple of it

inline std::size_t padded_dim(int dim) { return (std::size_t(dim) + kLanes - 1) / kLanes * kLanes; }

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane i of the result = the sum of the 8 lanes of a[i]. Every lane is summed by the same tree, so a
// row's dot product does not depend on which of the 8 slots it was scanned in.
inline __m256 sum_each(const __m256 a[8]) {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);  // low/high halves of rows 0-3, 4-7
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// How a row's elements are stored: float32 as given, or int8 codes widened to float on load.
struct Float32Code {
  using Code = float;
  static constexpr bool kScaled = false;
  static __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
};
struct Int8Code {
  using Code = std::int8_t;
  static constexpr bool kScaled = true;
  static __m256 load8(const std::int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
};

// query . row for 8 consecutive rows `stride` codes apart (stride: a multiple of 8, zero padded).
// Eight independent FMA chains keep both FMA pipes busy while the rows stream in.
// Software prefetch of the block of 8 rows this many blocks ahead (8 KiB for 128-D float32): a block
// is one 4 KiB page there, and hardware prefetchers stop at page ends. On this 2-core machine 0, 2, 4
// and 8 measured within the noise of each other (1.3-1.45x the floor); 2 is kept as the mildest.
constexpr std::size_t kPrefetchBlocks = 2;
template <typename C>
inline __m256 dot_8_rows(const typename C::Code* rows, std::size_t stride, const float* query) {
  __m256 acc[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
  const char* ahead = reinterpret_cast<const char*>(rows + kPrefetchBlocks * 8 * stride);
  for (std::size_t j = 0; j < stride; j += kLanes) {
    const __m256 q = _mm256_loadu_ps(query + j);
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) acc[r] = _mm256_fmadd_ps(C::load8(rows + std::size_t(r) * stride + j), q, acc[r]);
    // The block kPrefetchBlocks ahead, spread over the iterations: 8 rows x 8 codes per iteration.
    constexpr std::size_t kBytes = 8 * kLanes * sizeof(typename C::Code);
#pragma GCC unroll 4
    for (std::size_t b = 0; b < kBytes; b += 64) _mm_prefetch(ahead + j * 8 * sizeof(typename C::Code) + b, _MM_HINT_T0);
  }
  return sum_each(acc);
}

// out[g * nrows + r] = scale[r] * (queries[g] . rows[r]) for G queries and nrows rows of `stride`
// codes (scales == nullptr: 1). Two rows at a time share each query load: 8 accumulators, 6 loads
// per 8 FMAs for G = 4.
template <typename C, int G>
void dot_tile(const typename C::Code* rows, const float* scales, std::size_t nrows, const float* const* queries,
              std::size_t stride, float* out) {
  auto scale = [&](std::size_t r) { return scales ? scales[r] : 1.f; };
  std::size_t r = 0;
  for (; r + 2 <= nrows; r += 2) {
    const auto* x0 = rows + r * stride;
    const auto* x1 = x0 + stride;
    __m256 acc0[G], acc1[G];
    for (int g = 0; g < G; ++g) acc0[g] = acc1[g] = _mm256_setzero_ps();
    for (std::size_t j = 0; j < stride; j += kLanes) {
      const __m256 a = C::load8(x0 + j), b = C::load8(x1 + j);
      for (int g = 0; g < G; ++g) {
        const __m256 q = _mm256_loadu_ps(queries[g] + j);
        acc0[g] = _mm256_fmadd_ps(q, a, acc0[g]);
        acc1[g] = _mm256_fmadd_ps(q, b, acc1[g]);
      }
    }
    for (int g = 0; g < G; ++g) {
      out[g * nrows + r] = scale(r) * horizontal_sum(acc0[g]);
      out[g * nrows + r + 1] = scale(r + 1) * horizontal_sum(acc1[g]);
    }
  }
  for (; r < nrows; ++r) {
    const auto* x = rows + r * stride;
    for (int g = 0; g < G; ++g) {
      __m256 acc = _mm256_setzero_ps();
      for (std::size_t j = 0; j < stride; j += kLanes) acc = _mm256_fmadd_ps(_mm256_loadu_ps(queries[g] + j), C::load8(x + j), acc);
      out[g * nrows + r] = scale(r) * horizontal_sum(acc);
    }
  }
}

template <typename C>
void dot_tile_any(const typename C::Code* rows, const float* scales, std::size_t nrows, const float* const* queries,
                  int group, std::size_t stride, float* out) {
  switch (group) {
    case 1:
      return dot_tile<C, 1>(rows, scales, nrows, queries, stride, out);
    case 2:
      return dot_tile<C, 2>(rows, scales, nrows, queries, stride, out);
    case 3:
      return dot_tile<C, 3>(rows, scales, nrows, queries, stride, out);
    default:
      return dot_tile<C, 4>(rows, scales, nrows, queries, stride, out);
  }
}

float squared_norm(const float* x, int dim) {
  float s = 0;
  for (int j = 0; j < dim; ++j) s += x[j] * x[j];
  return s;
}

// Stores v as codes; returns the squared norm of what is stored (the row the scan sees).
float encode(const float* v, int dim, float* codes, float*) {
  std::copy(v, v + dim, codes);
  return squared_norm(v, dim);
}
float encode(const float* v, int dim, std::int8_t* codes, float* scale) {
  float largest = 0;
  for (int j = 0; j < dim; ++j) largest = std::max(largest, std::abs(v[j]));
  *scale = largest / 127.f;
  const float inverse = largest > 0 ? 127.f / largest : 0.f;
  std::int64_t sum = 0;
  for (int j = 0; j < dim; ++j) {
    codes[j] = std::int8_t(std::lround(v[j] * inverse));
    sum += std::int64_t(codes[j]) * codes[j];
  }
  return *scale * *scale * float(sum);
}

// k best (smallest (key, id)) hits as a max-heap: the worst kept hit is on top, so most rows are
// rejected with one comparison. Ordering by id among equal keys makes the answer independent of
// the order rows are visited in (thread splits).
class TopK {
 public:
  using Hit = std::pair<float, std::int64_t>;
  TopK(Hit* storage, std::size_t k) : heap_(storage), k_(k) {}
  void push(float key, std::int64_t id) {
    if (size_ < k_) {
      heap_[size_++] = {key, id};
      std::push_heap(heap_, heap_ + size_);
    } else if (Hit{key, id} < heap_[0]) {
      std::pop_heap(heap_, heap_ + size_);
      heap_[size_ - 1] = {key, id};
      std::push_heap(heap_, heap_ + size_);
    }
  }
  // Rows with a key above this cannot get in (equal ones may: the id decides).
  float worst() const { return size_ < k_ ? std::numeric_limits<float>::infinity() : heap_[0].first; }
  std::size_t size() const { return size_; }
  Hit* begin() const { return heap_; }

 private:
  Hit* heap_;
  std::size_t k_, size_ = 0;
};

template <typename C>
class ExactIndex final : public Index {
  using Code = typename C::Code;

 public:
  ExactIndex(int dim, IndexMetric metric) : dim_(dim), stride_(dim > 0 ? padded_dim(dim) : 0), metric_(metric) {
    if (dim <= 0) throw Error(ErrorCode::InvalidArgument, "exact index: dimension must be positive");
  }
  std::string spec() const override { return C::kScaled ? "exact:int8" : "exact"; }
  int dim() const override { return dim_; }
  IndexMetric metric() const override { return metric_; }
  std::size_t size() const override { return ids_.size(); }

  void add(std::span<const std::int64_t> ids, const float* vectors) override {
    data_.reserve(data_.size() + ids.size() * stride_);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::size_t row = ids_.size();
      if (auto it = row_of_.find(ids[i]); it != row_of_.end()) {
        row = it->second;
      } else {
        row_of_.emplace(ids[i], row);
        ids_.push_back(ids[i]);
        data_.resize(data_.size() + stride_);  // zeros: the padding stays zero
        norms_.push_back(0);
        if constexpr (C::kScaled) scales_.push_back(0);
      }
      norms_[row] = encode(vectors + i * dim_, dim_, row_codes(row), C::kScaled ? &scales_[row] : nullptr);
    }
  }

  std::size_t remove(std::span<const std::int64_t> ids) override {
    std::size_t removed = 0;
    for (std::int64_t id : ids) {
      auto it = row_of_.find(id);
      if (it == row_of_.end()) continue;
      // Move the last row into the hole: O(dim) per delete, rows stay dense for the scan.
      const std::size_t row = it->second, last = ids_.size() - 1;
      row_of_.erase(it);
      if (row != last) {
        std::copy(row_codes(last), row_codes(last) + stride_, row_codes(row));
        norms_[row] = norms_[last];
        if constexpr (C::kScaled) scales_[row] = scales_[last];
        ids_[row] = ids_[last];
        row_of_[ids_[row]] = row;
      }
      ids_.pop_back();
      norms_.pop_back();
      if constexpr (C::kScaled) scales_.pop_back();
      data_.resize(ids_.size() * stride_);
      ++removed;
    }
    return removed;
  }

  SearchResults search(const float* queries, std::size_t nq, std::size_t k) const override;

  // Payload: row count, ids, codes (dim per row, without the padding), then (int8) the scales; codes
  // are stored as they are, so a loaded index answers exactly as the saved one.
  void save_payload(std::FILE* out) const override {
    const std::uint64_t n = ids_.size();
    bool ok = std::fwrite(&n, sizeof n, 1, out) == 1;
    ok = ok && std::fwrite(ids_.data(), sizeof(std::int64_t), n, out) == n;
    for (std::size_t r = 0; ok && r < n; ++r) ok = std::fwrite(row_codes(r), sizeof(Code), dim_, out) == std::size_t(dim_);
    if constexpr (C::kScaled) ok = ok && std::fwrite(scales_.data(), sizeof(float), n, out) == n;
    if (!ok) throw Error(ErrorCode::Internal, "exact index: write failed");
  }

  void load_payload(std::FILE* in, std::uint64_t bytes) override {
    std::uint64_t n = 0;
    const std::uint64_t row_bytes = sizeof(std::int64_t) + sizeof(Code) * dim_ + (C::kScaled ? sizeof(float) : 0);
    if (std::fread(&n, sizeof n, 1, in) != 1 || bytes != sizeof n + n * row_bytes)
      throw Error(ErrorCode::DecodeFailed, "exact index: payload size does not match its row count");
    ExactIndex loaded(dim_, metric_);
    loaded.ids_.resize(n);
    loaded.data_.resize(n * stride_);
    loaded.scales_.resize(C::kScaled ? n : 0);
    bool ok = std::fread(loaded.ids_.data(), sizeof(std::int64_t), n, in) == n;
    for (std::size_t r = 0; ok && r < n; ++r)
      ok = std::fread(loaded.row_codes(r), sizeof(Code), dim_, in) == std::size_t(dim_);
    if (!ok || std::fread(loaded.scales_.data(), sizeof(float), loaded.scales_.size(), in) != loaded.scales_.size())
      throw Error(ErrorCode::DecodeFailed, "exact index: truncated payload");
    for (std::size_t r = 0; r < n; ++r) {
      if (!loaded.row_of_.emplace(loaded.ids_[r], r).second)
        throw Error(ErrorCode::DecodeFailed, "exact index: duplicate id in payload");
      float sum = 0;
      for (int j = 0; j < dim_; ++j) sum += float(loaded.row_codes(r)[j]) * float(loaded.row_codes(r)[j]);
      loaded.norms_.push_back(C::kScaled ? loaded.scales_[r] * loaded.scales_[r] * sum : sum);
    }
    *this = std::move(loaded);
  }

 private:
  Code* row_codes(std::size_t row) { return data_.data() + row * stride_; }
  const Code* row_codes(std::size_t row) const { return data_.data() + row * stride_; }

  // Scans rows [row_begin, row_end) for queries [q_begin, q_end) (padded to stride_), pushing into
  // heaps[q - q_begin].
  void scan(std::size_t row_begin, std::size_t row_end, const float* queries, std::size_t q_begin, std::size_t q_end,
            TopK* heaps) const;
  // The same for one query, streaming: no tiles, no dot products written out.
  void scan_one(std::size_t row_begin, std::size_t row_end, const float* query, TopK& heap) const;

  int dim_;
  std::size_t stride_;  // codes per stored row: dim_ rounded up to 8
  IndexMetric metric_;
  std::vector<Code, HugePageAllocator<Code>> data_;  // size() rows of stride_ codes
  std::vector<float> scales_;                        // int8: per row, value = scale * code
  std::vector<float> norms_;                         // |stored row|^2
  std::vector<std::int64_t> ids_;
  std::unordered_map<std::int64_t, std::size_t> row_of_;
};

template <typename C>
void ExactIndex<C>::scan_one(std::size_t row_begin, std::size_t row_end, const float* query, TopK& heap) const {
  const bool l2 = metric_ == IndexMetric::L2;
  // Key (smaller is better) = base - factor * dot: L2 |x|^2 - 2 x.q (|q|^2 is added at the end), inner product -x.q.
  const __m256 factor = _mm256_set1_ps(l2 ? 2.f : 1.f);
  __m256 worst = _mm256_set1_ps(heap.worst());
  alignas(32) float keys[8];
  // Rows past the last full block of 8 are copied into a zero-padded block, so that every row goes
  // through the same arithmetic (see sum_each) wherever the thread split puts it.
  alignas(64) Code tail_rows[8 * 64];
  std::vector<Code> tail_heap;
  auto block_keys = [&](const Code* rows, std::size_t r) {
    __m256 dots = dot_8_rows<C>(rows, stride_, query);
    if constexpr (C::kScaled) dots = _mm256_mul_ps(dots, _mm256_loadu_ps(scales_.data() + r));
    const __m256 base = l2 ? _mm256_loadu_ps(norms_.data() + r) : _mm256_setzero_ps();
    return _mm256_fnmadd_ps(factor, dots, base);
  };
  auto offer = [&](__m256 k8, std::size_t r, std::size_t count) {
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(k8, worst, _CMP_LE_OQ)) & ((1 << count) - 1);
    if (!mask) return;  // the common case: no row of the 8 can enter
    _mm256_store_ps(keys, k8);
    for (; mask; mask &= mask - 1) {
      const int i = __builtin_ctz(unsigned(mask));
      heap.push(keys[i], ids_[r + std::size_t(i)]);
    }
    worst = _mm256_set1_ps(heap.worst());
  };
  std::size_t r = row_begin;
  for (; r + 8 <= row_end; r += 8) offer(block_keys(row_codes(r), r), r, 8);
  if (r == row_end) return;
  const std::size_t rest = row_end - r;
  Code* tail = tail_rows;
  if (8 * stride_ > sizeof tail_rows / sizeof(Code)) {
    tail_heap.resize(8 * stride_);
    tail = tail_heap.data();
  }
  std::fill(tail, tail + 8 * stride_, Code(0));
  std::copy(row_codes(r), row_codes(r) + rest * stride_, tail);
  // norms_/scales_ past row_end are read but their lanes are masked out; copy them to stay in bounds.
  alignas(32) float norms[8] = {}, scales[8] = {};
  std::copy(norms_.begin() + std::ptrdiff_t(r), norms_.begin() + std::ptrdiff_t(row_end), norms);
  if constexpr (C::kScaled) std::copy(scales_.begin() + std::ptrdiff_t(r), scales_.begin() + std::ptrdiff_t(row_end), scales);
  __m256 dots = dot_8_rows<C>(tail, stride_, query);
  if constexpr (C::kScaled) dots = _mm256_mul_ps(dots, _mm256_load_ps(scales));
  offer(_mm256_fnmadd_ps(factor, dots, l2 ? _mm256_load_ps(norms) : _mm256_setzero_ps()), r, rest);
}

template <typename C>
void ExactIndex<C>::scan(std::size_t row_begin, std::size_t row_end, const float* queries, std::size_t q_begin,
                      std::size_t q_end, TopK* heaps) const {
  if (q_end - q_begin == 1) return scan_one(row_begin, row_end, queries + q_begin * stride_, heaps[0]);
  constexpr int kGroup = 4;
  // ~128 KiB of rows per tile: stays in L2 while every query group passes over it.
  const std::size_t tile = std::max<std::size_t>(16, (128 * 1024) / (sizeof(Code) * stride_));
  std::vector<float> dots(kGroup * tile);
  const bool l2 = metric_ == IndexMetric::L2;
  for (std::size_t r0 = row_begin; r0 < row_end; r0 += tile) {
    const std::size_t nrows = std::min(tile, row_end - r0);
    for (std::size_t q0 = q_begin; q0 < q_end; q0 += kGroup) {
      const int group = int(std::min<std::size_t>(kGroup, q_end - q0));
      const float* qs[kGroup];
      for (int g = 0; g < group; ++g) qs[g] = queries + (q0 + g) * stride_;
      dot_tile_any<C>(row_codes(r0), C::kScaled ? scales_.data() + r0 : nullptr, nrows, qs, group, stride_,
                      dots.data());
      for (int g = 0; g < group; ++g) {
        TopK& heap = heaps[q0 + g - q_begin];
        const float* d = dots.data() + g * nrows;
        // Key: smaller is better. L2 leaves out |q|^2, added once at the end.
        float worst = heap.worst();
        for (std::size_t r = 0; r < nrows; ++r) {
          const float key = l2 ? norms_[r0 + r] - 2 * d[r] : -d[r];
          if (key <= worst) {
            heap.push(key, ids_[r0 + r]);
            worst = heap.worst();
          }
        }
      }
    }
  }
}

template <typename C>
SearchResults ExactIndex<C>::search(const float* queries, std::size_t nq, std::size_t k) const {
  SearchResults res = SearchResults::no_hits(nq, k, metric_);
  const std::size_t n = size();
  const std::size_t kk = std::min(k, n);
  if (n == 0 || nq == 0 || kk == 0) return res;

  // The scan reads stride_ floats per query row: pad with zeros unless the rows are already that long.
  std::vector<float> padded_queries;
  const float* padded = queries;
  if (stride_ != std::size_t(dim_)) {
    padded_queries.assign(nq * stride_, 0.f);
    for (std::size_t q = 0; q < nq; ++q)
      std::copy(queries + q * dim_, queries + (q + 1) * dim_, padded_queries.begin() + std::ptrdiff_t(q * stride_));
    padded = padded_queries.data();
  }

  // Each thread gets at least ~1M multiply-adds, so small galleries are searched inline.
  constexpr std::size_t kMinWork = 1u << 20;
  const std::size_t min_rows = std::max<std::size_t>(256, kMinWork / (stride_ * nq));
  const std::size_t threads_by_rows = parallel_threads(n, min_rows, 0);
  // Enough queries to keep every thread busy: split them, and every thread scans all rows.
  const bool split_queries = nq >= std::size_t(num_threads()) || threads_by_rows == 1;

  auto finish = [&](std::size_t q, TopK::Hit* hits, std::size_t count) {
    std::sort(hits, hits + count);
    const float qnorm = metric_ == IndexMetric::L2 ? squared_norm(queries + q * dim_, dim_) : 0.f;
    for (std::size_t i = 0; i < std::min(count, kk); ++i) {
      res.ids[q * k + i] = hits[i].second;
      res.distances[q * k + i] = metric_ == IndexMetric::L2 ? std::max(0.f, hits[i].first + qnorm) : -hits[i].first;
    }
  };

  if (split_queries) {
    const std::size_t min_queries = std::max<std::size_t>(1, kMinWork / (n * stride_));
    parallel_for(nq, min_queries, 0, [&](std::size_t qb, std::size_t qe, std::size_t) {
      std::vector<TopK::Hit> storage((qe - qb) * kk);
      std::vector<TopK> heaps;
      for (std::size_t q = qb; q < qe; ++q) heaps.emplace_back(storage.data() + (q - qb) * kk, kk);
      scan(0, n, padded, qb, qe, heaps.data());
      for (std::size_t q = qb; q < qe; ++q) finish(q, heaps[q - qb].begin(), heaps[q - qb].size());
    });
    return res;
  }

  // Few queries, many rows: each thread scans a slice of rows for all queries, then merge.
  std::vector<TopK::Hit> storage(threads_by_rows * nq * kk);
  std::vector<std::size_t> counts(threads_by_rows * nq, 0);
  parallel_for(n, min_rows, 0, [&](std::size_t rb, std::size_t re, std::size_t t) {
    std::vector<TopK> heaps;
    for (std::size_t q = 0; q < nq; ++q) heaps.emplace_back(storage.data() + (t * nq + q) * kk, kk);
    scan(rb, re, padded, 0, nq, heaps.data());
    for (std::size_t q = 0; q < nq; ++q) counts[t * nq + q] = heaps[q].size();
  });
  std::vector<TopK::Hit> merged;
  for (std::size_t q = 0; q < nq; ++q) {
    merged.clear();
    for (std::size_t t = 0; t < threads_by_rows; ++t) {
      const auto* hits = storage.data() + (t * nq + q) * kk;
      merged.insert(merged.end(), hits, hits + counts[t * nq + q]);
    }
    finish(q, merged.data(), merged.size());
  }
  return res;
}

}  // namespace

std::unique_ptr<Index> create_exact_index(int dim, IndexMetric metric, const std::string& storage) {
  if (storage.empty() || storage == "float32") return std::make_unique<ExactIndex<Float32Code>>(dim, metric);
  if (storage == "int8") return std::make_unique<ExactIndex<Int8Code>>(dim, metric);
  throw Error(ErrorCode::InvalidArgument, "exact index: unknown storage '" + storage + "' (float32 or int8)");
}

}  // namespace facekit
