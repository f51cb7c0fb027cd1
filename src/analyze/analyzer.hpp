// Internal to the analyze stage. An Analyzer turns one face into some of the attributes of
// FaceAnalysis (age, gender, emotion, race, spoof); each model family registers its analyzers by
// name, with the actions each can serve, so that choosing one never loads a model.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/analyze.hpp"
#include "facekit/types.hpp"
#include "nn/tensor.hpp"

namespace facekit::analysis {

// One face of one image and the crops the model families make of it, each computed once and shared
// by the analyzers that use it.
class FaceContext {
 public:
  // `whole_image`: no detector box; the image itself is taken as the face crop.
  FaceContext(const cv::Mat& rgb, const FaceRegion& region, bool whole_image)
      : rgb_(rgb), region_(region), whole_image_(whole_image) {}

  const cv::Mat& image() const { return rgb_; }
  const FaceRegion& region() const { return region_; }
  bool whole_image() const { return whole_image_; }

  // face-api.js's allFaces pipeline: the 68 landmarks' bounding box padded 20% (alignMinBbox),
  // clipped and floored; the detection box when there are no landmarks; the image when whole.
  cv::Rect faceapi_crop_rect() const;
  const cv::Mat& faceapi_crop();
  // human 3.x's face tensor: the detection box grown 1.4x and made square (blazeface scale and
  // squarifyBox), cropAndResize to 192x192 (the facemesh input), values 0..1. [1,192,192,3].
  const nn::Tensor& human_face();

 private:
  const cv::Mat& rgb_;
  const FaceRegion& region_;
  bool whole_image_;
  std::optional<cv::Mat> faceapi_crop_;
  std::optional<nn::Tensor> human_face_;
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // Fills the fields of `out` that belong to `actions` (a subset of what the analyzer registered).
  virtual void analyze(FaceContext& face, const std::set<std::string>& actions, FaceAnalysis& out) = 0;
};

struct AnalyzerEntry {
  std::string name;
  std::vector<std::string> actions;
  bool needs_landmarks = false;  // reads FaceRegion::landmarks (68 points)
  std::string description;
  std::function<std::unique_ptr<Analyzer>()> create;
};

// In registration order; the first entry serving an action is that action's default.
const std::vector<AnalyzerEntry>& analyzer_entries();
const AnalyzerEntry& analyzer_entry(const std::string& name);  // throws InvalidArgument listing names

void register_faceapi_analyzers(std::vector<AnalyzerEntry>& entries);  // analyze/faceapi_analyzers.cpp
void register_human_analyzers(std::vector<AnalyzerEntry>& entries);    // analyze/human_analyzers.cpp

// tf.image.cropAndResize (bilinear, extrapolation value 0) of one box given as (y1, x1, y2, x2)
// relative to `image` [1,H,W,C]; output [1,out_h,out_w,C].
nn::Tensor crop_and_resize(const nn::Tensor& image, const std::array<double, 4>& box, int out_h, int out_w);

// Probabilities 0..1 -> deepface's percentages with labels, and the label of the largest.
Scores percentages(const std::vector<const char*>& labels, const std::vector<float>& probabilities);
std::string dominant(const Scores& scores);

}  // namespace facekit::analysis
