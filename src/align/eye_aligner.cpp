// "eyes": deepface's alignment (deepface/modules/detection.py). deepface rotates the whole image
// about its centre by angle = atan2(left.y - right.y, left.x - right.x), which levels the eye line,
// then moves the detection box's centre with the same rotation (project_facial_area) and cuts a box
// of the original width and height there. Rotating about any other point only translates the
// rotated image, and the box follows its centre, so the chip is simply the detection box turned
// about its own centre by that angle; we sample exactly that region (bicubic, black outside the
// image, as deepface's INTER_CUBIC warp on its black-bordered copy of the image).
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "align/aligners.hpp"

namespace facekit {
namespace {

// iBUG 68-point indices (0-based) of the eye contours. 36-41 outline the subject's right eye (on the
// image's left), 42-47 the subject's left eye.
constexpr int kRightEyeFirst = 36;
constexpr int kLeftEyeFirst = 42;
constexpr int kEyeContourPoints = 6;

Point mean_of(const std::vector<Point>& points, int first, int count) {
  Point sum;
  for (int i = first; i < first + count; ++i) {
    sum.x += points[i].x;
    sum.y += points[i].y;
  }
  return {sum.x / count, sum.y / count};
}

// Chip pixel (u, v) -> image point, for a chip of `chip_size` that is `box` rotated about its centre
// so that the eye line becomes horizontal.
cv::Matx23d levelled_box_transform(const Rect& box, const EyeCentres& eyes, cv::Size chip_size) {
  const double angle = std::atan2(eyes.left.y - eyes.right.y, eyes.left.x - eyes.right.x);
  const double c = std::cos(angle), s = std::sin(angle);
  // Box centre in pixel-centre coordinates: an integer box x..x+w covers pixels x..x+w-1.
  const cv::Vec2d box_centre(box.x + box.width / 2 - 0.5, box.y + box.height / 2 - 0.5);
  const cv::Vec2d chip_centre((chip_size.width - 1) / 2.0, (chip_size.height - 1) / 2.0);
  // The chip's axes are the image's axes turned by `angle`; deepface's forward rotation
  // (getRotationMatrix2D) is the inverse of this one.
  const cv::Matx22d rotation(c, -s, s, c);
  const cv::Vec2d offset = box_centre - rotation * chip_centre;
  return {rotation(0, 0), rotation(0, 1), offset[0], rotation(1, 0), rotation(1, 1), offset[1]};
}

class EyeAligner final : public Aligner {
 public:
  std::string name() const override { return "eyes"; }
  bool needs_landmarks() const override { return false; }

  cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const override {
    const std::optional<EyeCentres> eyes = eye_centres(face);
    if (!eyes) {
      // Nothing to level by: do what "none" does, and say so.
      face.alignment = "none";
      return crop_square_box(rgb, face);
    }
    const Rect& box = face.detection.box;
    const cv::Size chip_size(std::max(1, static_cast<int>(std::lround(box.width))),
                             std::max(1, static_cast<int>(std::lround(box.height))));
    const cv::Matx23d chip_to_image = levelled_box_transform(box, *eyes, chip_size);
    face.alignment = name();
    face.crop = chip_footprint(chip_to_image, chip_size, rgb.size());
    record_chip_transform(face, chip_to_image);
    return warp_chip(rgb, chip_to_image, chip_size, cv::INTER_CUBIC);
  }
};

}  // namespace

std::optional<EyeCentres> eye_centres(const FaceRegion& face) {
  const Detection& d = face.detection;
  if (d.left_eye && d.right_eye) return EyeCentres{*d.left_eye, *d.right_eye};
  const std::size_t count = face.landmarks.size();
  if (count == kIbugPointCount || count == kMeshPointCount || count == kMeshWithIrisPointCount) {
    const std::vector<Point> ibug = ibug68_points(face.landmarks, "eye centres");
    return EyeCentres{mean_of(ibug, kLeftEyeFirst, kEyeContourPoints), mean_of(ibug, kRightEyeFirst, kEyeContourPoints)};
  }
  return std::nullopt;
}

void register_eye_aligner(Registry<Aligner>& registry) {
  registry.add("eyes",
               "deepface's alignment: the detection box turned about its centre so the eyes are level "
               "(eyes from the detector, else from 68 landmarks; without either as \"none\")",
               [](const ComponentOptions& o) -> std::unique_ptr<Aligner> {
                 o.check_known({});
                 return std::make_unique<EyeAligner>();
               });
}

}  // namespace facekit
