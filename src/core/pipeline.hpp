// detector -> landmarker -> aligner -> embedder, built once from PipelineOptions and reused for
// every image (the verbs, the CLI and later the server all go through it).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "facekit/components.hpp"
#include "facekit/facekit.hpp"

namespace facekit {

struct PipelineFace {
  FaceRegion region;
  cv::Mat chip;                 // what the embedder saw (or would see)
  std::vector<float> embedding; // empty unless requested
  bool whole_image = false;     // no face found and enforce_detection off
};

class Pipeline {
 public:
  explicit Pipeline(const PipelineOptions& options);

  // `what` names the image in errors. Throws NoFace when nothing is found and detection is enforced.
  std::vector<PipelineFace> run(const cv::Mat& rgb, const std::string& what, bool with_embeddings);

  const PipelineOptions& options() const { return options_; }
  Embedder& embedder();

 private:
  PipelineOptions options_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Aligner> aligner_;
  std::unique_ptr<Landmarker> landmarker_;
  std::vector<std::unique_ptr<Landmarker>> extra_views_;  // "a+b": the landmarkers after the first
  std::unique_ptr<Embedder> embedder_;
  bool mask_face_ = false;  // normalization "mask"

  // The mean of the first chip's descriptor and those of the chips the extra landmarkers give.
  void average_views(const cv::Mat& rgb, PipelineFace& face);
};

// deepface's facial_area for a face: the detection box (clipped, floored) and eye centres.
FacialArea facial_area_of(const PipelineFace& face, const cv::Size& image_size);

}  // namespace facekit
