#include "align/face_mask.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "align/landmark_schemes.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

constexpr int kFractionBits = 8;  // fillPoly's sub-pixel precision: vertices to 1/256 px

}  // namespace

cv::Mat face_mask(const FaceRegion& face, cv::Size chip_size) {
  if (face.landmarks.empty())
    throw Error(ErrorCode::InvalidArgument, "normalization mask: the face has no landmarks; choose a landmarker");
  if (!face.chip_to_image)
    throw Error(ErrorCode::InvalidArgument, "normalization mask: aligner '" + face.alignment +
                                                "' did not record where its chip comes from (chip_to_image)");
  const auto& t = *face.chip_to_image;
  cv::Matx23d image_to_chip;
  cv::invertAffineTransform(cv::Matx23d(t[0], t[1], t[2], t[3], t[4], t[5]), image_to_chip);
  std::vector<cv::Point> polygon;
  for (const Point& p : face_outline(face.landmarks)) {
    const cv::Vec2d q = image_to_chip * cv::Vec3d(p.x, p.y, 1);
    polygon.emplace_back(static_cast<int>(std::lround(std::ldexp(q[0], kFractionBits))),
                         static_cast<int>(std::lround(std::ldexp(q[1], kFractionBits))));
  }
  cv::Mat mask = cv::Mat::zeros(chip_size, CV_8UC1);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(255), cv::LINE_8, kFractionBits);
  return mask;
}

void mask_outside_face(cv::Mat& chip, const FaceRegion& face) {
  const cv::Mat mask = face_mask(face, chip.size());
  chip.setTo(cv::Scalar::all(0), mask == 0);
}

}  // namespace facekit
