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
  std::string fallback_detector = "none";  // used when the detector finds nothing; "" = fail the image
  FaceChoice face = FaceChoice::Centre;
  std::string cache_path;                  // empty: no cache
  int threads = 0;                         // 0: all cores
};

struct ImageEmbedding {
  std::vector<float> embedding;  // empty when the image failed
  bool fallback = false;         // embedded by the fallback detector
  std::string error;             // why it failed
};

// Progress callback: (done, total).
std::vector<ImageEmbedding> embed_images(const std::vector<std::string>& paths, const BatchOptions& options,
                                         const std::function<void(int, int)>& progress = {});

// The configuration string the cache keys on (model, detector, align, landmarker, face choice).
std::string configuration_key(const BatchOptions& options);

}  // namespace facekit::eval
