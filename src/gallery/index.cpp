// The index factory and the index file container.
//
// File layout: [payload][JSON trailer][u64 trailer length][8-byte magic]. The trailer goes last
// because the payload's size and checksum are known only once it has been written. Index files
// are caches of the gallery, so every check failing here means "rebuild", never data loss.
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "facekit/error.hpp"
#include "gallery/index.hpp"

namespace facekit {
namespace {

constexpr char kMagic[8] = {'F', 'K', 'I', 'N', 'D', 'E', 'X', '1'};

// A fast 64-bit checksum (xxHash64's round on four lanes): catches torn and damaged files at
// several GB/s, before hnswlib, which trusts its input, ever reads the payload.
class Checksum {
 public:
  void update(const unsigned char* p, std::size_t n) {
    total_ += n;
    if (pending_size_ > 0) {
      const std::size_t take = std::min(n, sizeof pending_ - pending_size_);
      std::memcpy(pending_ + pending_size_, p, take);
      pending_size_ += take;
      p += take;
      n -= take;
      if (pending_size_ < sizeof pending_) return;
      consume_block(pending_);
      pending_size_ = 0;
    }
    for (; n >= sizeof pending_; p += sizeof pending_, n -= sizeof pending_) consume_block(p);
    std::memcpy(pending_, p, n);
    pending_size_ = n;
  }
  std::uint64_t digest() const {
    std::uint64_t h = total_;
    for (std::uint64_t lane : lanes_) h = round(h ^ lane, kPrime2);
    for (std::size_t i = 0; i < pending_size_; ++i) h = round(h ^ pending_[i], kPrime1);
    return h;
  }

 private:
  static constexpr std::uint64_t kPrime1 = 11400714785074694791ULL, kPrime2 = 14029467366897019727ULL;
  static std::uint64_t round(std::uint64_t acc, std::uint64_t input) {
    acc += input * kPrime2;
    acc = (acc << 31) | (acc >> 33);
    return acc * kPrime1;
  }
  void consume_block(const unsigned char* block) {
    for (int lane = 0; lane < 4; ++lane) {
      std::uint64_t word;
      std::memcpy(&word, block + 8 * lane, 8);
      lanes_[lane] = round(lanes_[lane], word);
    }
  }
  std::uint64_t lanes_[4] = {kPrime1, kPrime2, 0, kPrime1 * 3};
  unsigned char pending_[32];
  std::size_t pending_size_ = 0;
  std::uint64_t total_ = 0;
};

// Checksum of the first `bytes` bytes of the file.
std::uint64_t checksum_prefix(std::FILE* f, std::uint64_t bytes) {
  std::vector<unsigned char> buf(1 << 20);
  Checksum sum;
  std::fseek(f, 0, SEEK_SET);
  while (bytes > 0) {
    const std::size_t want = std::size_t(std::min<std::uint64_t>(bytes, buf.size()));
    if (std::fread(buf.data(), 1, want, f) != want) throw Error(ErrorCode::DecodeFailed, "truncated");
    sum.update(buf.data(), want);
    bytes -= want;
  }
  return sum.digest();
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

IndexMetric parse_index_metric(const std::string& name) {
  if (name == "l2") return IndexMetric::L2;
  if (name == "inner_product") return IndexMetric::InnerProduct;
  throw Error(ErrorCode::DecodeFailed, "unknown metric '" + name + "'");
}

}  // namespace

SearchResults SearchResults::no_hits(std::size_t nq, std::size_t k, IndexMetric metric) {
  SearchResults res;
  res.nq = nq;
  res.k = k;
  res.ids.assign(nq * k, -1);
  res.distances.assign(nq * k, metric == IndexMetric::L2 ? std::numeric_limits<float>::infinity()
                                                         : -std::numeric_limits<float>::infinity());
  return res;
}

const char* index_metric_name(IndexMetric metric) { return metric == IndexMetric::L2 ? "l2" : "inner_product"; }

std::vector<std::string> index_kinds() {
  std::vector<std::string> kinds = {
      "exact: brute force over float32 (SIMD, batched, all cores); recall 1",
      "exact:int8: brute force over int8 codes with a scale per row; 1/4 the memory, near-exact",
      "hnsw[:M=32,ef_construction=200,ef_search=128]: hnswlib graph, approximate, fast at any size"};
  if (faiss_available())
  {
    kinds.push_back("faiss:<factory string>[@<parameters>]: Faiss, e.g. faiss:IVF1024,PQ32@nprobe=16 (trained on "
                    "the first add), faiss:HNSW32");
    kinds.push_back("ivfpq[:nlist=1024,m=32,nbits=8,nprobe=16,refine=0]: Faiss IVF-PQ, compressed, for millions");
  }
  return kinds;
}

std::unique_ptr<Index> create_index(const std::string& spec, int dim, IndexMetric metric) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), options = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "exact") return create_exact_index(dim, metric, options);
  if (kind == "ivfpq") return create_faiss_index(ivfpq_faiss_description(options, dim), dim, metric);
  if (kind == "hnsw") return create_hnsw_index(options, dim, metric);
  if (kind == "faiss") return create_faiss_index(options, dim, metric);
  std::string valid;
  for (const auto& k : index_kinds()) valid += "\n  " + k;
  throw Error(ErrorCode::InvalidArgument, "unknown index '" + spec + "'; valid:" + valid);
}

