// The stage interfaces. A pipeline is detector -> (landmarker) -> aligner -> embedder; each is
// created by name from its registry (see registry.hpp) and works on RGB CV_8UC3 images.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/registry.hpp"
#include "facekit/types.hpp"

namespace facekit {

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string name() const = 0;
  // Faces in `rgb`, best first, boxes in pixels of `rgb`.
  virtual std::vector<Detection> detect(const cv::Mat& rgb) = 0;
};

// Landmarks for one detected face, in image coordinates, in the model's own layout: 68 points in
// iBUG 300-W order (dlib68, faceapi68, faceapi68-tiny) or a MediaPipe face mesh of 468 points (478
// with the iris points; facemesh). The count names the scheme; the aligners that need iBUG points read
// a mesh through the standard MediaPipe-to-iBUG vertex table (src/align/landmark_schemes.hpp).
class Landmarker {
 public:
  virtual ~Landmarker() = default;
  virtual std::string name() const = 0;
  virtual std::vector<Point> landmarks(const cv::Mat& rgb, const Detection& face) = 0;
};

// Produces the face image an embedder sees.
class Aligner {
 public:
  virtual ~Aligner() = default;
  virtual std::string name() const = 0;
  // Whether align() needs FaceRegion::landmarks (68 iBUG points, or a mesh it maps to them) filled in.
  virtual bool needs_landmarks() const = 0;
  // Returns the face chip (RGB) and records in `face.crop` / `face.alignment` what was done.
  virtual cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const = 0;
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string name() const = 0;
  virtual int dim() const = 0;
  // Side of the square chip the model was trained on (150 for the dlib ResNet).
  virtual int input_size() const = 0;
  // The aligner spec that makes the chips this model was trained on ("5point", "arcface", ...);
  // used when PipelineOptions::align is "auto".
  virtual std::string preferred_alignment() const { return "5point"; }
  // One embedding for one face chip of any size (the model applies its own pad/resize/normalise).
  virtual std::vector<float> embed(const cv::Mat& face_rgb) = 0;
};

Registry<Detector>& detector_registry();
Registry<Landmarker>& landmarker_registry();
Registry<Aligner>& aligner_registry();
Registry<Embedder>& embedder_registry();

// Create by spec string ("ssd:min_confidence=0.3"). Throws InvalidArgument listing valid names.
std::unique_ptr<Detector> create_detector(const std::string& spec);
std::unique_ptr<Landmarker> create_landmarker(const std::string& spec);
std::unique_ptr<Aligner> create_aligner(const std::string& spec);
std::unique_ptr<Embedder> create_embedder(const std::string& spec);

}  // namespace facekit
