// Vector indexes: exact search against a naive double-precision loop, HNSW recall against exact,
// removal, persistence, and the gallery's index cache catching up with the store.
#include <algorithm>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "facekit/error.hpp"
#include "facekit/runtime.hpp"
#include "gallery/gallery_index.hpp"
#include "gallery/index.hpp"
#include "support/gallery_test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit;
using namespace facekit::test;

namespace {

struct Naive {
  std::vector<std::int64_t> ids;
  std::vector<double> distances;
};

// The definition: every distance in double precision, sorted.
Naive naive_search(const std::vector<float>& base, const std::vector<std::int64_t>& ids, const float* query, int dim,
                   std::size_t k, IndexMetric metric) {
  std::vector<std::pair<double, std::int64_t>> all;
  for (std::size_t r = 0; r < ids.size(); ++r) {
    double l2 = 0, ip = 0;
    for (int j = 0; j < dim; ++j) {
      const double x = base[r * std::size_t(dim) + std::size_t(j)], q = query[j];
      l2 += (x - q) * (x - q);
      ip += x * q;
    }
    all.push_back({metric == IndexMetric::L2 ? l2 : -ip, ids[r]});
  }
  std::sort(all.begin(), all.end());
  Naive out;
  for (std::size_t i = 0; i < std::min(k, all.size()); ++i) {
    out.ids.push_back(all[i].second);
    out.distances.push_back(metric == IndexMetric::L2 ? all[i].first : -all[i].first);
  }
  return out;
}

std::vector<std::int64_t> sequential_ids(std::size_t n, std::int64_t first = 1) {
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + std::int64_t(i) * 3;  // sparse, like ids after deletions
  return ids;
}

std::string file_safe(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

// Threads > cores on purpose: the row-split and query-split paths must give the same answers.
class ThreadsScope {
 public:
  explicit ThreadsScope(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadsScope() { set_num_threads(saved_); }

 private:
  int saved_;
};

void expect_matches_naive(const Index& index, const std::vector<float>& base, const std::vector<std::int64_t>& ids,
                          const std::vector<float>& queries, std::size_t k) {
  const int dim = index.dim();
  const std::size_t nq = queries.size() / std::size_t(dim);
  const SearchResults got = index.search(queries.data(), nq, k);
  ASSERT_EQ(got.ids.size(), nq * k);
  for (std::size_t q = 0; q < nq; ++q) {
    const Naive want = naive_search(base, ids, queries.data() + q * std::size_t(dim), dim, k, index.metric());
    for (std::size_t i = 0; i < k; ++i) {
      if (i >= want.ids.size()) {
        EXPECT_EQ(got.ids[q * k + i], -1);
        continue;
      }
      const double scale = std::max(1.0, std::abs(want.distances[i]));
      EXPECT_NEAR(got.distances[q * k + i], want.distances[i], 1e-4 * scale) << "query " << q << " rank " << i;
      // Ids must agree unless two distances are too close for float32 to order reliably.
      const bool tie = (i > 0 && std::abs(want.distances[i] - want.distances[i - 1]) < 1e-4 * scale) ||
                       (i + 1 < want.ids.size() && std::abs(want.distances[i + 1] - want.distances[i]) < 1e-4 * scale);
      if (!tie) {
        EXPECT_EQ(got.ids[q * k + i], want.ids[i]) << "query " << q << " rank " << i;
      }
    }
  }
}

}  // namespace

TEST(ExactIndex, MatchesNaiveLoop) {
  std::mt19937 rng(11);
  // dim 37: not a multiple of the 8-float SIMD width, so the tail loop is exercised too.
  for (int dim : {37, 128}) {
    for (IndexMetric metric : {IndexMetric::L2, IndexMetric::InnerProduct}) {
      const std::size_t n = 5000;
      const auto base = clustered_vectors(rng, n, dim, 20, 0.3f);
      const auto ids = sequential_ids(n);
      auto index = create_index("exact", dim, metric);
      index->add(ids, base.data());
      ASSERT_EQ(index->size(), n);
      const auto queries = clustered_vectors(rng, 67, dim, 20, 0.3f);  // 67: not a multiple of the group of 4
      for (int threads : {1, 4}) {
        ThreadsScope scope(threads);
        expect_matches_naive(*index, base, ids, queries, 10);                                   // batched
        expect_matches_naive(*index, base, ids, {queries.begin(), queries.begin() + dim}, 10);  // single query
      }
    }
  }
}

TEST(ExactIndex, FewerVectorsThanK) {
  auto index = create_index("exact", 4, IndexMetric::L2);
  const std::vector<float> base = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<std::int64_t> ids = {7, 9};
  index->add(ids, base.data());
  const float q[4] = {1, 1, 1, 1.5f};
  const auto r = index->search(q, 1, 5);
  EXPECT_EQ(r.ids, (std::vector<std::int64_t>{9, 7, -1, -1, -1}));
  EXPECT_FLOAT_EQ(r.distances[0], 0.25f);
  EXPECT_FLOAT_EQ(r.distances[1], 1 + 1 + 1 + 2.25f);
}

// Large enough that a single query is split over rows between threads (the streaming 8-row kernel,
// with a partial block of 8 at the end of each thread's slice), dims with and without padding.
TEST(ExactIndex, SingleQueryRowSplitMatchesNaiveAndDoesNotDependOnThreads) {
  std::mt19937 rng(13);
  for (int dim : {13, 37, 128}) {
    const std::size_t n = 60003;  // odd: every thread's slice ends in a partial block
    const auto base = clustered_vectors(rng, n, dim, 50, 0.3f);
    const auto ids = sequential_ids(n);
    const auto queries = clustered_vectors(rng, 3, dim, 50, 0.3f);
    for (IndexMetric metric : {IndexMetric::L2, IndexMetric::InnerProduct}) {
      auto index = create_index("exact", dim, metric);
      index->add(ids, base.data());
      for (std::size_t q = 0; q < 3; ++q) {
        const std::vector<float> one(queries.begin() + std::ptrdiff_t(q * dim), queries.begin() + std::ptrdiff_t((q + 1) * dim));
        SearchResults first;
        for (int threads : {1, 2, 3, 4}) {
          ThreadsScope scope(threads);
          expect_matches_naive(*index, base, ids, one, 10);
          const auto got = index->search(one.data(), 1, 10);
          if (threads == 1) first = got;
          // Every row goes through the same arithmetic wherever the split puts it: identical answers.
          EXPECT_EQ(got.ids, first.ids) << "dim " << dim << " threads " << threads;
          EXPECT_EQ(got.distances, first.distances) << "dim " << dim << " threads " << threads;
        }
      }
    }
  }
}

// Copies of one vector under several ids, added in shuffled order: equal distances go to the smaller
// ids, the same for single and batched queries and any thread count; k larger than the copies.
TEST(ExactIndex, EqualDistancesResolveToTheSmallerIds) {
  std::mt19937 rng(14);
  const int dim = 20;
  const std::size_t n = 70000, copies = 7, k = 5;
  auto base = clustered_vectors(rng, n, dim, 30, 0.3f);
  std::vector<float> twin(dim);
  for (int j = 0; j < dim; ++j) twin[std::size_t(j)] = 5.f + 0.1f * float(j);  // far from every cluster
  std::vector<std::int64_t> ids = sequential_ids(n);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<std::int64_t> twin_ids;
  for (std::size_t c = 0; c < copies; ++c) {
    const std::size_t row = (c * 9973 + 17) % n;  // spread over the rows, so over the threads
    std::copy(twin.begin(), twin.end(), base.begin() + std::ptrdiff_t(row * dim));
    twin_ids.push_back(ids[row]);
  }
  std::sort(twin_ids.begin(), twin_ids.end());
  const std::vector<std::int64_t> want(twin_ids.begin(), twin_ids.begin() + k);
  std::vector<float> queries = twin;
  queries.insert(queries.end(), twin.begin(), twin.end());
  for (const std::string spec : {"exact", "exact:int8"}) {
    for (IndexMetric metric : {IndexMetric::L2, IndexMetric::InnerProduct}) {
      auto index = create_index(spec, dim, metric);
      index->add(ids, base.data());
      for (int threads : {1, 2, 4}) {
        ThreadsScope scope(threads);
        for (std::size_t nq : {1, 2}) {
          const auto got = index->search(queries.data(), nq, k);
          for (std::size_t q = 0; q < nq; ++q)
            EXPECT_EQ(std::vector<std::int64_t>(got.ids.begin() + std::ptrdiff_t(q * k), got.ids.begin() + std::ptrdiff_t(q * k + k)), want)
                << spec << " threads " << threads << " nq " << nq;
        }
      }
    }
  }
}

double recall_at_10(const std::string& spec) {
  std::mt19937 rng(12);
  const int dim = 128;
  const std::size_t n = 10000, nq = 200, k = 10;
  const auto base = clustered_vectors(rng, n, dim, 100, 0.35f);
  const auto ids = sequential_ids(n);
  const auto queries = clustered_vectors(rng, nq, dim, 100, 0.35f);
  auto exact = create_index("exact", dim, IndexMetric::L2);
  auto ann = create_index(spec, dim, IndexMetric::L2);
  exact->add(ids, base.data());
  ann->add(ids, base.data());
  const auto want = exact->search(queries.data(), nq, k), got = ann->search(queries.data(), nq, k);
  std::size_t found = 0;
  for (std::size_t q = 0; q < nq; ++q) {
    const std::set<std::int64_t> truth(want.ids.begin() + std::ptrdiff_t(q * k),
                                       want.ids.begin() + std::ptrdiff_t((q + 1) * k));
    for (std::size_t i = 0; i < k; ++i) found += truth.count(got.ids[q * k + i]);
  }
  return double(found) / double(nq * k);
}

// 10k vectors in 100 clusters: each query's 10 neighbours lie among ~100 nearly equidistant
// cluster mates, which is what makes ANN recall hard (and what a face gallery looks like).
TEST(HnswIndex, RecallAtTenAgainstExact) {
  const double recall = recall_at_10("hnsw");
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95);
}

TEST(FaissIndex, IvfRecallAtTenAgainstExact) {
  if (!faiss_available()) GTEST_SKIP() << "built without Faiss";
  const double recall = recall_at_10("faiss:IVF64,Flat@nprobe=16");
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95);
}