void write_index(const Index& index, const std::string& path, const std::string& metadata) {
  // Unique temporary name in the same directory: rename() is atomic only within a file system,
  // and concurrent writers (two `find`s) must not share one.
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  try {
    File f(std::fopen(tmp.c_str(), "w+b"));
    if (!f) throw Error(ErrorCode::FileNotFound, tmp + ": cannot create index file");
    index.save_payload(f.get());
    if (std::fflush(f.get()) != 0) throw Error(ErrorCode::Internal, tmp + ": write failed");
    const std::uint64_t payload_bytes = std::uint64_t(std::ftell(f.get()));
    const nlohmann::json trailer = {{"spec", index.spec()},
                                    {"dim", index.dim()},
                                    {"metric", index_metric_name(index.metric())},
                                    {"size", index.size()},
                                    {"payload_bytes", payload_bytes},
                                    {"checksum", checksum_prefix(f.get(), payload_bytes)},
                                    {"metadata", metadata}};
    const std::string text = trailer.dump();
    const std::uint64_t length = text.size();
    std::fseek(f.get(), 0, SEEK_END);
    bool ok = std::fwrite(text.data(), 1, text.size(), f.get()) == text.size();
    ok = ok && std::fwrite(&length, sizeof length, 1, f.get()) == 1;
    ok = ok && std::fwrite(kMagic, 1, sizeof kMagic, f.get()) == sizeof kMagic;
    ok = ok && std::fflush(f.get()) == 0 && ::fsync(::fileno(f.get())) == 0;
    if (!ok) throw Error(ErrorCode::Internal, tmp + ": write failed (disk full?)");
    f.reset();
    std::filesystem::rename(tmp, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

std::unique_ptr<Index> read_index(const std::string& path, std::string* metadata) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(ErrorCode::FileNotFound, path + ": cannot open index file");
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::DecodeFailed, path + ": not a usable index (" + why + ")");
  };
  std::fseek(f.get(), 0, SEEK_END);
  const long file_size = std::ftell(f.get());
  constexpr long kTail = sizeof(std::uint64_t) + sizeof kMagic;
  if (file_size < kTail) throw fail("too short");
  char magic[sizeof kMagic];
  std::uint64_t length = 0;
  std::fseek(f.get(), file_size - kTail, SEEK_SET);
  if (std::fread(&length, sizeof length, 1, f.get()) != 1 ||
      std::fread(magic, 1, sizeof magic, f.get()) != sizeof magic || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw fail("no facekit index trailer");
  if (length > std::uint64_t(file_size - kTail)) throw fail("trailer length out of range");
  const std::uint64_t payload_bytes = std::uint64_t(file_size - kTail) - length;
  std::string text(length, '\0');
  std::fseek(f.get(), long(payload_bytes), SEEK_SET);
  if (std::fread(text.data(), 1, length, f.get()) != length) throw fail("truncated trailer");

  std::unique_ptr<Index> index;
  try {
    const auto trailer = nlohmann::json::parse(text);
    if (trailer.at("payload_bytes").get<std::uint64_t>() != payload_bytes) throw fail("payload size mismatch");
    if (checksum_prefix(f.get(), payload_bytes) != trailer.at("checksum").get<std::uint64_t>())
      throw fail("checksum mismatch");
    index = create_index(trailer.at("spec").get<std::string>(), trailer.at("dim").get<int>(),
                         parse_index_metric(trailer.at("metric").get<std::string>()));
    std::fseek(f.get(), 0, SEEK_SET);
    index->load_payload(f.get(), payload_bytes);
    if (index->size() != trailer.at("size").get<std::size_t>()) throw fail("vector count mismatch");
    if (metadata) *metadata = trailer.at("metadata").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("bad trailer: ") + e.what());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::DecodeFailed && std::string(e.what()).rfind(path, 0) == 0) throw;
    throw fail(e.what());
  }
  return index;
}

}  // namespace facekit
