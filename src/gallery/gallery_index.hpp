// A search index over one embedding space of a gallery, kept in step with the store and persisted
// beside it as GALLERY.index.<model>.<kind>[.unit]. The file records the store's sync point it
// reflects; on load, faces added and removed since are applied (no rebuild), and a file that is
// missing, damaged, from another gallery or of other parameters is rebuilt from the store.
#pragma once
#include <memory>
#include <string>

#include "gallery/gallery_store.hpp"
#include "gallery/index.hpp"

namespace facekit {

class GalleryIndex {
 public:
  // unit_vectors: index normalised embeddings (cosine, euclidean_l2 and angular rank the same as
  // L2 on the unit sphere); otherwise raw embeddings (euclidean).
  GalleryIndex(const GalleryStore& store, EmbeddingSpace space, std::string spec, bool unit_vectors);

  // Brings the index up to date with the store; writes the file when anything changed (best
  // effort: a read-only directory just means the next process catches up again).
  void sync();
  // Query rows of space.dim floats (raw embeddings; normalised here when needed).
  SearchResults search(const float* queries, std::size_t nq, std::size_t k) const;

  const Index& index() const { return *index_; }     // after sync()
  const std::string& spec() const { return spec_; }  // canonical: every parameter spelled out
  const std::string& path() const { return path_; }
  bool rebuilt() const { return rebuilt_; }  // the last sync() rebuilt from scratch

 private:
  void rebuild();
  void catch_up(const SyncPoint& to);
  std::string metadata() const;

  const GalleryStore& store_;
  EmbeddingSpace space_;
  std::string spec_;
  bool unit_;
  std::string path_;
  std::unique_ptr<Index> index_;
  SyncPoint synced_;
  bool rebuilt_ = false;
  bool loaded_ = false;
};

std::string gallery_index_path(const std::string& gallery, const EmbeddingSpace& space, const std::string& spec,
                               bool unit_vectors);

}  // namespace facekit