class EveryIndexKind : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryIndexKind, RemovedVectorsAreNeverReturned) {
  std::mt19937 rng(13);
  const int dim = 16;
  const auto base = clustered_vectors(rng, 500, dim, 5, 0.2f);
  const auto ids = sequential_ids(500);
  auto index = create_index(GetParam(), dim, IndexMetric::L2);
  index->add(ids, base.data());
  std::vector<std::int64_t> removed;
  for (std::size_t i = 0; i < ids.size(); i += 2) removed.push_back(ids[i]);
  removed.push_back(123456789);  // unknown: ignored
  EXPECT_EQ(index->remove(removed), 250u);
  EXPECT_EQ(index->remove(removed), 0u);  // twice: nothing more
  EXPECT_EQ(index->size(), 250u);
  const std::set<std::int64_t> gone(removed.begin(), removed.end());
  // Query with the removed vectors themselves: their own id would be the best hit.
  const auto r = index->search(base.data(), 500, 5);
  for (auto id : r.ids) EXPECT_EQ(gone.count(id), 0u) << id;
}

TEST_P(EveryIndexKind, WriteReadRoundTripAndDamage) {
  std::mt19937 rng(14);
  const int dim = 24;
  const auto base = clustered_vectors(rng, 2000, dim, 10, 0.3f);
  const auto ids = sequential_ids(2000);
  auto index = create_index(GetParam(), dim, IndexMetric::InnerProduct);
  index->add(ids, base.data());
  index->remove(std::vector<std::int64_t>{ids[0], ids[1]});
  const auto dir = temp_dir("index_io_" + file_safe(GetParam()));
  const std::string path = (dir / "x.index").string();
  write_index(*index, path, "metadata-text");
  std::string metadata;
  const auto loaded = read_index(path, &metadata);
  EXPECT_EQ(metadata, "metadata-text");
  EXPECT_EQ(loaded->spec(), index->spec());
  EXPECT_EQ(loaded->size(), index->size());
  const auto a = index->search(base.data(), 50, 10), b = loaded->search(base.data(), 50, 10);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.distances, b.distances);

  // Any damage is detected before the payload is trusted.
  const std::string intact = read_file(path);
  auto expect_rejected = [&](const std::string& bytes, const char* what) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    EXPECT_THROW(read_index(path), Error) << what;
  };
  std::string flipped = intact;
  flipped[flipped.size() / 3] ^= 0x40;
  expect_rejected(flipped, "flipped byte");
  expect_rejected(intact.substr(0, intact.size() / 2), "truncated");
  expect_rejected("", "empty");
  expect_rejected(std::string(4096, 'x'), "foreign");
}

