// Vector indexes behind one interface, modelled on Faiss's Index: add(ids, vectors), remove(ids),
// search(queries, k), persisted to a file. Kinds are chosen by a factory string:
//   "exact"                              brute force over float32 (SIMD, batched, multi-threaded)
//   "exact:int8"                         the same over int8 codes with a scale per row (1/4 the bytes)
//   "hnsw[:M=32,ef_construction=200,ef_search=128]"   hnswlib (NMSLIB's HNSW), approximate
//   "faiss:<index_factory string>"       Faiss ("IVF1024,PQ32", "HNSW32", ...), when built with it
//   "ivfpq[:nlist=1024,m=32,nbits=8,nprobe=16,refine=0]"   shorthand for faiss:IVF<nlist>,PQ<m>x<nbits>
//                                        (refine=R > 0: re-rank R*k candidates on the full vectors, RFlat)
// Ids are the gallery's face ids: chosen by the caller, never reused, so deletes are by id.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace facekit {

// L2: squared euclidean distance, best first = smallest. InnerProduct: dot product, best first =
// largest (as in Faiss). Cosine is InnerProduct (or L2) over unit vectors.
enum class IndexMetric { L2, InnerProduct };
const char* index_metric_name(IndexMetric metric);

struct SearchResults {
  std::size_t nq = 0, k = 0;
  std::vector<std::int64_t> ids;  // nq * k, row-major, best first; -1 past the last hit
  std::vector<float> distances;   // same layout; squared L2 or inner product

  // nq x k slots, all empty: id -1 at the worst distance of the metric (+inf for L2, -inf for inner product).
  static SearchResults no_hits(std::size_t nq, std::size_t k, IndexMetric metric);
};

class Index {
 public:
  virtual ~Index() = default;
  // The factory string that makes an empty index of this kind with these parameters.
  virtual std::string spec() const = 0;
  virtual int dim() const = 0;
  virtual IndexMetric metric() const = 0;
  virtual std::size_t size() const = 0;  // vectors present (removed ones excluded)
  // Removed vectors still held (marked, not freed) and still costing search time; the gallery
  // rebuilds an index whose tombstones outgrow a quarter of its size.
  virtual std::size_t tombstones() const { return 0; }

  // `vectors` holds ids.size() rows of dim() floats. Adding an id already present replaces it.
  virtual void add(std::span<const std::int64_t> ids, const float* vectors) = 0;
  // Ids not present are ignored (deleted twice, or never indexed). Returns how many were removed.
  virtual std::size_t remove(std::span<const std::int64_t> ids) = 0;
  // nq query rows of dim() floats; up to k hits each. Thread-safe against other searches.
  virtual SearchResults search(const float* queries, std::size_t nq, std::size_t k) const = 0;

  // Kind-specific state only; write_index/read_index add the header and the checksum.
  virtual void save_payload(std::FILE* out) const = 0;
  virtual void load_payload(std::FILE* in, std::uint64_t bytes) = 0;
};

// Throws InvalidArgument naming the valid kinds for an unknown spec.
std::unique_ptr<Index> create_index(const std::string& spec, int dim, IndexMetric metric);
std::vector<std::string> index_kinds();  // "exact", "hnsw", with a one-line description each

// Atomic (temporary file + rename) and checksummed. `metadata` is an opaque string the caller
// uses to decide whether the file is still current (the gallery stores its sync point there).
void write_index(const Index& index, const std::string& path, const std::string& metadata = "");
// Throws facekit::Error (DecodeFailed) for a missing, truncated, corrupt or foreign file.
std::unique_ptr<Index> read_index(const std::string& path, std::string* metadata = nullptr);

// Factories for the individual kinds (index.cpp dispatches to these).
std::unique_ptr<Index> create_exact_index(int dim, IndexMetric metric, const std::string& storage = "");
std::unique_ptr<Index> create_hnsw_index(const std::string& options, int dim, IndexMetric metric);
std::unique_ptr<Index> create_faiss_index(const std::string& description, int dim, IndexMetric metric);
// The faiss factory string an "ivfpq" spec stands for; throws Unsupported without Faiss.
std::string ivfpq_faiss_description(const std::string& options, int dim);
bool faiss_available();  // built with Faiss (Debian libfaiss-dev)

}  // namespace facekit
