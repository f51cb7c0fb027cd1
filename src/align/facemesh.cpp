// Geometry of human's face mesh and iris stages (see facemesh.hpp).
#include "align/facemesh.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

#include "facekit/error.hpp"

namespace facekit::facemesh {
namespace {

double js_round(double v) { return std::floor(v + 0.5); }  // Math.round: halves go up

// Rotation by `angle` about `centre`, composed after `m`.
cv::Matx23d turned_about(const cv::Matx23d& m, cv::Vec2d centre, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  const cv::Matx22d r(c, -s, s, c);
  const cv::Matx22d linear = r * cv::Matx22d(m(0, 0), m(0, 1), m(1, 0), m(1, 1));
  const cv::Vec2d offset = r * (cv::Vec2d(m(0, 2), m(1, 2)) - centre) + centre;
  return {linear(0, 0), linear(0, 1), offset[0], linear(1, 0), linear(1, 1), offset[1]};
}

cv::Vec2d centre_of(const Box& box) { return {box.x0 + box.width() / 2, box.y0 + box.height() / 2}; }

template <typename T>
void sample_into(const cv::Mat& source, const cv::Matx23d& m, int size, float multiplier, bool mirror, float* out) {
  const int w = source.cols, h = source.rows;
  for (int v = 0; v < size; ++v) {
    for (int u = 0; u < size; ++u) {
      float* pixel = out + (std::size_t(v) * size + (mirror ? size - 1 - u : u)) * 3;
      const double x = m(0, 0) * u + m(0, 1) * v + m(0, 2), y = m(1, 0) * u + m(1, 1) * v + m(1, 2);
      if (!(x >= 0 && x <= w - 1 && y >= 0 && y <= h - 1)) {
        pixel[0] = pixel[1] = pixel[2] = 0.f;
        continue;
      }
      // TensorFlow's CropAndResize: top/bottom = floor/ceil of the source coordinate.
      const int x0 = int(std::floor(x)), x1 = int(std::ceil(x)), y0 = int(std::floor(y)), y1 = int(std::ceil(y));
      const double fx = x - x0, fy = y - y0;
      const T* top_left = source.ptr<T>(y0) + x0 * 3;
      const T* top_right = source.ptr<T>(y0) + x1 * 3;
      const T* bottom_left = source.ptr<T>(y1) + x0 * 3;
      const T* bottom_right = source.ptr<T>(y1) + x1 * 3;
      for (int c = 0; c < 3; ++c) {
        const double top = top_left[c] + (top_right[c] - double(top_left[c])) * fx;
        const double bottom = bottom_left[c] + (bottom_right[c] - double(bottom_left[c])) * fx;
        pixel[c] = float((top + (bottom - top) * fy) * multiplier);
      }
    }
  }
}

// iris.ts irisIndices + facemeshcoords.ts meshAnnotations: for each eye region, the iris model's point
// indices and the mesh vertices they replace, for the subject's left and right eye.
struct EyeRegion {
  const char* key;
  std::vector<int> iris_points;
  std::vector<int> left_vertices;
  std::vector<int> right_vertices;
};
const std::vector<EyeRegion>& eye_regions() {
  static const std::vector<EyeRegion> regions = {
      {"EyeUpper0", {9, 10, 11, 12, 13, 14, 15}, {466, 388, 387, 386, 385, 384, 398}, {246, 161, 160, 159, 158, 157, 173}},
      {"EyeUpper1", {25, 26, 27, 28, 29, 30, 31}, {467, 260, 259, 257, 258, 286, 414}, {247, 30, 29, 27, 28, 56, 190}},
      {"EyeUpper2", {41, 42, 43, 44, 45, 46, 47}, {342, 445, 444, 443, 442, 441, 413}, {113, 225, 224, 223, 222, 221, 189}},
      {"EyeLower0", {0, 1, 2, 3, 4, 5, 6, 7, 8}, {263, 249, 390, 373, 374, 380, 381, 382, 362},
       {33, 7, 163, 144, 145, 153, 154, 155, 133}},
      {"EyeLower1", {16, 17, 18, 19, 20, 21, 22, 23, 24}, {359, 255, 339, 254, 253, 252, 256, 341, 463},
       {130, 25, 110, 24, 23, 22, 26, 112, 243}},
      {"EyeLower2", {32, 33, 34, 35, 36, 37, 38, 39, 40}, {446, 261, 448, 449, 450, 451, 452, 453, 464},
       {226, 31, 228, 229, 230, 231, 232, 233, 244}},
      {"EyeLower3", {54, 55, 56, 57, 58, 59, 60, 61, 62}, {372, 340, 346, 347, 348, 349, 350, 357, 465},
       {143, 111, 117, 118, 119, 120, 121, 128, 245}},
      {"EyebrowUpper", {63, 64, 65, 66, 67, 68, 69, 70}, {383, 300, 293, 334, 296, 336, 285, 417},
       {156, 70, 63, 105, 66, 107, 55, 193}},
      {"EyebrowLower", {48, 49, 50, 51, 52, 53}, {265, 353, 276, 283, 282, 295}, {35, 124, 46, 53, 52, 65}},
  };
  return regions;
}

constexpr int kIrisModelPoints = 76;
constexpr int kFirstIrisPoint = 71;  // points 71-75: iris centre, right, above, left, below

// replaceIrisCoords: iris-model points replace the mesh's, z averaged with the mesh's own.
void replace_eye(std::vector<Point3>& mesh, const std::vector<Point3>& eye, bool left, bool contours_only) {
  for (const EyeRegion& region : eye_regions()) {
    const std::string key = region.key;
    if (contours_only && key != "EyeUpper0" && key != "EyeLower0") continue;
    const std::vector<int>& vertices = left ? region.left_vertices : region.right_vertices;
    for (std::size_t j = 0; j < region.iris_points.size(); ++j) {
      const Point3& p = eye[region.iris_points[j]];
      Point3& target = mesh[vertices[j]];
      target = {p.x, p.y, (p.z + target.z) / 2};
    }
  }
}

// getAdjustedIrisCoords: the iris model's z is unreliable; take it from the eye contour around it.
void append_iris(std::vector<Point3>& mesh, const std::vector<Point3>& eye, bool left) {
  const EyeRegion& upper = eye_regions()[0];  // EyeUpper0
  const EyeRegion& lower = eye_regions()[3];  // EyeLower0
  const double upper_z = mesh[(left ? upper.left_vertices : upper.right_vertices)[3]].z;
  const double lower_z = mesh[(left ? lower.left_vertices : lower.right_vertices)[4]].z;
  for (int i = 0; i < 5; ++i) {
    const Point3& p = eye[kFirstIrisPoint + i];
    const double z = i == 2 ? upper_z : i == 4 ? lower_z : (upper_z + lower_z) / 2;
    mesh.push_back({p.x, p.y, z});
  }
}

}  // namespace

Box enlarged_square(const Box& box, double scale) {
  const cv::Vec2d centre = centre_of(box);
  const double half = std::max(std::abs(box.width()), std::abs(box.height())) * scale / 2;
  return {js_round(centre[0] - half), js_round(centre[1] - half), js_round(centre[0] + half),
          js_round(centre[1] + half)};
}

cv::Matx23d crop_to_source(const Box& box, cv::Size source_size, int size, double angle) {
  const double w = source_size.width, h = source_size.height;
  const double step_x = box.width() * (w - 1) / (w * (size - 1)), step_y = box.height() * (h - 1) / (h * (size - 1));
  const cv::Matx23d crop(step_x, 0, box.x0 * (w - 1) / w, 0, step_y, box.y0 * (h - 1) / h);
  return angle == 0 ? crop : turned_about(crop, centre_of(box), angle);
}

cv::Matx23d model_to_image(const Box& box, int size, double angle) {
  const double sx = box.width() / size, sy = box.height() / size;
  const cv::Vec2d centre = centre_of(box);
  const cv::Matx23d straight(sx, 0, centre[0] - sx * size / 2.0, 0, sy, centre[1] - sy * size / 2.0);
  return angle == 0 ? straight : turned_about(straight, centre, angle);
}

nn::Tensor crop_and_resize(const cv::Mat& source, const cv::Matx23d& m, int size, float multiplier, bool mirror) {
  if (source.empty() || source.channels() != 3)
    throw Error(ErrorCode::InvalidArgument, "facemesh: expects a non-empty 3-channel image");
  nn::Tensor out({1, size, size, 3});
  if (source.depth() == CV_8U)
    sample_into<unsigned char>(source, m, size, multiplier, mirror, out.data.data());
  else if (source.depth() == CV_32F)
    sample_into<float>(source, m, size, multiplier, mirror, out.data.data());
  else
    throw Error(ErrorCode::InvalidArgument, "facemesh: expects an 8-bit or float image");
  return out;
}

std::vector<int> eye_vertices(bool left) {
  std::vector<int> vertices;
  for (const EyeRegion& region : eye_regions())
    for (int v : left ? region.left_vertices : region.right_vertices) vertices.push_back(v);
  return vertices;
}

Box eye_box(const Point3& a, const Point3& b, double scale) {
  // calculateLandmarksBoundingBox of the two corners.
  const Box bounds{std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)};
  return enlarged_square(bounds, scale);
}

std::vector<Point3> merge_iris(std::vector<Point3> mesh, const std::vector<Point3>& left_eye,
                               const std::vector<Point3>& right_eye) {
  if (mesh.size() != 468 || left_eye.size() != kIrisModelPoints || right_eye.size() != kIrisModelPoints)
    throw Error(ErrorCode::Internal, "facemesh: merge_iris needs 468 mesh points and 76 points per eye");
  // getLeftToRightEyeDepthDifference: z of the two outer eye corners.
  const double depth_difference = mesh[kLeftEyeCorners[0]].z - mesh[kRightEyeCorners[0]].z;
  if (std::abs(depth_difference) < 30) {  // looking straight ahead
    replace_eye(mesh, left_eye, true, false);
    replace_eye(mesh, right_eye, false, false);
  } else if (depth_difference < 1) {  // turned: only one eye's lid contours are trusted
    replace_eye(mesh, left_eye, true, true);
  } else {
    replace_eye(mesh, right_eye, false, true);
  }
  append_iris(mesh, left_eye, true);
  append_iris(mesh, right_eye, false);
  return mesh;
}

}  // namespace facekit::facemesh
