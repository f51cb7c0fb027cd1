// Embeds many images with one pipeline configuration on all cores, each image once: results are
// cached on disk by file content (SHA-256) and configuration, so a rerun only embeds what changed.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "facekit/facekit.hpp"

namespace facekit::eval {

enum class FaceChoice { Centre, Best, Largest };  // which face of a multi-face image
FaceChoice parse_face_choice(const std::string& name);

struct BatchOptions {
  PipelineOptions pipeline;
  // Detectors tried in order when the detector finds nothing, comma-separated ("blazeface,none": BlazeFace,
  // then the whole image); "" = fail the image.
  std::string fallback_detector = "none";
  FaceChoice face = FaceChoice::Centre;
  std::string cache_path;                  // empty: no cache
  int threads = 0;                         // 0: all cores
};

struct ImageEmbedding {
  std::vector<float> embedding;  // empty when the image failed
  std::string fallback_via;      // the fallback detector that found the face; empty: the detector did
  std::string error;             // why it failed

  bool fallback() const { return !fallback_via.empty(); }
};

// Progress callback: (done, total).
std::vector<ImageEmbedding> embed_images(const std::vector<std::string>& paths, const BatchOptions& options,
                                         const std::function<void(int, int)>& progress = {});

// The configuration string the cache keys on (model, detector, align, landmarker, face choice); a
// fallback detector's embeddings are keyed on the same string with that detector.
std::string configuration_key(const BatchOptions& options);

// "blazeface,none" -> {"blazeface", "none"}; "" -> {}. An empty entry is an error.
std::vector<std::string> fallback_chain(const std::string& detectors);

}  // namespace facekit::eval
