// normalization "mask": the chip outside the face outline is set to 0, the inside left alone, and the
// outline follows the aligner's warp. Checked on synthetic images with known landmark polygons: every
// chip pixel is mapped back into the image through the aligner's recorded transform and tested
// against the image-space polygon, so the expectation never uses the mask code's own mapping.
#include <cmath>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "align/face_mask.hpp"
#include "align/landmark_schemes.hpp"
#include "eval/batch_embedder.hpp"
#include "facekit/components.hpp"
#include "facekit/facekit.hpp"
#include "support/golden.hpp"

using namespace facekit;

namespace {

// 68 points whose jaw (0-16) is the lower half of a circle and whose brows (17-26) lie on a chord
// above the centre: their hull is a half disc topped by the brow line. The other points sit inside.
std::vector<Point> circle_face(Point centre, double radius) {
  std::vector<Point> points(68, centre);
  for (int i = 0; i <= 16; ++i) {
    const double a = CV_PI * i / 16;  // from the image's left (0) round the bottom to the right (pi)
    points[i] = {centre.x - radius * std::cos(a), centre.y + radius * std::sin(a)};
  }
  for (int i = 17; i <= 26; ++i) points[i] = {centre.x - radius + 2 * radius * (i - 17) / 9.0, centre.y - radius / 2};
  // Eyes, nose tip and mouth corners where a face has them, for the landmark aligners.
  auto at = [&](double dx, double dy) { return Point{centre.x + dx * radius, centre.y + dy * radius}; };
  for (int i = 36; i < 42; ++i) points[i] = at(-0.4, -0.25);
  for (int i = 42; i < 48; ++i) points[i] = at(0.4, -0.25);
  points[30] = at(0, 0.1);
  points[48] = at(-0.3, 0.5);
  points[54] = at(0.3, 0.5);
  return points;
}

// A textured image: no pixel is 0, so a 0 in the chip can only come from the mask.
cv::Mat textured_image(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      rgb.at<cv::Vec3b>(y, x) = {uchar(1 + (7 * y + 3 * x) % 250), uchar(1 + (5 * x + y) % 250), uchar(100)};
  return rgb;
}

std::vector<cv::Point2f> to_cv(const std::vector<Point>& points) {
  std::vector<cv::Point2f> out;
  for (const Point& p : points) out.emplace_back(float(p.x), float(p.y));
  return out;
}

// Aligns `face` with `aligner`, masks it, and checks every chip pixel at least 1 px (in the image)
// away from the outline `polygon`: outside -> 0 in every channel, inside -> as the aligner made it.
void expect_masked_by(const char* aligner, const cv::Mat& rgb, FaceRegion face, const std::vector<Point>& polygon) {
  const cv::Mat chip = create_aligner(aligner)->align(rgb, face);
  ASSERT_TRUE(face.chip_to_image.has_value()) << aligner;
  cv::Mat masked = chip.clone();
  mask_outside_face(masked, face);
  const auto& t = *face.chip_to_image;
  std::vector<cv::Point2f> contour = to_cv(polygon), hull;
  cv::convexHull(contour, hull);
  int inside = 0, outside = 0;
  for (int v = 0; v < chip.rows; ++v) {
    for (int u = 0; u < chip.cols; ++u) {
      const cv::Point2f image_point(float(t[0] * u + t[1] * v + t[2]), float(t[3] * u + t[4] * v + t[5]));
      const double signed_distance = cv::pointPolygonTest(hull, image_point, true);
      const cv::Vec3b got = masked.at<cv::Vec3b>(v, u), before = chip.at<cv::Vec3b>(v, u);
      if (signed_distance > 1) {
        ++inside;
        ASSERT_EQ(got, before) << aligner << " inside pixel (" << u << ", " << v << ") changed";
      } else if (signed_distance < -1) {
        ++outside;
        ASSERT_EQ(got, cv::Vec3b(0, 0, 0)) << aligner << " outside pixel (" << u << ", " << v << ") kept";
      }
    }
  }
  // Both regions are substantial, so the test cannot pass vacuously.
  EXPECT_GT(inside, chip.total() / 10) << aligner;
  EXPECT_GT(outside, chip.total() / 10) << aligner;
}

}  // namespace

TEST(FaceMask, SixtyEightPointHullOnAnUnturnedChip) {
  const cv::Mat rgb = textured_image(200, 160);
  FaceRegion face;
  face.detection.box = {50, 30, 100, 100};
  face.landmarks = circle_face({100, 80}, 40);
  std::vector<Point> outline(face.landmarks.begin(), face.landmarks.begin() + 27);
  expect_masked_by("none", rgb, face, outline);
}

