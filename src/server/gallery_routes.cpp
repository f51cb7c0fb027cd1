// POST /register, /search, /build/index: deepface's database routes over a facekit gallery (SQLite
// file or PostgreSQL). The pipeline runs outside the gallery lock; only the store and index work
// is serialised.
#include <chrono>

#include "facekit/components.hpp"
#include "facekit/models.hpp"
#include "gallery/gallery_index.hpp"
#include "gallery/gallery_store.hpp"
#include "server/http_error.hpp"
#include "server/routes.hpp"
#include "verify/distance.hpp"

namespace facekit::server {
namespace {

Gallery& gallery_of(ServerContext& ctx) {
  if (!ctx.gallery)
    throw HttpError(503, "this server has no gallery: start it with --gallery FILE or --gallery postgresql://...");
  return *ctx.gallery;
}

std::string identity_of(const RequestArgs& args) {
  // deepface names the registered image img_name and returns it as the match's identity.
  for (const char* key : {"identity", "img_name"})
    if (auto name = args.text(key)) {
      if (name->empty()) throw HttpError(400, std::string("field '") + key + "' is empty");
      if (name->size() > 256) throw HttpError(400, std::string("field '") + key + "' is longer than 256 characters");
      return *name;
    }
  throw HttpError(400, "missing field 'img_name' (or 'identity'): the name to register the face under");
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

nlohmann::json register_route(ServerContext& ctx, const RequestArgs& args) {
  Gallery& gallery = gallery_of(ctx);
  const std::string identity = identity_of(args);
  PipelineOptions options = pipeline_options(args, ctx.options.pipeline, ctx.options.limits);
  options.max_faces = 1;  // a registered image stands for one person: its most confident face
  std::vector<std::uint8_t> bytes;
  const cv::Mat rgb = request_image(ctx, args, "img", options, &bytes);
  std::vector<Representation> faces = represent(FaceInput::image(rgb), options);
  Representation& face = faces.front();

  Enrollment enrollment;
  enrollment.identity = identity;
  const std::string hash = sha256_bytes(bytes.data(), bytes.size());
  // The same image registered again under the same name replaces its earlier record (idempotent
  // retries); under another name it is a separate record.
  enrollment.source = {"upload:" + identity + "/" + hash, hash, now_ns(), std::int64_t(bytes.size())};
  enrollment.detector = options.detector;
  enrollment.alignment = options.align;
  NewFace new_face;
  new_face.embedding = std::move(face.embedding);
  new_face.box = face.facial_area;
  new_face.detector_score = face.face_confidence;
  enrollment.faces.push_back(std::move(new_face));
  std::vector<Enrollment> batch{std::move(enrollment)};
  const EmbeddingSpace space = embedding_space(options.model, int(batch.front().faces.front().embedding.size()));
  {
    std::lock_guard lock(ctx.gallery_mutex);
    gallery.store().add(space, batch);  // durable when it returns
  }
  return {{"inserted", batch.front().face_ids.size()},
          {"identity", identity},
          {"img_name", identity},
          {"face_ids", batch.front().face_ids},
          {"facial_area", face.facial_area},
          {"face_confidence", face.face_confidence},
          {"model", options.model}};
}

nlohmann::json search_route(ServerContext& ctx, const RequestArgs& args) {
  Gallery& gallery = gallery_of(ctx);
  FindOptions find;
  find.pipeline = pipeline_options(args, ctx.options.pipeline, ctx.options.limits);
  if (auto metric = args.text("distance_metric")) find.metric = *metric;
  if (auto method = args.text("search_method")) find.index = *method;
  find.threshold = args.number("threshold");
  const long long k = args.integer("k").value_or(5);
  if (k < 1 || k > 1000) throw HttpError(400, "field 'k' must be between 1 and 1000");
  find.k = std::size_t(k);
  parse_metric(find.metric);  // a bad metric fails before the pipeline runs
  const cv::Mat rgb = request_image(ctx, args, "img", find.pipeline);
  const std::vector<Representation> probes = represent(FaceInput::image(rgb), find.pipeline);
  FaceInput probe;
  for (const auto& p : probes) probe.embeddings.push_back(p.embedding);
  std::vector<FindResult> results;
  {
    std::lock_guard lock(ctx.gallery_mutex);
    results = gallery.find(probe, find);  // the index first catches up with the store (other servers' writes)
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    results[i].probe_area = probes[i].facial_area;
    nlohmann::json item = results[i];
    for (auto& m : item["matches"]) m["img_name"] = m["identity"];
    out.push_back(std::move(item));
  }
  return {{"results", out}, {"model", find.pipeline.model}, {"metric", find.metric}, {"search_method", find.index}};
}

nlohmann::json build_index_route(ServerContext& ctx, const RequestArgs& args) {
  Gallery& gallery = gallery_of(ctx);
  const auto start = std::chrono::steady_clock::now();
  const std::string model = model_spec(args.text("model_name").value_or(ctx.options.pipeline.model));
  const std::string spec = args.text("search_method").value_or(args.text("index").value_or("hnsw"));
  const std::string metric_name = args.text("distance_metric").value_or("euclidean");
  const bool unit = parse_metric(metric_name) != Metric::Euclidean;
  const EmbeddingSpace space = embedding_space(model, create_embedder(model)->dim());
  std::lock_guard lock(ctx.gallery_mutex);
  GalleryIndex index(gallery.store(), space, spec, unit);
  index.sync();
  return {{"model", model},
          {"search_method", index.spec()},
          {"faces", index.index().size()},
          {"rebuilt", index.rebuilt()},
          {"time_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()}};
}

}  // namespace facekit::server
