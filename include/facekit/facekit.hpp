// The user-level API: deepface's verbs with sensible defaults, returning JSON-friendly structs.
//   represent(img)          -> one embedding per face
//   verify(img1, img2)      -> same person or not, with distance, threshold and confidence
//   extract_faces(img)      -> detected + aligned faces
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/types.hpp"

namespace facekit {

struct PipelineOptions {
  std::string model = "faceapi-resnet";   // embedder spec
  // Detector spec; "none" = the whole image is the face. The default is the most accurate pipeline
  // on LFW whose detection stays under 50 ms single-threaded at 640x480 (docs/accuracy.md).
  std::string detector = "dlib-hog:upsample=0";
  // none | faceapi | eyes | 5point | arcface | auto (the model's own: 5point for faceapi-resnet)
  std::string align = "auto";
  // Used when the aligner or the normalization needs landmarks. "a+b" (e.g. "dlib68+faceapi68-tiny"):
  // one chip per landmarker, and the embedding is the mean of their descriptors (test-time views);
  // the face's landmarks and chip are the first landmarker's.
  std::string landmarker = "dlib68";
  // deepface's normalization stage, before the embedder: "none", or "mask": every pixel of the aligned
  // chip outside the face outline (from the landmarks: jaw line and brows of 68 points, or the mesh's
  // face oval) set to 0, i.e. black. The outline is mapped into the chip by the aligner's transform.
  std::string normalization = "none";
  // deepface's enforce_detection: when false, an image with no face is used whole.
  bool enforce_detection = true;
  // deepface's max_faces: only the N most confident faces go through the pipeline (0 = all).
  int max_faces = 0;
  // deepface's anti_spoofing: extract_faces adds is_real and antispoof_score to each face;
  // represent and verify refuse (ErrorCode::NoFace, "spoof detected") a face judged not real.
  bool anti_spoofing = false;
  double spoof_threshold = 0.5;  // a face is real when its antispoof score is at least this
  ImageLoadOptions image;
};

// deepface's facial_area: integer box plus eye centres when known.
struct FacialArea {
  int x = 0, y = 0, w = 0, h = 0;
  std::optional<Point> left_eye;
  std::optional<Point> right_eye;
};

struct ExtractedFace {
  cv::Mat face;              // aligned RGB chip
  FacialArea facial_area;
  double confidence = 0;     // detector score (0 when the whole image was used)
  std::vector<Point> landmarks;  // 68 points when computed
  std::optional<bool> is_real;            // with PipelineOptions::anti_spoofing
  std::optional<double> antispoof_score;  // 0..1, higher = more likely real (see analyze.hpp)
};

struct Representation {
  std::vector<float> embedding;
  FacialArea facial_area;
  double face_confidence = 0;
};

struct VerifyOptions {
  PipelineOptions pipeline;
  std::string metric = "euclidean";     // cosine | euclidean | euclidean_l2 | angular
  std::optional<double> threshold;      // default: the model's calibrated threshold for the metric
};

struct VerifyResult {
  bool verified = false;
  double distance = 0;
  double threshold = 0;
  double confidence = 0;       // in [0, 100]: how sure the verdict is
  std::string model, detector, metric, align;
  FacialArea img1_area, img2_area;
  int img1_face_index = 0, img2_face_index = 0;  // which faces were closest
  int img1_faces = 0, img2_faces = 0;
  double time_ms = 0;
};

// An input is an image file, a decoded RGB image, or a precomputed embedding.
struct FaceInput {
  std::string path;                       // image file, or a JSON file written by `represent`
  cv::Mat rgb;                            // used when path is empty
  std::vector<std::vector<float>> embeddings;  // used when non-empty (precomputed)

  static FaceInput file(std::string p) { FaceInput i; i.path = std::move(p); return i; }
  static FaceInput image(cv::Mat m) { FaceInput i; i.rgb = std::move(m); return i; }
};

std::vector<ExtractedFace> extract_faces(const FaceInput& input, const PipelineOptions& options = {});
std::vector<Representation> represent(const FaceInput& input, const PipelineOptions& options = {});
VerifyResult verify(const FaceInput& img1, const FaceInput& img2, const VerifyOptions& options = {});

// JSON forms (deepface field names).
void to_json(nlohmann::json& j, const Point& p);
void to_json(nlohmann::json& j, const FacialArea& a);
void to_json(nlohmann::json& j, const Representation& r);
void to_json(nlohmann::json& j, const VerifyResult& r);

}  // namespace facekit
