// Who is in a track: landmarks, alignment and embedding of one detected face on the full-resolution
// frame, then the nearest gallery face. Runs on the tracking thread, a few times per track.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/gallery.hpp"
#include "facekit/video.hpp"
#include "video/track_identity.hpp"

namespace facekit::video {

class Recognizer {
 public:
  // Opens the gallery (which must hold faces of options.pipeline.model) and creates the models.
  explicit Recognizer(const StreamOptions& options);

  // The face's verdict; adds the time spent to embed_ms (landmarks, alignment, embedding) and search_ms.
  Vote identify(const cv::Mat& rgb, const Detection& face, double& embed_ms, double& search_ms);

 private:
  void warm_up();

  std::unique_ptr<Aligner> aligner_;
  std::unique_ptr<Landmarker> landmarker_;
  std::unique_ptr<Embedder> embedder_;
  std::optional<Gallery> gallery_;
  FindOptions find_;
};

}  // namespace facekit::video
