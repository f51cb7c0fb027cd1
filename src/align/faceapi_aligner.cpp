// "faceapi": the box face-api.js feeds its recognition net (withFaceDescriptors): the dlib-style
// square from eye and mouth centres of the 68 landmarks, clipped and floored, axis-aligned. The
// embedder then pads/resizes it as face-api does. Needed to reproduce shared/reference exactly.
#include "align/aligners.hpp"
#include "align/faceapi_geometry.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

class FaceApiAligner final : public Aligner {
 public:
  std::string name() const override { return "faceapi"; }
  bool needs_landmarks() const override { return true; }

  cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const override {
    const std::vector<Point> ibug = ibug68_points(face.landmarks, "the faceapi alignment");
    // The landmarks keep the size of the crop the landmark net saw; alignDlib uses it.
    const cv::Rect landmark_crop = faceapi::clip_and_floor(face.detection.box, rgb.cols, rgb.rows);
    const Rect box = faceapi::dlib_style_box(ibug, landmark_crop.width, landmark_crop.height);
    const cv::Rect crop = faceapi::clip_and_floor(box, rgb.cols, rgb.rows);
    if (crop.width <= 0 || crop.height <= 0)
      throw Error(ErrorCode::InvalidArgument, "faceapi alignment box lies outside the image");
    face.crop = {double(crop.x), double(crop.y), double(crop.width), double(crop.height)};
    record_chip_transform(face, cv::Matx23d(1, 0, crop.x, 0, 1, crop.y));
    face.alignment = name();
    return rgb(crop).clone();
  }
};

}  // namespace

void register_faceapi_aligner(Registry<Aligner>& registry) {
  registry.add("faceapi", "face-api.js: axis-aligned dlib-style box from the 68 landmarks (reproduces face-api.js)",
               [](const ComponentOptions& o) -> std::unique_ptr<Aligner> {
                 o.check_known({});
                 return std::make_unique<FaceApiAligner>();
               });
}

}  // namespace facekit
