// Where a gallery's identities, files and faces are kept. SQLite (sqlite_store.cpp) is the
// embedded default; a server can put a PostgreSQL implementation behind the same interface.
//
// Model: an identity has enrolled files ("sources"); a source has the faces found in it (none
// when no face was found, recorded so that the file is not retried). Every source and face belongs
// to one embedding space (model + version); searches never cross spaces.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "facekit/gallery.hpp"

namespace facekit {

struct EmbeddingSpace {
  std::string model;    // embedder spec, e.g. "faceapi-resnet"
  std::string version;  // model_version(model): changes whenever the weights change
  int dim = 0;
  bool same_as(const EmbeddingSpace& o) const { return model == o.model && version == o.version; }
};

struct SourceFile {
  std::string path;  // absolute, or relative to the folder in folder mode
  std::string hash;  // SHA-256 of the bytes
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
};

struct NewFace {
  std::vector<float> embedding;
  FacialArea box;
  double detector_score = 0;
  int face_index = 0;
  std::string metadata;  // JSON text or empty
};

// One file to record, with the faces found in it.
struct Enrollment {
  std::string identity;
  SourceFile source;
  std::string detector, alignment;
  std::vector<NewFace> faces;
  std::string note;                    // why no face was enrolled, when none was
  std::vector<std::int64_t> face_ids;  // filled in by add()
};

struct StoredSource {
  std::int64_t id = 0;
  std::string identity;
  SourceFile file;
  std::size_t faces = 0;
};

// What an index built from the store has seen: faces up to max_face_id, deletions up to
// deletion_seq. Face ids only grow, so "new since" and "deleted since" are cheap range queries.
struct SyncPoint {
  std::int64_t max_face_id = 0;
  std::int64_t deletion_seq = 0;
};

class GalleryStore {
 public:
  virtual ~GalleryStore() = default;
  virtual std::string location() const = 0;    // for messages and for files kept beside the gallery
  virtual std::string gallery_id() const = 0;  // random at creation; ties index files to this gallery

  // One transaction: when it returns, every enrolment is durable; on error none is recorded.
  // A source with the same space and path as an existing one replaces it.
  virtual void add(const EmbeddingSpace& space, std::vector<Enrollment>& batch) = 0;
  virtual std::size_t remove_identity(const std::string& name) = 0;  // faces removed
  virtual std::size_t remove_faces(std::span<const std::int64_t> ids) = 0;
  virtual std::size_t remove_sources(std::span<const std::int64_t> source_ids) = 0;  // faces removed
  virtual void touch_source(std::int64_t source_id, std::int64_t mtime_ns) = 0;

  virtual std::vector<StoredSource> sources(const EmbeddingSpace& space) const = 0;
  virtual std::vector<IdentityInfo> identities() const = 0;
  virtual std::vector<GalleryFace> faces(const std::string& identity) const = 0;  // "" = all
  virtual std::vector<GalleryFace> faces_by_id(std::span<const std::int64_t> ids) const = 0;
  // Embedding of each id (empty vector for ids not in the gallery).
  virtual std::vector<std::vector<float>> embeddings(std::span<const std::int64_t> ids) const = 0;
  virtual GalleryStats stats() const = 0;
  virtual std::vector<std::string> check_integrity() const = 0;  // empty = healthy

  // For index maintenance.
  virtual std::vector<EmbeddingSpace> spaces() const = 0;
  virtual SyncPoint sync_point(const EmbeddingSpace& space) const = 0;
  // Faces of `space` with after_id < id <= up_to_id, in id order, in batches: (ids, rows of dim floats).
  virtual void scan_embeddings(const EmbeddingSpace& space, std::int64_t after_id, std::int64_t up_to_id,
                               const std::function<void(std::span<const std::int64_t>, const float*)>& batch) const = 0;
  virtual std::vector<std::int64_t> deleted_faces(const EmbeddingSpace& space, std::int64_t after_seq,
                                                  std::int64_t up_to_seq) const = 0;
};

// SQLite galleries (sqlite_store.cpp). open() checks the file is a facekit gallery before SQLite
// touches it; create() never replaces an existing file.
std::unique_ptr<GalleryStore> open_sqlite_gallery(const std::string& path);
std::unique_ptr<GalleryStore> create_sqlite_gallery(const std::string& path);

// The embedding space of a model spec: version from the catalog's weight digests.
EmbeddingSpace embedding_space(const std::string& model, int dim);

}  // namespace facekit
