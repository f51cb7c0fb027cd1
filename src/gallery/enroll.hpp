// Bulk enrolment: a pool of workers hashes and embeds image files while the calling thread commits
// finished files to the store in batches. Interrupting loses at most the uncommitted batch; a rerun
// skips what was committed (by content hash), so nothing is enrolled twice.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "facekit/gallery.hpp"
#include "gallery/gallery_store.hpp"

namespace facekit {

// Faces to enrol from one image file. Throws facekit::Error (NoFace, DecodeFailed, ...) on failure.
using ImageEmbedder = std::function<std::vector<NewFace>(const std::string& path)>;

struct EnrollJob {
  std::string file;         // path to read
  std::string stored_path;  // path recorded in the gallery
  std::string identity;
  // Folder mode: the source this path was enrolled as, when its mtime or size changed. Same bytes
  // (by hash) as before: only the stored mtime is updated, nothing is embedded.
  std::int64_t known_source = 0;
  std::string known_hash;
};

struct EnrollPlan {
  EmbeddingSpace space;
  std::string detector, alignment;               // recorded with each file
  std::function<ImageEmbedder()> make_embedder;  // called once per worker
  bool skip_enrolled_content = true;             // gallery add: skip bytes already enrolled for this space
  bool record_faceless = false;                  // folder mode: remember files without a face, not to retry them
};

EnrollReport enroll(GalleryStore& store, const std::vector<EnrollJob>& jobs, const EnrollPlan& plan,
                    const EnrollOptions& options);

// The plan for enrolling with facekit's pipeline: the space of options.model, and workers that each
// run their own Pipeline (models are loaded once and shared) and enrol the most confident face.
EnrollPlan pipeline_plan(const PipelineOptions& options);

// Folder mode (Gallery::sync_folder) with any plan; tests pass a counting fake embedder.
EnrollReport sync_folder(GalleryStore& store, const std::string& dir, const EnrollPlan& plan,
                         const EnrollOptions& options);

// Image files under `dir` (recursively, hidden entries skipped), sorted, relative to `dir`.
std::vector<std::string> list_images(const std::string& dir);
// deepface's layout: DIR/<identity>/<image>; an image directly in DIR is its own identity (stem).
std::string folder_identity(const std::string& relative_path);

}  // namespace facekit
