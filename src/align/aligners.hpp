// Internal to the align stage: one registration hook per aligner file (register_aligners in
// aligners.cpp calls them all) and the geometry they share.
//
// Conventions: pixel (i, j) of an image is the point (i, j), i.e. coordinates name pixel centres, as
// in OpenCV's warpAffine and dlib. A chip-to-image transform maps chip pixel (u, v) to the image point
// it samples. FaceRegion::crop is always the integer, axis-aligned rectangle of image pixels a chip
// was sampled from, clipped to the image: the exact slice for "none", the bounding box of the rotated
// footprint for the warping aligners.
#pragma once
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "align/landmark_schemes.hpp"
#include "facekit/components.hpp"

namespace facekit {

void register_box_aligner(Registry<Aligner>& registry);         // align/box_aligner.cpp: "none"
void register_eye_aligner(Registry<Aligner>& registry);         // align/eye_aligner.cpp: "eyes"
void register_five_point_aligner(Registry<Aligner>& registry);  // align/five_point_aligner.cpp: "5point"
void register_faceapi_aligner(Registry<Aligner>& registry);     // align/faceapi_aligner.cpp
void register_arcface_aligner(Registry<Aligner>& registry);     // align/arcface_aligner.cpp: "arcface"

// The detection box grown to a square around its centre (the shorter side grows), rounded to whole
// pixels and clipped to the image. Throws InvalidArgument when nothing of it lies inside the image.
cv::Rect square_crop_rect(const Rect& box, cv::Size image_size);

// The "none" alignment: slices square_crop_rect out of `rgb` (a copy) and records it in face.crop.
cv::Mat crop_square_box(const cv::Mat& rgb, FaceRegion& face);

// Samples a chip of `chip_size` from `source`: chip pixel (u, v) takes the value at
// chip_to_source * (u, v, 1); points outside `source` read as black (BORDER_CONSTANT 0).
cv::Mat warp_chip(const cv::Mat& source, const cv::Matx23d& chip_to_source, cv::Size chip_size,
                  int interpolation);

// Records in face.chip_to_image where the chip's pixels come from (FaceRegion::chip_to_image).
void record_chip_transform(FaceRegion& face, const cv::Matx23d& chip_to_image);

// The image pixels a chip with this transform reads, as FaceRegion::crop records them. Empty (zero
// size) when the chip lies wholly outside the image.
Rect chip_footprint(const cv::Matx23d& chip_to_image, cv::Size chip_size, cv::Size image_size);

// Eye centres of one face. `left` is the subject's left eye, on the image's right (deepface's naming).
struct EyeCentres {
  Point left;
  Point right;
};

// From Detection::left_eye/right_eye when the detector gave both, else from 68 landmarks (mean of
// points 42-47 for the left eye, 36-41 for the right, 0-based iBUG order; a mesh read through its
// iBUG points), else nothing.
std::optional<EyeCentres> eye_centres(const FaceRegion& face);

// dlib's face chip (get_face_chip_details + extract_image_chip): where a `size` x `size` chip with
// `padding` samples the image, given 5 points in the order of dlib's shape_predictor_5_face_landmarks
// (left eye outer and inner corner, right eye outer and inner corner, nose base; "left" is the
// subject's left). Throws InvalidArgument for points that give no usable transform.
struct FaceChipGeometry {
  cv::Matx23d chip_to_image;  // chip pixel (u, v) -> image point
  double angle = 0;           // rotation of the chip's x axis in the image, radians
  double scale = 0;           // image pixels per unit of dlib's template (chip) coordinates
};
FaceChipGeometry face_chip_geometry(const std::vector<Point>& five_points, int size, double padding);

// A similarity transform [a -b tx; b a ty] and its least-squares fit taking `from` onto `to`.
// dlib's find_similarity_transform and insightface's (skimage) SimilarityTransform use Umeyama's
// formulas, whose solution is this same least-squares optimum; in 2-D it has a closed form.
struct Similarity {
  double a = 0, b = 0;  // [a -b; b a] = scale * rotation
  cv::Vec2d translation;
  cv::Vec2d operator()(const cv::Vec2d& p) const {
    return {a * p[0] - b * p[1] + translation[0], b * p[0] + a * p[1] + translation[1]};
  }
};
Similarity fit_similarity(const std::vector<cv::Vec2d>& from, const std::vector<cv::Vec2d>& to);

// The 5 points above, picked from 68 iBUG landmarks (45, 42, 36, 39, 33; a mesh read through its iBUG
// points), or passed through when `landmarks` already has 5. Throws InvalidArgument for any other count.
std::vector<Point> five_points_from(const std::vector<Point>& landmarks);

}  // namespace facekit
