#include "core/pipeline.hpp"

#include "align/aligners.hpp"
#include "align/face_mask.hpp"
#include "align/faceapi_geometry.hpp"
#include "core/text.hpp"

namespace facekit {

Pipeline::Pipeline(const PipelineOptions& options) : options_(options), detector_(create_detector(options.detector)) {
  if (options_.align == "auto") options_.align = embedder().preferred_alignment();
  aligner_ = create_aligner(options_.align);
  if (options_.normalization != "none" && options_.normalization != "mask")
    throw Error(ErrorCode::InvalidArgument,
                "unknown normalization '" + options_.normalization + "'; valid: none, mask");
  mask_face_ = options_.normalization == "mask";
  // Landmarks are needed by the landmark aligners, by the eye aligner when the detector gives no
  // eyes, and by the face mask; the axis-aligned "none" alone never needs them.
  if (aligner_->name() != "none" || mask_face_) {
    std::vector<std::unique_ptr<Landmarker>> views;
    for (const auto& spec : split_list(options.landmarker, '+')) {
      if (spec.empty())
        throw Error(ErrorCode::InvalidArgument, "empty landmarker in '" + options.landmarker +
                                                    "' (several views are written 'dlib68+faceapi68-tiny')");
      views.push_back(create_landmarker(spec));
    }
    landmarker_ = std::move(views.front());
    for (std::size_t i = 1; i < views.size(); ++i) extra_views_.push_back(std::move(views[i]));
  }
}

void Pipeline::average_views(const cv::Mat& rgb, PipelineFace& face) {
  std::vector<double> sum(face.embedding.begin(), face.embedding.end());
  for (const auto& landmarker : extra_views_) {
    FaceRegion view = face.region;
    view.landmarks = landmarker->landmarks(rgb, view.detection);
    cv::Mat chip = aligner_->align(rgb, view);
    if (mask_face_) mask_outside_face(chip, view);
    const std::vector<float> e = embedder().embed(chip);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += e[i];
  }
  const double views = 1.0 + extra_views_.size();
  for (std::size_t i = 0; i < sum.size(); ++i) face.embedding[i] = static_cast<float>(sum[i] / views);
}

Embedder& Pipeline::embedder() {
  if (!embedder_) embedder_ = create_embedder(options_.model);
  return *embedder_;
}

std::vector<PipelineFace> Pipeline::run(const cv::Mat& rgb, const std::string& what, bool with_embeddings) {
  std::vector<Detection> detections = detector_->detect(rgb);
  // Detectors report the most confident face first.
  if (options_.max_faces > 0 && detections.size() > std::size_t(options_.max_faces))
    detections.resize(std::size_t(options_.max_faces));
  bool whole_image = false;
  if (detections.empty()) {
    if (options_.enforce_detection)
      throw Error(ErrorCode::NoFace, what + ": no face found (detector " + detector_->name() +
                                         "); use --allow-no-face to treat the whole image as the face, "
                                         "or --detector none for pre-aligned face crops");
    Detection whole;
    whole.box = {0, 0, double(rgb.cols), double(rgb.rows)};
    detections.push_back(whole);
    whole_image = true;
  }
  std::vector<PipelineFace> faces;
  for (const Detection& d : detections) {
    PipelineFace face;
    face.whole_image = whole_image;
    face.region.detection = d;
    const bool has_eyes = d.left_eye && d.right_eye;
    if (landmarker_ && (aligner_->needs_landmarks() || !has_eyes || mask_face_))
      face.region.landmarks = landmarker_->landmarks(rgb, d);
    face.chip = aligner_->align(rgb, face.region);
    if (mask_face_) mask_outside_face(face.chip, face.region);
    if (with_embeddings) {
      face.embedding = embedder().embed(face.chip);
      if (!extra_views_.empty()) average_views(rgb, face);
    }
    faces.push_back(std::move(face));
  }
  return faces;
}

FacialArea facial_area_of(const PipelineFace& face, const cv::Size& image_size) {
  const cv::Rect r = faceapi::clip_and_floor(face.region.detection.box, image_size.width, image_size.height);
  FacialArea area{r.x, r.y, r.width, r.height, std::nullopt, std::nullopt};
  if (auto eyes = eye_centres(face.region)) {
    area.left_eye = eyes->left;
    area.right_eye = eyes->right;
  }
  return area;
}

}  // namespace facekit
