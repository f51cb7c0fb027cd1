// The public gallery API (facekit/gallery.hpp) over a GalleryStore, the enrolment pool and the
// index cache.
#include "facekit/gallery.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/pipeline.hpp"
#include "facekit/models.hpp"
#include "gallery/enroll.hpp"
#include "gallery/gallery_index.hpp"
#include "gallery/gallery_store.hpp"
#include "verify/distance.hpp"

namespace fs = std::filesystem;

namespace facekit {

EmbeddingSpace embedding_space(const std::string& model, int dim) {
  // The version is a digest of the weight files the catalog lists for the model: embeddings made
  // with other weights under the same name are a different space.
  const std::string name = ComponentOptions::parse(model).name();
  std::string digests;
  for (const auto& info : model_infos())
    if (info.name == name)
      for (const auto& id : info.files) digests += model_file(id).sha256;
  return {model,
          digests.empty() ? std::string("unversioned") : sha256_bytes(digests.data(), digests.size()).substr(0, 16),
          dim};
}

struct Gallery::Impl {
  std::unique_ptr<GalleryStore> store;
  std::map<std::string, std::unique_ptr<GalleryIndex>> indexes;  // by file path: one per space/kind

  GalleryIndex& index_for(const EmbeddingSpace& space, const std::string& spec, bool unit) {
    auto index = std::make_unique<GalleryIndex>(*store, space, spec, unit);
    auto [it, added] = indexes.try_emplace(index->path() + "|" + index->spec(), nullptr);
    if (added) it->second = std::move(index);
    return *it->second;
  }
};

namespace {

struct ProbeFace {
  std::vector<float> embedding;
  FacialArea area;
};

std::vector<ProbeFace> probe_faces(const FaceInput& probe, const PipelineOptions& options) {
  std::vector<ProbeFace> out;
  for (const auto& e : probe.embeddings) out.push_back({e, {}});
  if (!probe.embeddings.empty()) return out;
  const cv::Mat rgb = probe.path.empty() ? probe.rgb : load_image(probe.path, options.image);
  if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, "no probe image given");
  Pipeline pipeline(options);
  for (auto& f : pipeline.run(rgb, probe.path.empty() ? "probe image" : probe.path, true))
    out.push_back({std::move(f.embedding), facial_area_of(f, rgb.size())});
  return out;
}

std::string absolute_path(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

}  // namespace

Gallery::Gallery(std::unique_ptr<GalleryStore> store) : impl_(std::make_unique<Impl>()) {
  impl_->store = std::move(store);
}
Gallery::Gallery(Gallery&&) noexcept = default;
Gallery& Gallery::operator=(Gallery&&) noexcept = default;
Gallery::~Gallery() = default;

Gallery Gallery::create(const std::string& path) { return Gallery(create_sqlite_gallery(path)); }
Gallery Gallery::open(const std::string& path) { return Gallery(open_sqlite_gallery(path)); }
Gallery Gallery::open_or_create(const std::string& path) {
  if (!fs::exists(fs::symlink_status(path))) {
    try {
      return create(path);
    } catch (const Error&) {
      if (!fs::exists(path)) throw;  // else another process created it first: open theirs
    }
  }
  return open(path);
}

GalleryStore& Gallery::store() { return *impl_->store; }

EnrollReport Gallery::add_images(const std::string& identity, const std::vector<std::string>& images,
                                 const EnrollOptions& options) {
  if (identity.empty()) throw Error(ErrorCode::InvalidArgument, "an identity needs a name");
  std::vector<EnrollJob> jobs;
  for (const auto& img : images) jobs.push_back({img, absolute_path(img), identity, 0, ""});
  return enroll(*impl_->store, jobs, pipeline_plan(options.pipeline), options);
}

EnrollReport Gallery::add_folder(const std::string& dir, const EnrollOptions& options) {
  std::vector<EnrollJob> jobs;
  for (const auto& rel : list_images(dir)) {
    const std::string full = (fs::path(dir) / rel).string();
    jobs.push_back({full, absolute_path(full), folder_identity(rel), 0, ""});
  }
  return enroll(*impl_->store, jobs, pipeline_plan(options.pipeline), options);
}

EnrollReport Gallery::sync_folder(const std::string& dir, const EnrollOptions& options) {
  return facekit::sync_folder(*impl_->store, dir, pipeline_plan(options.pipeline), options);
}

std::size_t Gallery::remove_identity(const std::string& name) {
  const auto all = identities();
  if (std::none_of(all.begin(), all.end(), [&](const IdentityInfo& i) { return i.name == name; }))
    throw Error(ErrorCode::InvalidArgument, impl_->store->location() + ": no identity named '" + name + "'");
  return impl_->store->remove_identity(name);
}

std::size_t Gallery::remove_faces(const std::vector<std::int64_t>& ids) { return impl_->store->remove_faces(ids); }
std::vector<IdentityInfo> Gallery::identities() const { return impl_->store->identities(); }
std::vector<GalleryFace> Gallery::faces(const std::string& identity) const { return impl_->store->faces(identity); }
GalleryStats Gallery::stats() const { return impl_->store->stats(); }
std::vector<std::string> Gallery::check_integrity() const { return impl_->store->check_integrity(); }

std::vector<FindResult> Gallery::find(const FaceInput& probe, const FindOptions& options) {
  const Metric metric = parse_metric(options.metric);
  // A user threshold is uncalibrated (scale 0): set by member name, the calibration fields stay 0.
  Threshold threshold;
  if (options.threshold) {
    threshold.value = *options.threshold;
    threshold.source = "user";
  } else {
    threshold = default_threshold(options.pipeline.model, metric);
  }
  // The space (and the index, which checks its spec) before any image work, so that bad options fail fast.
  const int dim =
      probe.embeddings.empty() ? create_embedder(options.pipeline.model)->dim() : int(probe.embeddings.front().size());
  const EmbeddingSpace space = embedding_space(options.pipeline.model, dim);
  // Only euclidean depends on the length of the embeddings; the other metrics rank like L2 on unit vectors.
  GalleryIndex& index = impl_->index_for(space, options.index, metric != Metric::Euclidean);
  const std::vector<ProbeFace> probes = probe_faces(probe, options.pipeline);
  std::vector<FindResult> results;
  if (probes.empty()) return results;
  index.sync();

  std::vector<float> queries;
  for (const auto& p : probes) queries.insert(queries.end(), p.embedding.begin(), p.embedding.end());
  const SearchResults hits = index.search(queries.data(), probes.size(), options.k);
  for (std::size_t q = 0; q < probes.size(); ++q) {
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < hits.k; ++i)
      if (hits.ids[q * hits.k + i] >= 0) ids.push_back(hits.ids[q * hits.k + i]);
    // Distances are recomputed from the stored embeddings: exactly what `verify` would report,
    // whatever approximation the index made.
    const auto faces = impl_->store->faces_by_id(ids);
    const auto vectors = impl_->store->embeddings(ids);
    FindResult result{probes[q].area, {}};
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto face = std::find_if(faces.begin(), faces.end(), [&](const GalleryFace& f) { return f.id == ids[i]; });
      if (face == faces.end() || vectors[i].empty()) continue;  // removed since the index was read
      GalleryMatch m;
      m.face_id = face->id;
      m.identity = face->identity;
      m.source = face->source_path;
      m.distance = distance(probes[q].embedding, vectors[i], metric);
      m.threshold = threshold.value;
      m.verified = m.distance <= threshold.value;
      m.confidence = verdict_confidence(m.distance, threshold, m.verified);
      result.matches.push_back(std::move(m));
    }
    std::stable_sort(result.matches.begin(), result.matches.end(),
                     [](const GalleryMatch& a, const GalleryMatch& b) { return a.distance < b.distance; });
    results.push_back(std::move(result));
  }
  return results;
}