TEST(FaceMask, FollowsARotatingAlignersWarp) {
  const cv::Mat rgb = textured_image(240, 240);
  // A face turned by 30 degrees: the eyes aligner levels it, so the chip is a turned view, and the
  // mask must turn with it.
  const Point centre{120, 120};
  std::vector<Point> upright = circle_face({0, 0}, 45);
  const double a = 30 * CV_PI / 180, c = std::cos(a), s = std::sin(a);
  FaceRegion face;
  for (const Point& p : upright) face.landmarks.push_back({centre.x + c * p.x - s * p.y, centre.y + s * p.x + c * p.y});
  face.detection.box = {60, 60, 120, 120};
  face.detection.right_eye = Point{centre.x + c * -20 - s * -15, centre.y + s * -20 + c * -15};
  face.detection.left_eye = Point{centre.x + c * 20 - s * -15, centre.y + s * 20 + c * -15};
  std::vector<Point> outline(face.landmarks.begin(), face.landmarks.begin() + 27);
  expect_masked_by("eyes", rgb, face, outline);
  expect_masked_by("arcface", rgb, face, outline);
}

TEST(FaceMask, MeshUsesTheFaceOval) {
  const cv::Mat rgb = textured_image(200, 200);
  FaceRegion face;
  face.detection.box = {40, 40, 120, 120};
  // Every vertex at the centre except the oval's 36, on a circle of radius 50: the mask is that circle.
  face.landmarks.assign(kMeshPointCount, Point{100, 100});
  std::vector<Point> oval;
  for (std::size_t k = 0; k < kMeshFaceOval.size(); ++k) {
    const double angle = 2 * CV_PI * k / kMeshFaceOval.size();
    face.landmarks[kMeshFaceOval[k]] = {100 + 50 * std::sin(angle), 100 - 50 * std::cos(angle)};
    oval.push_back(face.landmarks[kMeshFaceOval[k]]);
  }
  expect_masked_by("none", rgb, face, oval);
}

TEST(FaceMask, RefusesWithoutLandmarksOrTransform) {
  FaceRegion face;
  face.alignment = "custom";
  EXPECT_THROW(face_mask(face, {10, 10}), Error);
  face.landmarks = circle_face({5, 5}, 3);
  try {
    face_mask(face, {10, 10});
    FAIL() << "no transform accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("custom"), std::string::npos) << e.what();
  }
}

TEST(FaceMask, PipelineRejectsAnUnknownNormalization) {
  PipelineOptions options;
  options.normalization = "blur";
  options.detector = "none";
  try {
    represent(FaceInput::image(textured_image(50, 50)), options);
    FAIL() << "unknown normalization accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("none, mask"), std::string::npos) << e.what();
  }
}

TEST(FaceMask, CliRepresentWithMaskChangesTheEmbedding) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const std::string cli = "'" + test::cli_path() + "'";
  const std::string image = (test::shared_dir() / "data/faces/face_recognition/tests/test_images/obama.jpg").string();
  const auto plain = test::run_command(cli + " represent --json " + image);
  const auto masked = test::run_command(cli + " represent --json --normalization mask " + image);
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(masked.status, 0) << masked.err;
  const auto a = nlohmann::json::parse(plain.out)["results"][0]["embedding"].get<std::vector<double>>();
  const auto b = nlohmann::json::parse(masked.out)["results"][0]["embedding"].get<std::vector<double>>();
  ASSERT_EQ(a.size(), b.size());
  double squared = 0;
  for (std::size_t i = 0; i < a.size(); ++i) squared += (a[i] - b[i]) * (a[i] - b[i]);
  // The mask removes hair, ears and background from the chip: the descriptor moves, but the face
  // is still the same person's under faceapi-resnet's euclidean threshold (0.6).
  EXPECT_GT(std::sqrt(squared), 0.01);
  EXPECT_LT(std::sqrt(squared), 0.6);
  const auto bad = test::run_command(cli + " represent --normalization blur " + image);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("blur"), std::string::npos) << bad.err;
}

TEST(FaceMask, EvaluationCacheKeepsMaskedEmbeddingsApart) {
  eval::BatchOptions plain;
  eval::BatchOptions masked = plain;
  masked.pipeline.normalization = "mask";
  EXPECT_NE(eval::configuration_key(plain), eval::configuration_key(masked));
  // Unmasked keys are those written before the option existed, so existing caches stay valid.
  EXPECT_EQ(eval::configuration_key(plain).find("normalization"), std::string::npos);
}
