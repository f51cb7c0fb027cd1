// Helpers for the gallery tests: synthetic embeddings and enrolments, byte-exact file snapshots.
#pragma once
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gallery/gallery_store.hpp"
#include "support/test_support.hpp"

namespace facekit::test {

inline EmbeddingSpace test_space(const std::string& model = "fake-model", int dim = 8) { return {model, "v1", dim}; }

inline std::vector<float> random_vector(std::mt19937& rng, int dim) {
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> v(static_cast<std::size_t>(dim));
  for (auto& x : v) x = normal(rng);
  return v;
}

// Points around `clusters` random centres (spread `sigma`): neighbours are close within a
// cluster and far across, as face embeddings of a gallery of people are.
inline std::vector<float> clustered_vectors(std::mt19937& rng, std::size_t n, int dim, int clusters, float sigma) {
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < clusters; ++c) centres.push_back(random_vector(rng, dim));
  std::normal_distribution<float> noise(0.f, sigma);
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<float> out;
  out.reserve(n * std::size_t(dim));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = centres[std::size_t(pick(rng))];
    for (int j = 0; j < dim; ++j) out.push_back(c[std::size_t(j)] + noise(rng));
  }
  return out;
}

// One file with one face.
inline Enrollment one_face(const std::string& identity, const std::string& path, std::vector<float> embedding) {
  Enrollment e;
  e.identity = identity;
  e.source = {path, "hash-of-" + path, 1700000000000000000, 1234};
  e.detector = "ssd";
  e.alignment = "5point";
  NewFace f;
  f.embedding = std::move(embedding);
  f.box = {10, 20, 30, 40, Point{15, 25}, Point{35, 25}};
  f.detector_score = 0.9;
  f.metadata = R"({"note":"test"})";
  e.faces.push_back(std::move(f));
  return e;
}

inline std::vector<std::int64_t> add_one(GalleryStore& store, const EmbeddingSpace& space, Enrollment e) {
  std::vector<Enrollment> batch{std::move(e)};
  store.add(space, batch);
  return batch[0].face_ids;
}

inline std::string file_bytes(const std::filesystem::path& p) { return read_file(p); }

}  // namespace facekit::test
