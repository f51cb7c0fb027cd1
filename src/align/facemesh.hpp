// The geometry of human 3.x's face mesh stage (src/face/facemesh.ts, facemeshutil.ts, iris.ts), kept
// apart from the landmarker (facemesh_landmarker.cpp) so that tests can check it by hand.
//
// human crops the detector's box enlarged 1.4x and made square (enlargeBox + squarifyBox), optionally
// turned about its centre, resizes it to 192x192 with tf.image.cropAndResize (bilinear, 0 outside the
// image), scales it to 0..1, and maps the model's 468 (x, y, z) back with transformRawCoords.
#pragma once
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/types.hpp"
#include "nn/tensor.hpp"

namespace facekit::facemesh {

constexpr int kMeshInputSize = 192;
constexpr int kIrisInputSize = 64;
constexpr double kDefaultBoxScale = 1.4;   // human config.face.detector.scale
constexpr double kDefaultIrisScale = 2.3;  // human config.face.iris.scale

struct Point3 {
  double x = 0, y = 0, z = 0;
};

// facemeshutil.ts box: startPoint and endPoint, in pixels.
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
};

// enlargeBox(box, scale) then squarifyBox: the square of the longer enlarged side about the box's
// centre, its corners rounded to whole pixels (Math.round, i.e. halves up).
Box enlarged_square(const Box& box, double scale);

// tf.image.cropAndResize of `box` to size x size as an affine map, output pixel (u, v) -> source
// point: x = x0 (W-1)/W + u (x1-x0)(W-1) / (W (size-1)), likewise y, for a W x H source. When `angle`
// is non-zero the crop is first turned by `angle` (radians) about the box centre, as human does by
// rotating the image (rotateWithOffset) before cropping.
cv::Matx23d crop_to_source(const Box& box, cv::Size source_size, int size, double angle = 0);

// transformRawCoords without its Math.trunc: model point (x, y) in 0..size units (0 = the box's
// edge) -> image point centre + R(angle) * box_size / size * ((x, y) - size / 2).
cv::Matx23d model_to_image(const Box& box, int size, double angle = 0);

// Samples `source` (HWC, 3 channels, 8-bit or float) at crop_to_source for every output pixel into a
// [1, size, size, 3] tensor times `multiplier`: bilinear, and 0 for an output pixel whose source
// point lies outside [0, W-1] x [0, H-1] (cropAndResize's extrapolation_value). `mirror` flips the
// output left-right (tf.image.flipLeftRight).
nn::Tensor crop_and_resize(const cv::Mat& source, const cv::Matx23d& crop_to_source, int size, float multiplier,
                           bool mirror = false);

// iris.ts: the 76 iris-model points of both eyes merged into the mesh (in model units), returning
// 478 points: the mesh with its eye contours and brows replaced as human decides from the eyes'
// depth difference, then the 5 iris points of the subject's left eye (468-472) and right eye
// (473-477). `left_eye` and `right_eye` are the iris outputs already mapped into mesh units.
std::vector<Point3> merge_iris(std::vector<Point3> mesh, const std::vector<Point3>& left_eye,
                               const std::vector<Point3>& right_eye);

// The mesh vertices merge_iris may replace for the subject's left (or right) eye: its contours and brow.
std::vector<int> eye_vertices(bool left);

// iris.ts getEyeBox: the box around an eye from its two corners (mesh units), enlarged and squared.
Box eye_box(const Point3& corner_a, const Point3& corner_b, double scale);

struct MeshOptions {
  double box_scale = kDefaultBoxScale;
  bool rotate = false;  // turn the crop by the detector's eye line
  bool iris = false;    // refine the eyes with the iris model (478 points)
};

// The whole stage (facemesh_landmarker.cpp): the mesh of the face in `face.box` of `rgb`, (x, y) in
// image coordinates and z in image pixels (relative depth, smaller = nearer the camera).
std::vector<Point3> face_mesh(const cv::Mat& rgb, const Detection& face, const MeshOptions& options);

// The mesh vertices of the eye corners human's eye boxes span (leftEyeLower0 / rightEyeLower0 ends).
constexpr std::array<int, 2> kLeftEyeCorners = {263, 362};
constexpr std::array<int, 2> kRightEyeCorners = {33, 133};

}  // namespace facekit::facemesh
