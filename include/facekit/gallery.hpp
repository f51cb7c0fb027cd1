// Persistent face galleries and "who is this?" (deepface's find), at any gallery size.
//   Gallery::create / open      a gallery file (SQLite; refuses files that are not facekit galleries)
//   add_images / add_folder     enrol images (all cores, resumable: files already enrolled are skipped)
//   find                        ranked matches for each face in a probe image
//   find_in_folder              deepface's find(img, db_path): the folder's embeddings are cached in a
//                               gallery inside it and refreshed incrementally
// Embeddings of different models (or model versions) never mix: a search sees only its model's faces.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "facekit/facekit.hpp"

namespace facekit {

class GalleryStore;

struct GalleryFace {
  std::int64_t id = 0;  // never reused, also after removal
  std::string identity;
  std::string model, model_version;
  std::string detector, alignment;
  std::string source_path, file_hash;  // file_hash: SHA-256 of the image file
  std::int64_t file_mtime_ns = 0;
  FacialArea box;
  double detector_score = 0;
  int face_index = 0;      // which face of the source image
  std::string created_at;  // ISO 8601, UTC
  std::string metadata;    // JSON text, empty when none
};

struct IdentityInfo {
  std::string name;
  std::size_t faces = 0;
  std::string created_at;
};

struct GalleryModelStats {
  std::string model, model_version;
  int dim = 0;
  std::size_t faces = 0, identities = 0, files = 0, files_without_face = 0;
};

struct GalleryStats {
  std::string path, gallery_id, created_at;
  int schema_version = 0;
  std::uint64_t file_bytes = 0;  // database plus write-ahead log
  std::size_t identities = 0, faces = 0, files = 0;
  std::vector<GalleryModelStats> models;
};

struct EnrollProgress {
  std::size_t total = 0, done = 0;  // files
  std::size_t added = 0, skipped = 0, failed = 0;
  double elapsed_s = 0;
};

struct EnrollOptions {
  PipelineOptions pipeline;
  int workers = 0;  // 0 = all cores; each worker runs its own pipeline on shared, cached models
  // Set (e.g. from a SIGINT handler) to stop early; what has been committed stays, a rerun resumes.
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const EnrollProgress&)> progress;  // called from the committing thread
};

struct EnrollReport {
  std::size_t files = 0;     // image files considered
  std::size_t embedded = 0;  // files run through the pipeline (skipped and unchanged files are not)
  std::size_t added_faces = 0;
  std::size_t skipped = 0;        // already enrolled (same content, same model)
  std::size_t removed_faces = 0;  // folder mode: files deleted or changed since the last refresh
  std::size_t failed = 0;
  bool interrupted = false;
  std::vector<std::string> errors;  // one line per failed file
};

struct FindOptions {
  PipelineOptions pipeline;
  std::size_t k = 5;
  std::string index = "exact";       // exact | hnsw[:M=..,ef_construction=..,ef_search=..]
  std::string metric = "euclidean";  // cosine | euclidean | euclidean_l2 | angular
  std::optional<double> threshold;   // default: the model's calibrated threshold for the metric
};

struct GalleryMatch {
  std::int64_t face_id = 0;
  std::string identity, source;
  double distance = 0, threshold = 0, confidence = 0;
  bool verified = false;
};

// Matches for one face of the probe image, best first.
struct FindResult {
  FacialArea probe_area;
  std::vector<GalleryMatch> matches;
};

class Gallery {
 public:
  // create() refuses an existing path; open() refuses a missing file, an empty one, and any file
  // that is not a facekit gallery, without modifying it. Both throw facekit::Error naming the file.
  static Gallery create(const std::string& path);
  static Gallery open(const std::string& path);
  static Gallery open_or_create(const std::string& path);
  explicit Gallery(std::unique_ptr<GalleryStore> store);  // any GalleryStore implementation
  Gallery(Gallery&&) noexcept;
  Gallery& operator=(Gallery&&) noexcept;
  ~Gallery();

  EnrollReport add_images(const std::string& identity, const std::vector<std::string>& images,
                          const EnrollOptions& options = {});
  // One sub-folder per identity (deepface's db_path layout).
  EnrollReport add_folder(const std::string& dir, const EnrollOptions& options = {});
  // Folder mode: makes the gallery mirror `dir` (same layout; paths stored relative to it). New and
  // changed images (mtime, then SHA-256) are embedded, removed ones dropped, the rest untouched.
  EnrollReport sync_folder(const std::string& dir, const EnrollOptions& options = {});

  std::size_t remove_identity(const std::string& name);  // returns faces removed
  std::size_t remove_faces(const std::vector<std::int64_t>& ids);

  std::vector<IdentityInfo> identities() const;
  std::vector<GalleryFace> faces(const std::string& identity = "") const;
  GalleryStats stats() const;
  std::vector<std::string> check_integrity() const;  // problems found; empty when healthy

  std::vector<FindResult> find(const FaceInput& probe, const FindOptions& options = {});

  GalleryStore& store();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// deepface's find(img, db_path) on a plain folder: sync_folder on the gallery folder_gallery_path(dir)
// (created on first use), then find. `refresh`, when given, reports the sync.
std::vector<FindResult> find_in_folder(const FaceInput& probe, const std::string& dir, const FindOptions& options = {},
                                       EnrollReport* refresh = nullptr);
std::string folder_gallery_path(const std::string& dir);

void to_json(nlohmann::json& j, const GalleryFace& f);
void to_json(nlohmann::json& j, const IdentityInfo& i);
void to_json(nlohmann::json& j, const GalleryStats& s);
void to_json(nlohmann::json& j, const EnrollReport& r);
void to_json(nlohmann::json& j, const GalleryMatch& m);
void to_json(nlohmann::json& j, const FindResult& r);

}  // namespace facekit
