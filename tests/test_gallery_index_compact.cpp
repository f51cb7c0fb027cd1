// Compact index kinds: "exact:int8" against a double-precision brute force over the rows it stores
// (code = round(127 x / max|x|), row = max|x| / 127 * code, recomputed here from that definition),
// and the "ivfpq" shorthand for Faiss IVF-PQ.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "facekit/error.hpp"
#include "facekit/runtime.hpp"
#include "gallery/index.hpp"
#include "support/gallery_test_support.hpp"

using namespace facekit;
using namespace facekit::test;

namespace {

std::vector<double> int8_reconstruction(const float* x, int dim) {
  double largest = 0;
  for (int j = 0; j < dim; ++j) largest = std::max(largest, double(std::abs(x[j])));
  std::vector<double> out(std::size_t(dim), 0.0);
  if (largest == 0) return out;
  for (int j = 0; j < dim; ++j) out[std::size_t(j)] = largest / 127 * std::round(127 * double(x[j]) / largest);
  return out;
}

std::vector<std::int64_t> spaced_ids(std::size_t n) {
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = 5 + std::int64_t(i) * 7;
  return ids;
}

// Fraction of the float32 exact top-k that `spec` also returns.
double recall_at_k(const std::string& spec, std::size_t n, int dim, std::size_t k) {
  std::mt19937 rng(21);
  const auto base = clustered_vectors(rng, n, dim, 100, 0.35f);
  const auto queries = clustered_vectors(rng, 200, dim, 100, 0.35f);
  const auto ids = spaced_ids(n);
  auto exact = create_index("exact", dim, IndexMetric::L2), other = create_index(spec, dim, IndexMetric::L2);
  exact->add(ids, base.data());
  other->add(ids, base.data());
  const auto want = exact->search(queries.data(), 200, k), got = other->search(queries.data(), 200, k);
  std::size_t found = 0;
  for (std::size_t q = 0; q < 200; ++q) {
    const std::set<std::int64_t> truth(want.ids.begin() + std::ptrdiff_t(q * k), want.ids.begin() + std::ptrdiff_t(q * k + k));
    for (std::size_t i = 0; i < k; ++i) found += truth.count(got.ids[q * k + i]);
  }
  return double(found) / double(200 * k);
}

}  // namespace

// Both metrics, a dimension that is not a multiple of 8 (scalar tail), one and several threads
// (row-split and query-split paths), one query and a batch.
TEST(ExactInt8Index, IsExactOverItsStoredRows) {
  const int dim = 37;
  const std::size_t n = 3000, k = 7;
  std::mt19937 rng(5);
  const auto base = clustered_vectors(rng, n, dim, 20, 0.4f);
  const auto queries = clustered_vectors(rng, 9, dim, 20, 0.4f);
  const auto ids = spaced_ids(n);
  for (IndexMetric metric : {IndexMetric::L2, IndexMetric::InnerProduct}) {
    auto index = create_index("exact:int8", dim, metric);
    EXPECT_EQ(index->spec(), "exact:int8");
    index->add(ids, base.data());
    for (int threads : {1, 3}) {
      const int saved = num_threads();
      set_num_threads(threads);
      for (std::size_t nq : {std::size_t(1), std::size_t(9)}) {
        const auto got = index->search(queries.data(), nq, k);
        for (std::size_t q = 0; q < nq; ++q) {
          std::vector<std::pair<double, std::int64_t>> all;
          for (std::size_t r = 0; r < n; ++r) {
            const auto row = int8_reconstruction(base.data() + r * dim, dim);
            double l2 = 0, ip = 0;
            for (int j = 0; j < dim; ++j) {
              const double qj = queries[q * dim + std::size_t(j)];
              l2 += (row[std::size_t(j)] - qj) * (row[std::size_t(j)] - qj);
              ip += row[std::size_t(j)] * qj;
            }
            all.push_back({metric == IndexMetric::L2 ? l2 : -ip, ids[r]});
          }
          std::sort(all.begin(), all.end());
          for (std::size_t i = 0; i < k; ++i) {
            const double want = metric == IndexMetric::L2 ? all[i].first : -all[i].first;
            EXPECT_NEAR(got.distances[q * k + i], want, 1e-4 * std::max(1.0, std::abs(want)));
            const bool tie = std::abs(all[i + 1].first - all[i].first) < 1e-4 ||
                             (i > 0 && std::abs(all[i].first - all[i - 1].first) < 1e-4);
            if (!tie) EXPECT_EQ(got.ids[q * k + i], all[i].second) << "query " << q << " rank " << i;
          }
        }
      }
      set_num_threads(saved);
    }
  }
}

