// "faiss:<factory string>[@<parameters>]": any Faiss index_factory description ("IVF1024,PQ32",
// "IVF256,Flat", "HNSW32", ...) with optional search parameters as Faiss's ParameterSpace spells
// them ("faiss:IVF1024,PQ32@nprobe=16"), from Debian's libfaiss-dev. Built only when CMake finds
// Faiss (FACEKIT_HAVE_FAISS).
//
// Ids: IVF indexes take them directly; others are wrapped in IndexIDMap2. Removal: remove_ids where
// the index supports it (IVF, Flat); otherwise (HNSW) the id becomes a tombstone, filtered out of
// results by searching deeper, until the gallery rebuilds the index (see Index::tombstones()).
// Training: the first add() trains untrained indexes (IVF, PQ) on the vectors it is given.
#include "facekit/error.hpp"
#include "facekit/registry.hpp"
#include "gallery/index.hpp"

#ifdef FACEKIT_HAVE_FAISS
#include <cblas.h>
#include <faiss/AutoTune.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "facekit/runtime.hpp"
#endif

namespace facekit {

std::string ivfpq_faiss_description(const std::string& options, int dim) {
  const auto o = ComponentOptions::parse(options.empty() ? "ivfpq" : "ivfpq:" + options);
  o.check_known({"nlist", "m", "nbits", "nprobe", "refine"});
  const int nlist = o.get_int("nlist", 1024), m = o.get_int("m", 32), nbits = o.get_int("nbits", 8),
            nprobe = o.get_int("nprobe", 16), refine = o.get_int("refine", 0);
  if (nlist < 1 || m < 1 || dim % m != 0 || nbits < 1 || nbits > 16 || nprobe < 1 || refine < 0)
    throw Error(ErrorCode::InvalidArgument, "ivfpq index: need nlist >= 1, m dividing the dimension " +
                                                std::to_string(dim) + ", 1 <= nbits <= 16, nprobe >= 1, refine >= 0");
  if (!faiss_available())
    throw Error(ErrorCode::Unsupported, "ivfpq index needs Faiss: this facekit was built without it "
                                        "(install libfaiss-dev and rebuild), use exact or hnsw");
  std::string description = "IVF" + std::to_string(nlist) + ",PQ" + std::to_string(m) + "x" + std::to_string(nbits);
  if (refine > 0) description += ",RFlat";
  description += "@nprobe=" + std::to_string(nprobe);
  if (refine > 0) description += ",k_factor_rf=" + std::to_string(refine);
  return description;
}

#ifdef FACEKIT_HAVE_FAISS
namespace {

using idx_t = faiss::Index::idx_t;

// Faiss parallelises with OpenMP; OpenBLAS threads inside OpenMP threads oversubscribe the cores
// (and OpenBLAS warns it may hang), so BLAS runs single-threaded for the duration of a Faiss call.
class FaissThreads {
 public:
  FaissThreads() {
    omp_set_num_threads(num_threads());
    openblas_set_num_threads(1);
  }
  ~FaissThreads() { openblas_set_num_threads(num_threads()); }
};

template <typename F>
auto faiss_call(const std::string& what, F&& f) {
  FaissThreads threads;
  try {
    return f();
  } catch (const faiss::FaissException& e) {
    throw Error(ErrorCode::InvalidArgument, "faiss " + what + ": " + e.what());
  }
}

class FaissIndex final : public Index {
 public:
  FaissIndex(std::string description, int dim, IndexMetric metric)
      : description_(std::move(description)), dim_(dim), metric_(metric) {
    if (description_.empty())
      throw Error(ErrorCode::InvalidArgument, "faiss index: give a factory string, e.g. faiss:IVF1024,PQ32");
    const auto at = description_.find('@');
    const std::string factory = description_.substr(0, at),
                      parameters = at == std::string::npos ? "" : description_.substr(at + 1);
    index_.reset(faiss_call("index_factory('" + factory + "')", [&] {
      faiss::Index* inner = faiss::index_factory(
          dim, factory.c_str(), metric == IndexMetric::L2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT);
      if (dynamic_cast<faiss::IndexIVF*>(inner)) return inner;  // takes ids itself
      auto* mapped = new faiss::IndexIDMap2(inner);
      mapped->own_fields = true;
      return static_cast<faiss::Index*>(mapped);
    }));
    // Stored inside the index (nprobe, efSearch), so a loaded file keeps them.
    if (!parameters.empty())
      faiss_call("parameters '" + parameters + "'",
                 [&] { faiss::ParameterSpace().set_index_parameters(index_.get(), parameters.c_str()); });
  }

  std::string spec() const override { return "faiss:" + description_; }
  int dim() const override { return dim_; }
  IndexMetric metric() const override { return metric_; }
  std::size_t size() const override { return std::size_t(index_->ntotal) - tombstones_.size(); }
  std::size_t tombstones() const override { return tombstones_.size(); }

