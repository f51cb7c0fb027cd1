#include "video/recognizer.hpp"

#include <chrono>

#include "facekit/error.hpp"

namespace facekit::video {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void require_model_faces(const Gallery& gallery, const std::string& path, const std::string& model) {
  std::string present;
  for (const auto& m : gallery.stats().models) {
    if (m.model == model && m.faces > 0) return;
    present += (present.empty() ? "" : ", ") + m.model + " (" + std::to_string(m.faces) + " faces)";
  }
  throw Error(ErrorCode::InvalidArgument, path + ": the gallery has no faces embedded with model '" + model +
                                              "' (it has: " + (present.empty() ? "nothing" : present) +
                                              "); enrol with the same --model");
}

}  // namespace

Recognizer::Recognizer(const StreamOptions& options) {
  const PipelineOptions& p = options.pipeline;
  embedder_ = create_embedder(p.model);
  // As Pipeline does: "auto" is the model's own alignment; every aligner but "none" may need landmarks.
  aligner_ = create_aligner(p.align == "auto" ? embedder_->preferred_alignment() : p.align);
  if (aligner_->name() != "none") landmarker_ = create_landmarker(p.landmarker);
  gallery_.emplace(Gallery::open(options.gallery));
  require_model_faces(*gallery_, options.gallery, p.model);
  find_.pipeline = p;
  find_.k = 1;
  find_.metric = options.metric;
  find_.threshold = options.threshold;
  find_.index = options.index;
  warm_up();
}

// Loads every model now (some load on first use), so that the first track does not stall the stream
// and the stream's timings measure the work, not the loading.
void Recognizer::warm_up() {
  const cv::Mat grey(160, 160, CV_8UC3, cv::Scalar(128, 128, 128));
  Detection face;
  face.box = {40, 40, 80, 80};
  try {
    double embed_ms = 0, search_ms = 0;
    identify(grey, face, embed_ms, search_ms);
  } catch (const Error&) {
    // A blank image may give landmarks the aligner rejects; the models are loaded all the same.
    embedder_->embed(grey);
  }
}

Vote Recognizer::identify(const cv::Mat& rgb, const Detection& detection, double& embed_ms, double& search_ms) {
  auto t0 = std::chrono::steady_clock::now();
  FaceRegion region;
  region.detection = detection;
  const bool has_eyes = detection.left_eye && detection.right_eye;
  if (landmarker_ && (aligner_->needs_landmarks() || !has_eyes)) region.landmarks = landmarker_->landmarks(rgb, detection);
  const cv::Mat chip = aligner_->align(rgb, region);
  FaceInput probe;
  probe.embeddings.push_back(embedder_->embed(chip));
  embed_ms += ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  const auto results = gallery_->find(probe, find_);
  search_ms += ms_since(t0);
  Vote vote{"unknown", 0, 0};
  if (!results.empty() && !results.front().matches.empty()) {
    const GalleryMatch& best = results.front().matches.front();
    if (best.verified) vote.identity = best.identity;
    vote.distance = best.distance;
    vote.confidence = best.confidence;
  }
  return vote;
}

}  // namespace facekit::video