std::string folder_gallery_path(const std::string& dir) { return (fs::path(dir) / ".facekit-gallery").string(); }

std::vector<FindResult> find_in_folder(const FaceInput& probe, const std::string& dir, const FindOptions& options,
                                       EnrollReport* refresh) {
  if (!fs::is_directory(dir)) throw Error(ErrorCode::FileNotFound, dir + ": not a folder");
  Gallery gallery = Gallery::open_or_create(folder_gallery_path(dir));
  EnrollOptions enroll_options;
  enroll_options.pipeline = options.pipeline;
  const EnrollReport report = gallery.sync_folder(dir, enroll_options);
  if (refresh) *refresh = report;
  return gallery.find(probe, options);
}

void to_json(nlohmann::json& j, const GalleryFace& f) {
  j = {{"id", f.id},
       {"identity", f.identity},
       {"model", f.model},
       {"model_version", f.model_version},
       {"detector", f.detector},
       {"alignment", f.alignment},
       {"source", f.source_path},
       {"file_hash", f.file_hash},
       {"facial_area", f.box},
       {"detector_score", f.detector_score},
       {"face_index", f.face_index},
       {"created_at", f.created_at}};
  j["metadata"] = f.metadata.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(f.metadata);
}

void to_json(nlohmann::json& j, const IdentityInfo& i) {
  j = {{"identity", i.name}, {"faces", i.faces}, {"created_at", i.created_at}};
}

void to_json(nlohmann::json& j, const GalleryStats& s) {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : s.models)
    models.push_back({{"model", m.model},
                      {"model_version", m.model_version},
                      {"dim", m.dim},
                      {"faces", m.faces},
                      {"identities", m.identities},
                      {"files", m.files},
                      {"files_without_face", m.files_without_face}});
  j = {{"path", s.path},
       {"gallery_id", s.gallery_id},
       {"created_at", s.created_at},
       {"schema_version", s.schema_version},
       {"file_bytes", s.file_bytes},
       {"identities", s.identities},
       {"faces", s.faces},
       {"files", s.files},
       {"models", models}};
}

void to_json(nlohmann::json& j, const EnrollReport& r) {
  j = {{"files", r.files},
       {"embedded", r.embedded},
       {"added_faces", r.added_faces},
       {"skipped", r.skipped},
       {"removed_faces", r.removed_faces},
       {"failed", r.failed},
       {"interrupted", r.interrupted},
       {"errors", r.errors}};
}

void to_json(nlohmann::json& j, const GalleryMatch& m) {
  j = {{"identity", m.identity},   {"source", m.source},     {"face_id", m.face_id},      {"distance", m.distance},
       {"threshold", m.threshold}, {"verified", m.verified}, {"confidence", m.confidence}};
}

void to_json(nlohmann::json& j, const FindResult& r) { j = {{"facial_area", r.probe_area}, {"matches", r.matches}}; }

}  // namespace facekit
