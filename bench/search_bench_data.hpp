// Inputs and probes of the search benchmark (bench/search_bench.cpp): the synthetic face-like
// vectors, the real LFW embeddings from the eval cache, the nearest-neighbour / median distance
// ratio that ties the two together, and the streaming-read bandwidth probe.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/huge_page_allocator.hpp"
#include "facekit/models.hpp"

namespace facekit::bench {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct VectorSet {
  int dim = 0;
  std::vector<float> rows;          // n * dim
  std::vector<std::int32_t> label;  // identity of each row
  std::size_t size() const { return dim ? rows.size() / std::size_t(dim) : 0; }
  const float* row(std::size_t i) const { return rows.data() + i * std::size_t(dim); }
};

// Face-like vectors: identities are centres in a low-dimensional random subspace (faces vary along
// few directions: pose, light, age...), each face is its identity's centre plus isotropic noise,
// and identities have 1 + Geometric images, mean 1.34 as in the LFW subset in shared/. `spread` sets
// how far a face lies from its identity's centre; it is tuned so that the nearest-neighbour /
// median distance ratio matches real LFW embeddings (printed side by side by the bench).
struct FaceLikeGenerator {
  int dim = 128;
  int subspace = 16;
  float spread = 0.5f;
  double extra_images_mean = 0.34;

  VectorSet make(std::size_t n, std::uint32_t seed) const {
    std::mt19937_64 rng(seed);
    basis_ = random_basis(seed ^ 0x5eedULL);
    VectorSet out;
    out.dim = dim;
    out.rows.reserve(n * std::size_t(dim));
    std::geometric_distribution<int> extra(1.0 / (1.0 + extra_images_mean));
    std::int32_t identity = 0;
    while (out.size() < n) {
      const auto centre = new_centre(rng);
      centres_.push_back(centre);
      const std::size_t images = std::min<std::size_t>(n - out.size(), 1 + std::size_t(extra(rng)));
      for (std::size_t i = 0; i < images; ++i) append_face(rng, centre, identity, out);
      ++identity;
    }
    return out;
  }

  // Probes: new images of enrolled identities (a fraction `enrolled`) or of strangers.
  VectorSet probes(std::size_t n, double enrolled, std::uint32_t seed) const {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution known(enrolled);
    std::uniform_int_distribution<std::size_t> pick(0, centres_.size() - 1);
    VectorSet out;
    out.dim = dim;
    for (std::size_t i = 0; i < n; ++i) {
      if (known(rng)) {
        const std::size_t id = pick(rng);
        append_face(rng, centres_[id], std::int32_t(id), out);
      } else {
        append_face(rng, new_centre(rng), -1, out);
      }
    }
    return out;
  }