TEST(ExactInt8Index, RecallAgainstFloatExact) {
  // 8-bit codes perturb each distance by well under the gap between cluster mates.
  EXPECT_GE(recall_at_k("exact:int8", 10000, 128, 10), 0.95);
}

TEST(ExactInt8Index, ZeroVectorAndReplacement) {
  auto index = create_index("exact:int8", 4, IndexMetric::L2);
  const std::vector<float> rows = {0, 0, 0, 0, 1, 2, 3, 4};
  index->add(std::vector<std::int64_t>{1, 2}, rows.data());
  const float q[4] = {0, 0, 0, 0};
  auto r = index->search(q, 1, 2);
  EXPECT_EQ(r.ids, (std::vector<std::int64_t>{1, 2}));
  EXPECT_FLOAT_EQ(r.distances[0], 0.f);
  // 1..4 with max 4: codes 32, 64, 95, 127 -> 4/127 * (32, 64, 95, 127)
  const double expected = std::pow(4.0 / 127, 2) * (32 * 32 + 64 * 64 + 95 * 95 + 127 * 127);
  EXPECT_NEAR(r.distances[1], expected, 1e-4);
  const std::vector<float> moved = {9, 9, 9, 9};
  index->add(std::vector<std::int64_t>{1}, moved.data());  // same id: replaced, not added
  EXPECT_EQ(index->size(), 2u);
  r = index->search(q, 1, 1);
  EXPECT_EQ(r.ids[0], 2);
}

TEST(IvfPqIndex, ShorthandSpellsTheFaissFactoryString) {
  if (!faiss_available()) {
    EXPECT_THROW(create_index("ivfpq", 128, IndexMetric::L2), Error);
    return;
  }
  EXPECT_EQ(ivfpq_faiss_description("", 128), "IVF1024,PQ32x8@nprobe=16");
  EXPECT_EQ(ivfpq_faiss_description("nlist=64,m=16,nprobe=4,refine=8", 128),
            "IVF64,PQ16x8,RFlat@nprobe=4,k_factor_rf=8");
  EXPECT_EQ(create_index("ivfpq:nlist=64", 128, IndexMetric::L2)->spec(), "faiss:IVF64,PQ32x8@nprobe=16");
  EXPECT_THROW(ivfpq_faiss_description("m=30", 128), Error);      // 30 does not divide 128
  EXPECT_THROW(ivfpq_faiss_description("nprobes=4", 128), Error);  // typo caught
}

TEST(IvfPqIndex, RefinedDistancesAreTheTrueOnes) {
  if (!faiss_available()) GTEST_SKIP() << "built without Faiss";
  // With refine, candidates found on the PQ codes are re-ranked on the stored full vectors, so
  // every returned distance is the exact squared L2 distance of the returned id.
  const int dim = 32;
  const std::size_t n = 2000, k = 5;
  std::mt19937 rng(23);
  const auto base = clustered_vectors(rng, n, dim, 20, 0.4f);
  const auto queries = clustered_vectors(rng, 20, dim, 20, 0.4f);
  auto index = create_index("ivfpq:nlist=16,m=8,nbits=4,nprobe=16,refine=4", dim, IndexMetric::L2);
  index->add(spaced_ids(n), base.data());
  const auto got = index->search(queries.data(), 20, k);
  for (std::size_t q = 0; q < 20; ++q)
    for (std::size_t i = 0; i < k; ++i) {
      const std::int64_t id = got.ids[q * k + i];
      ASSERT_GE(id, 5);
      const std::size_t row = std::size_t(id - 5) / 7;
      double want = 0;
      for (int j = 0; j < dim; ++j) want += std::pow(double(base[row * dim + std::size_t(j)]) - queries[q * dim + std::size_t(j)], 2);
      EXPECT_NEAR(got.distances[q * k + i], want, 1e-3 * std::max(1.0, want));
    }
}
