// "none": no rotation; the detection box made square and cut out. Squaring keeps the face's aspect
// ratio when an embedder later resizes the chip to its square input.
#include <algorithm>
#include <cmath>

#include "align/aligners.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

class BoxAligner final : public Aligner {
 public:
  std::string name() const override { return "none"; }
  bool needs_landmarks() const override { return false; }
  cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const override {
    face.alignment = name();
    return crop_square_box(rgb, face);
  }
};

}  // namespace

cv::Rect square_crop_rect(const Rect& box, cv::Size image_size) {
  const double centre_x = box.x + box.width / 2, centre_y = box.y + box.height / 2;
  const int side = std::max(1, static_cast<int>(std::lround(std::max(box.width, box.height))));
  const cv::Rect square(static_cast<int>(std::lround(centre_x - side / 2.0)),
                        static_cast<int>(std::lround(centre_y - side / 2.0)), side, side);
  const cv::Rect clipped = square & cv::Rect(cv::Point(0, 0), image_size);
  if (clipped.empty())
    throw Error(ErrorCode::InvalidArgument,
                "face box (" + std::to_string(box.x) + ", " + std::to_string(box.y) + ", " +
                    std::to_string(box.width) + " x " + std::to_string(box.height) +
                    ") lies outside the " + std::to_string(image_size.width) + "x" +
                    std::to_string(image_size.height) + " image");
  return clipped;
}

cv::Mat crop_square_box(const cv::Mat& rgb, FaceRegion& face) {
  const cv::Rect crop = square_crop_rect(face.detection.box, rgb.size());
  face.crop = {static_cast<double>(crop.x), static_cast<double>(crop.y), static_cast<double>(crop.width),
               static_cast<double>(crop.height)};
  record_chip_transform(face, cv::Matx23d(1, 0, crop.x, 0, 1, crop.y));
  return rgb(crop).clone();  // a copy: the chip must not alias the caller's image
}

void register_box_aligner(Registry<Aligner>& registry) {
  registry.add("none", "no rotation: the detection box made square, clipped to the image",
               [](const ComponentOptions& o) -> std::unique_ptr<Aligner> {
                 o.check_known({});
                 return std::make_unique<BoxAligner>();
               });
}

}  // namespace facekit