  void add(std::span<const std::int64_t> ids, const float* vectors) override {
    if (ids.empty()) return;
    // Ids are never reused by the gallery; a tombstoned id coming back would be a replacement.
    for (std::int64_t id : ids) tombstones_.erase(id);
    if (!index_->is_trained) {
      try {
        faiss_call("training", [&] { index_->train(idx_t(ids.size()), vectors); });
      } catch (const Error& e) {
        throw Error(ErrorCode::InvalidArgument, std::string(e.what()) + " (" + std::to_string(ids.size()) +
                                                    " vectors are too few to train " + spec() +
                                                    "; use exact or hnsw for a gallery this small)");
      }
    }
    faiss_call("add",
               [&] { index_->add_with_ids(idx_t(ids.size()), vectors, reinterpret_cast<const idx_t*>(ids.data())); });
  }

  std::size_t remove(std::span<const std::int64_t> ids) override {
    if (ids.empty()) return 0;
    const faiss::IDSelectorBatch selector(idx_t(ids.size()), reinterpret_cast<const idx_t*>(ids.data()));
    try {
      return faiss_call("remove", [&] { return std::size_t(index_->remove_ids(selector)); });
    } catch (const Error&) {
      // This index kind cannot remove (HNSW): tombstones. Only ids present count.
      std::size_t removed = 0;
      for (std::int64_t id : ids)
        if (present(id) && tombstones_.insert(id).second) ++removed;
      return removed;
    }
  }

  SearchResults search(const float* queries, std::size_t nq, std::size_t k) const override {
    SearchResults res = SearchResults::no_hits(nq, k, metric_);
    if (size() == 0 || k == 0) return res;
    // Deep enough that k live hits remain after dropping every tombstone.
    const std::size_t deep = std::min<std::size_t>(k + tombstones_.size(), std::size_t(index_->ntotal));
    std::vector<idx_t> ids(nq * deep);
    std::vector<float> distances(nq * deep);
    faiss_call("search", [&] { index_->search(idx_t(nq), queries, idx_t(deep), distances.data(), ids.data()); });
    for (std::size_t q = 0; q < nq; ++q) {
      std::size_t out = 0;
      for (std::size_t i = 0; i < deep && out < k; ++i) {
        const idx_t id = ids[q * deep + i];
        if (id < 0 || tombstones_.count(id)) continue;
        res.ids[q * k + out] = id;
        res.distances[q * k + out] = distances[q * deep + i];
        ++out;
      }
    }
    return res;
  }

  void save_payload(std::FILE* out) const override {
    const std::uint64_t count = tombstones_.size();
    std::vector<std::int64_t> dead(tombstones_.begin(), tombstones_.end());
    if (std::fwrite(&count, sizeof count, 1, out) != 1 ||
        std::fwrite(dead.data(), sizeof(std::int64_t), count, out) != count)
      throw Error(ErrorCode::Internal, "faiss index: write failed");
    faiss_call("write_index", [&] { faiss::write_index(index_.get(), out); });
  }

  void load_payload(std::FILE* in, std::uint64_t bytes) override {
    std::uint64_t count = 0;
    if (std::fread(&count, sizeof count, 1, in) != 1 || count * sizeof(std::int64_t) + sizeof count > bytes)
      throw Error(ErrorCode::DecodeFailed, "faiss index: bad tombstone count");
    std::vector<std::int64_t> dead(count);
    if (std::fread(dead.data(), sizeof(std::int64_t), count, in) != count)
      throw Error(ErrorCode::DecodeFailed, "faiss index: truncated payload");
    std::unique_ptr<faiss::Index> loaded;
    try {
      loaded.reset(faiss_call("read_index", [&] { return faiss::read_index(in); }));
    } catch (const Error& e) {
      throw Error(ErrorCode::DecodeFailed, e.what());
    }
    if (loaded->d != dim_) throw Error(ErrorCode::DecodeFailed, "faiss index: stored dimension differs");
    index_ = std::move(loaded);
    tombstones_ = std::unordered_set<std::int64_t>(dead.begin(), dead.end());
  }

 private:
  bool present(std::int64_t id) const {
    if (auto* mapped = dynamic_cast<const faiss::IndexIDMap2*>(index_.get()))
      return mapped->rev_map.count(idx_t(id)) > 0;
    return true;  // IVF removes natively and never gets here
  }

  std::string description_;
  int dim_;
  IndexMetric metric_;
  std::unique_ptr<faiss::Index> index_;
  std::unordered_set<std::int64_t> tombstones_;
};

}  // namespace

std::unique_ptr<Index> create_faiss_index(const std::string& description, int dim, IndexMetric metric) {
  return std::make_unique<FaissIndex>(description, dim, metric);
}

bool faiss_available() { return true; }

#else

std::unique_ptr<Index> create_faiss_index(const std::string&, int, IndexMetric) {
  throw Error(ErrorCode::Unsupported, "this facekit was built without Faiss (install libfaiss-dev and rebuild)");
}

bool faiss_available() { return false; }

#endif

}  // namespace facekit