// Faiss kinds when built with it: IVF removes natively, HNSW through tombstones.
std::vector<std::string> index_specs_under_test() {
  std::vector<std::string> specs = {"exact", "exact:int8", "hnsw"};
  if (faiss_available())
    specs.insert(specs.end(), {"faiss:IVF16,Flat@nprobe=4", "faiss:HNSW16@efSearch=64", "ivfpq:nlist=16,m=8,nbits=4"});
  return specs;
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryIndexKind, ::testing::ValuesIn(index_specs_under_test()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return file_safe(info.param); });

TEST(IndexFactory, RejectsUnknownSpecsNamingTheValidOnes) {
  try {
    create_index("annoy", 8, IndexMetric::L2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hnsw"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_index("hnsw:M=abc", 8, IndexMetric::L2), Error);
  EXPECT_THROW(create_index("hnsw:efsearch=10", 8, IndexMetric::L2), Error);  // typo caught
}

// The index file beside the gallery follows the store: added and removed faces are applied
// incrementally on the next load, and a file from another gallery is rebuilt.
TEST(GalleryIndex, CatchesUpWithTheStoreWithoutRebuilding) {
  const auto dir = temp_dir("gallery_index_sync");
  auto store = create_sqlite_gallery((dir / "g.db").string());
  const auto space = test_space("m", 8);
  std::mt19937 rng(15);
  std::vector<std::vector<float>> vectors;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    vectors.push_back(random_vector(rng, 8));
    ids.push_back(
        add_one(*store, space, one_face("p" + std::to_string(i), "/" + std::to_string(i), vectors.back()))[0]);
  }
  for (const std::string spec : {"exact", "hnsw"}) {
    {
      GalleryIndex index(*store, space, spec, false);
      index.sync();
      EXPECT_TRUE(index.rebuilt());
      EXPECT_TRUE(fs::exists(index.path())) << index.path();
    }
    vectors.push_back(random_vector(rng, 8));
    const auto added = add_one(*store, space, one_face("new", "/new-" + spec, vectors.back()));
    store->remove_faces(std::vector<std::int64_t>{ids[0]});
    GalleryIndex index(*store, space, spec, false);
    index.sync();
    EXPECT_FALSE(index.rebuilt()) << spec << ": should have caught up from the file";
    EXPECT_EQ(index.index().size(), store->stats().faces);
    auto hit = index.search(vectors.back().data(), 1, 1);
    EXPECT_EQ(hit.ids[0], added[0]);
    hit = index.search(vectors[0].data(), 1, 1);
    EXPECT_NE(hit.ids[0], ids[0]) << "removed face returned";
    ids.erase(ids.begin());
    vectors.erase(vectors.begin());
  }
  // Another gallery's index file under this name is not trusted.
  auto other = create_sqlite_gallery((dir / "other.db").string());
  add_one(*other, space, one_face("x", "/x", random_vector(rng, 8)));
  GalleryIndex theirs(*other, space, "exact", false);
  theirs.sync();
  fs::copy_file(theirs.path(), gallery_index_path(store->location(), space, "exact", false),
                fs::copy_options::overwrite_existing);
  GalleryIndex mine(*store, space, "exact", false);
  mine.sync();
  EXPECT_TRUE(mine.rebuilt());
  EXPECT_EQ(mine.index().size(), store->stats().faces);
}