 private:
  std::vector<float> random_basis(std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    // Unit expected centre norm, so that `spread` is relative to the distance between identities.
    std::normal_distribution<float> g(0.f, 1.f / std::sqrt(float(subspace) * float(dim)));
    std::vector<float> b(std::size_t(subspace) * std::size_t(dim));
    for (auto& v : b) v = g(rng);
    return b;
  }
  std::vector<float> new_centre(std::mt19937_64& rng) const {
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> c(std::size_t(dim), 0.f);
    for (int s = 0; s < subspace; ++s) {
      const float z = g(rng);
      const float* b = basis_.data() + std::size_t(s) * std::size_t(dim);
      for (int j = 0; j < dim; ++j) c[std::size_t(j)] += z * b[j];
    }
    return c;
  }
  void append_face(std::mt19937_64& rng, const std::vector<float>& centre, std::int32_t identity,
                   VectorSet& out) const {
    std::normal_distribution<float> noise(0.f, spread / std::sqrt(float(dim)));
    for (int j = 0; j < dim; ++j) out.rows.push_back(centre[std::size_t(j)] + noise(rng));
    out.label.push_back(identity);
  }
  mutable std::vector<float> basis_;
  mutable std::vector<std::vector<float>> centres_;
};

// Median over `samples` points of (distance to the nearest other point / median distance to all
// other points). Scale-free, so real and synthetic sets compare directly at the same size.
inline double nn_to_median_ratio(const VectorSet& set, std::size_t samples, std::uint32_t seed) {
  const std::size_t n = set.size();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<double> ratios;
  std::vector<float> d(n);
  for (std::size_t s = 0; s < std::min(samples, n); ++s) {
    const std::size_t i = pick(rng);
    for (std::size_t r = 0; r < n; ++r) {
      float acc = 0;
      for (int j = 0; j < set.dim; ++j) {
        const float t = set.row(i)[j] - set.row(r)[j];
        acc += t * t;
      }
      d[r] = r == i ? INFINITY : std::sqrt(acc);
    }
    const float nearest = *std::min_element(d.begin(), d.end());
    std::nth_element(d.begin(), d.begin() + std::ptrdiff_t(n / 2), d.end());
    ratios.push_back(nearest / d[n / 2]);
  }
  std::nth_element(ratios.begin(), ratios.begin() + std::ptrdiff_t(ratios.size() / 2), ratios.end());
  return ratios[ratios.size() / 2];
}

// LFW embeddings from the eval cache (JSON lines, key "<sha256 of the image file>|<config>"), in
// labels.csv order (paths relative to lfw_root), labelled by identity. Images missing from the cache are counted, not fatal.
struct LfwSet {
  VectorSet vectors;
  std::vector<std::string> identities;  // index = label
  std::size_t missing = 0;
};

inline LfwSet load_lfw(const std::string& cache_path, const std::string& lfw_root) {
  std::ifstream cache(cache_path);
  if (!cache) throw std::runtime_error(cache_path + ": cannot open the embedding cache");
  std::unordered_map<std::string, std::vector<float>> by_hash;
  std::string line;
  for (std::size_t number = 1; std::getline(cache, line); ++number) {
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      const std::string key = j.at("key");
      by_hash[key.substr(0, key.find('|'))] = j.at("embedding").get<std::vector<float>>();
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(cache_path + ":" + std::to_string(number) + ": not an embedding cache line (" +
                               e.what() + ")");
    }
  }
  const std::string labels_path = lfw_root + "/labels.csv";
  std::ifstream labels(labels_path);
  if (!labels) throw std::runtime_error(labels_path + ": cannot open");
  LfwSet out;
  std::map<std::string, std::int32_t> label_of;
  std::getline(labels, line);  // header: file,identity,images_of_identity
  while (std::getline(labels, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) throw std::runtime_error(labels_path + ": bad line " + line);
    const std::string file = lfw_root + "/" + line.substr(0, c1), identity = line.substr(c1 + 1, c2 - c1 - 1);
    const auto it = by_hash.find(sha256_file(file));
    if (it == by_hash.end()) {
      ++out.missing;
      continue;
    }
    if (out.vectors.dim == 0) out.vectors.dim = int(it->second.size());
    if (int(it->second.size()) != out.vectors.dim) throw std::runtime_error(cache_path + ": mixed dimensions");
    auto [pos, fresh] = label_of.emplace(identity, std::int32_t(out.identities.size()));
    if (fresh) out.identities.push_back(identity);
    out.vectors.rows.insert(out.vectors.rows.end(), it->second.begin(), it->second.end());
    out.vectors.label.push_back(pos->second);
  }
  return out;
}

// The buffer the bandwidth floor is measured on: the same allocator as the exact index's vector
// store (2 MiB aligned, huge pages where the kernel gives them), so neither side gets cheaper pages.
using StreamBuffer = std::vector<float, HugePageAllocator<float>>;

// Seconds for one pass summing data[0, n) split over `threads` threads, spawned for the pass as the
// index's parallel_for spawns them for a search. Eight independent accumulators keep the loads in
// flight; the sums go to `sink` so the compiler cannot drop the reads.
inline double stream_pass_seconds(const float* data, std::size_t n, int threads, float* sink) {
  const std::size_t chunk = (n / std::size_t(threads)) & ~std::size_t(63);
  const auto start = std::chrono::steady_clock::now();
  auto sum = [&](int t) {
    const float* x = data + std::size_t(t) * chunk;
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (std::size_t i = 0; i < chunk; i += 64)
      for (int u = 0; u < 8; ++u) acc[u] = _mm256_add_ps(acc[u], _mm256_loadu_ps(x + i + 8 * u));
    for (int u = 1; u < 8; ++u) acc[0] = _mm256_add_ps(acc[0], acc[u]);
    _mm256_storeu_ps(sink + std::size_t(t) * 16, acc[0]);
  };
  if (threads == 1) {
    sum(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(sum, t);
    for (auto& th : pool) th.join();
  }
  return seconds_since(start) * double(n) / double(chunk * std::size_t(threads));  // n / chunk: the few rounded-off floats
}

// Streaming read bandwidth in bytes/s: the best of several passes over a buffer far larger than the
// caches, split over `threads`.
inline double read_bandwidth(const StreamBuffer& buffer, int threads, int passes) {
  double best = 0;
  std::vector<float> sink(std::size_t(threads) * 16, 0.f);
  for (int p = 0; p < passes; ++p)
    best = std::max(best, double(buffer.size()) * sizeof(float) /
                              stream_pass_seconds(buffer.data(), buffer.size(), threads, sink.data()));
  volatile float keep = sink[0];
  (void)keep;
  return best;
}

}  // namespace facekit::bench
