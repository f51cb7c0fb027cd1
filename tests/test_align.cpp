// Aligners: "none" (square crop), "eyes" (deepface's levelling), "5point" (dlib's face chip).
// Every expected value follows from how the input was built, or from dlib's / deepface's formulas.
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

#include "align/aligners.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "support/test_support.hpp"

namespace facekit {
namespace {

FaceRegion face_with_box(double x, double y, double w, double h) {
  FaceRegion face;
  face.detection.box = {x, y, w, h};
  return face;
}

cv::Mat noise_image(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
  return image;
}

// Intensity-weighted centroid of channel 0 inside `area` (the one bright blob drawn there).
cv::Point2d blob_centroid(const cv::Mat& rgb, const cv::Rect& area) {
  cv::Mat channel;
  cv::extractChannel(rgb(area), channel, 0);
  const cv::Moments m = cv::moments(channel, false);
  EXPECT_GT(m.m00, 0) << "no bright blob in " << area;
  return {area.x + m.m10 / m.m00, area.y + m.m01 / m.m00};
}

cv::Point2d rotate(cv::Point2d p, double angle) {
  return {p.x * std::cos(angle) - p.y * std::sin(angle), p.x * std::sin(angle) + p.y * std::cos(angle)};
}

// ---------------------------------------------------------------------------------------------- none

TEST(BoxAligner, GrowsTheShorterSideAroundTheCentre) {
  const cv::Mat image = noise_image(300, 200);
  FaceRegion face = face_with_box(100, 60, 80, 40);  // centre (140, 80); side 80 -> y from 40 to 120
  const cv::Mat chip = create_aligner("none")->align(image, face);
  EXPECT_EQ(face.alignment, "none");
  EXPECT_EQ(face.crop.x, 100);
  EXPECT_EQ(face.crop.y, 40);
  EXPECT_EQ(face.crop.width, 80);
  EXPECT_EQ(face.crop.height, 80);
  ASSERT_EQ(chip.size(), cv::Size(80, 80));
  EXPECT_EQ(cv::norm(chip, image(cv::Rect(100, 40, 80, 80)), cv::NORM_INF), 0);
}

TEST(BoxAligner, ClipsToTheImage) {
  const cv::Mat image = noise_image(120, 100);
  // Tall box at the top-left corner: centre (15, 40), side 60 -> x from -15 to 45, y from 10 to 70.
  FaceRegion face = face_with_box(5, 10, 20, 60);
  const cv::Mat chip = create_aligner("none")->align(image, face);
  EXPECT_EQ(face.crop.x, 0);
  EXPECT_EQ(face.crop.y, 10);
  EXPECT_EQ(face.crop.width, 45);
  EXPECT_EQ(face.crop.height, 60);
  ASSERT_EQ(chip.size(), cv::Size(45, 60));
  EXPECT_EQ(cv::norm(chip, image(cv::Rect(0, 10, 45, 60)), cv::NORM_INF), 0);
}

TEST(BoxAligner, ChipDoesNotAliasTheImage) {
  cv::Mat image = noise_image(50, 50);
  FaceRegion face = face_with_box(10, 10, 20, 20);
  const cv::Mat chip = create_aligner("none")->align(image, face);
  const cv::Mat before = chip.clone();
  image.setTo(cv::Scalar::all(0));
  EXPECT_EQ(cv::norm(chip, before, cv::NORM_INF), 0);
}

TEST(BoxAligner, BoxOutsideTheImageIsAnError) {
  const cv::Mat image = noise_image(50, 50);
  FaceRegion face = face_with_box(200, 200, 20, 20);
  try {
    create_aligner("none")->align(image, face);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
}

// ---------------------------------------------------------------------------------------------- eyes

// A black 200x200 image with two white discs (the "eyes") whose midpoint is (100, 100), 50 px apart,
// on a line tilted by `tilt` radians; the detection box (81x81, pixels 60..140) is centred on them.
struct TiltedEyes {
  cv::Mat image;
  FaceRegion face;
  cv::Point2d left, right;  // subject's left (image right) and right eye
};

TiltedEyes tilted_eyes(double tilt) {
  TiltedEyes t;
  const cv::Point2d midpoint(100, 100);
  const cv::Point2d half_gap = rotate({25, 0}, tilt);
  t.left = midpoint + half_gap;
  t.right = midpoint - half_gap;
  t.image = cv::Mat::zeros(200, 200, CV_8UC3);
  // Draw with 8 fractional bits so that each disc is centred on its exact, non-integer point.
  constexpr int kShift = 8;
  for (const cv::Point2d& eye : {t.left, t.right})
    cv::circle(t.image, cv::Point(cvRound(eye.x * (1 << kShift)), cvRound(eye.y * (1 << kShift))),
               5 << kShift, cv::Scalar::all(255), cv::FILLED, cv::LINE_AA, kShift);
  t.face = face_with_box(60, 60, 81, 81);
  return t;
}

void expect_levelled(const cv::Mat& chip, double eye_gap) {
  ASSERT_EQ(chip.size(), cv::Size(81, 81));
  // The subject's left eye lands on the chip's right half, the right eye on its left half.
  const cv::Point2d right_eye = blob_centroid(chip, cv::Rect(0, 0, 40, 81));
  const cv::Point2d left_eye = blob_centroid(chip, cv::Rect(41, 0, 40, 81));
  // Rotation about the box centre, which is the eye midpoint: the eyes are level at the chip's
  // centre row (40), symmetric about its centre column, still eye_gap apart. Tolerance: an
  // anti-aliased disc drawn at a sub-pixel centre already has its centroid a few hundredths of a
  // pixel off that centre, and bicubic resampling adds a few more.
  constexpr double kTolerance = 0.1;
  EXPECT_NEAR(left_eye.y, right_eye.y, kTolerance);
  EXPECT_NEAR(left_eye.y, 40.0, kTolerance);
  EXPECT_NEAR(left_eye.x - right_eye.x, eye_gap, kTolerance);
  EXPECT_NEAR((left_eye.x + right_eye.x) / 2, 40.0, kTolerance);
}

TEST(EyeAligner, LevelsTheEyesFromTheDetection) {
  for (double degrees : {20.0, -35.0, 0.0}) {
    SCOPED_TRACE(degrees);
    TiltedEyes t = tilted_eyes(degrees * std::numbers::pi / 180);
    t.face.detection.left_eye = Point{t.left.x, t.left.y};
    t.face.detection.right_eye = Point{t.right.x, t.right.y};
    const cv::Mat chip = create_aligner("eyes")->align(t.image, t.face);
    EXPECT_EQ(t.face.alignment, "eyes");
    expect_levelled(chip, 50);
  }
}

TEST(EyeAligner, UsesLandmarksWhenTheDetectorGaveNoEyes) {
  TiltedEyes t = tilted_eyes(25 * std::numbers::pi / 180);
  // Six contour points per eye spread symmetrically around its centre, so that their mean is the
  // centre: 36-41 around the subject's right eye, 42-47 around the left.
  t.face.landmarks.assign(68, Point{0, 0});
  for (int k = 0; k < 6; ++k) {
    const cv::Point2d spoke = rotate({4, 0}, k * std::numbers::pi / 3);
    t.face.landmarks[36 + k] = {t.right.x + spoke.x, t.right.y + spoke.y};
    t.face.landmarks[42 + k] = {t.left.x + spoke.x, t.left.y + spoke.y};
  }
  const cv::Mat chip = create_aligner("eyes")->align(t.image, t.face);
  EXPECT_EQ(t.face.alignment, "eyes");
  expect_levelled(chip, 50);
}

TEST(EyeAligner, WithoutEyesBehavesAsNone) {
  const cv::Mat image = noise_image(120, 100);
  FaceRegion by_eyes = face_with_box(30, 20, 40, 50);
  FaceRegion by_box = by_eyes;
  const cv::Mat eyes_chip = create_aligner("eyes")->align(image, by_eyes);
  const cv::Mat box_chip = create_aligner("none")->align(image, by_box);
  EXPECT_EQ(by_eyes.alignment, "none");
  EXPECT_EQ(by_eyes.crop.x, by_box.crop.x);
  EXPECT_EQ(by_eyes.crop.width, by_box.crop.width);
  ASSERT_EQ(eyes_chip.size(), box_chip.size());
  EXPECT_EQ(cv::norm(eyes_chip, box_chip, cv::NORM_INF), 0);
}

TEST(EyeAligner, LevelEyesGiveTheBoxItself) {
  // Angle 0 with an integer box: every chip pixel sits on an image pixel, where bicubic
  // interpolation returns the pixel itself, so the chip is the plain slice of the box.
  const cv::Mat image = noise_image(100, 80);
  FaceRegion face = face_with_box(20, 10, 50, 40);
  face.detection.left_eye = Point{60, 25};
  face.detection.right_eye = Point{35, 25};
  const cv::Mat chip = create_aligner("eyes")->align(image, face);
  ASSERT_EQ(chip.size(), cv::Size(50, 40));
  EXPECT_EQ(cv::norm(chip, image(cv::Rect(20, 10, 50, 40)), cv::NORM_INF), 0);
  EXPECT_EQ(face.crop.x, 20);
  EXPECT_EQ(face.crop.y, 10);
  EXPECT_EQ(face.crop.width, 50);
  EXPECT_EQ(face.crop.height, 40);
}

// -------------------------------------------------------------------------------------------- 5point

// dlib's 5-point template (dlib/image_transforms/interpolation.h, get_face_chip_details), in chip
// pixels for a given size and padding.
std::vector<cv::Point2d> dlib_template_in_chip(int size, double padding) {
  const cv::Point2d unit[5] = {{0.8595674595992, 0.2134981538014}, {0.6460604764104, 0.2289674387677},
                               {0.1205750620789, 0.2137274526848}, {0.3340850613712, 0.2290642403242},
                               {0.4901123135679, 0.6277975316475}};
  std::vector<cv::Point2d> chip;
  for (const cv::Point2d& p : unit)
    chip.push_back((cv::Point2d(padding, padding) + p) / (2 * padding + 1) * size);
  return chip;
}

// A known similarity: image = scale * R(angle) * chip + shift.
struct KnownSimilarity {
  double scale, angle;
  cv::Point2d shift;
  cv::Point2d operator()(cv::Point2d p) const { return rotate(p, angle) * scale + shift; }
};

// 68 landmarks whose five dlib points (45, 42, 36, 39, 33) are the template under `truth`; the other
// 63 are junk far away, which the 5-point fit must ignore.
std::vector<Point> landmarks_from(const KnownSimilarity& truth, int size, double padding) {
  std::vector<Point> landmarks(68, Point{-1000, 5000});
  const int dlib_index[5] = {45, 42, 36, 39, 33};
  const std::vector<cv::Point2d> chip = dlib_template_in_chip(size, padding);
  for (int i = 0; i < 5; ++i) {
    const cv::Point2d p = truth(chip[i]);
    landmarks[dlib_index[i]] = {p.x, p.y};
  }
  return landmarks;
}

// Where dlib's chip shows template point q: dlib keeps the rectangle of side size*scale centred on
// truth(size/2, size/2) and maps chip pixels 0 and size-1 onto its edges, which lie (size*scale-1)/2
// from the centre (centered_drect). So chip pixel u sits at offset (u - (size-1)/2) * step, with
// step = (size*scale - 1) / (size - 1), while q sits at offset (q - size/2) * scale.
cv::Point2d dlib_chip_position(cv::Point2d q, int size, double scale) {
  const double step = (size * scale - 1) / (size - 1);
  const double half = (size - 1) / 2.0;
  return cv::Point2d(half, half) + (q - cv::Point2d(size / 2.0, size / 2.0)) * (scale / step);
}

TEST(FivePointAligner, RecoversAKnownSimilarity) {
  for (const KnownSimilarity truth : {KnownSimilarity{1.7, 0.3, {210.5, -40.25}},
                                      KnownSimilarity{0.6, -1.1, {80, 300}}, KnownSimilarity{1, 0, {0, 0}}}) {
    for (const auto& [size, padding] : {std::pair{150, 0.25}, std::pair{200, 0.0}}) {
      SCOPED_TRACE(testing::Message() << "scale " << truth.scale << " size " << size);
      const std::vector<Point> five = five_points_from(landmarks_from(truth, size, padding));
      const FaceChipGeometry g = face_chip_geometry(five, size, padding);
      EXPECT_NEAR(g.scale, truth.scale, 1e-9);
      EXPECT_NEAR(g.angle, truth.angle, 1e-9);
      const std::vector<cv::Point2d> chip = dlib_template_in_chip(size, padding);
      for (int i = 0; i < 5; ++i) {
        const cv::Point2d u = dlib_chip_position(chip[i], size, truth.scale);
        const cv::Vec2d mapped = g.chip_to_image * cv::Vec3d(u.x, u.y, 1);
        EXPECT_NEAR(mapped[0], five[i].x, 1e-6);
        EXPECT_NEAR(mapped[1], five[i].y, 1e-6);
      }
    }
  }
}

TEST(FivePointAligner, NeedsLandmarks) {
  EXPECT_TRUE(create_aligner("5point")->needs_landmarks());
  FaceRegion face = face_with_box(0, 0, 10, 10);
  EXPECT_THROW(create_aligner("5point")->align(noise_image(20, 20), face), Error);
  face.landmarks.assign(12, Point{});
  EXPECT_THROW(create_aligner("5point")->align(noise_image(20, 20), face), Error);
}

TEST(FivePointAligner, RejectsBadOptions) {
  EXPECT_THROW(create_aligner("5point:size=1"), Error);
  EXPECT_THROW(create_aligner("5point:padding=-0.1"), Error);
  EXPECT_THROW(create_aligner("5point:sise=150"), Error);
  EXPECT_NO_THROW(create_aligner("5point:size=112,padding=0"));
}

// Draws a white disc on each of the five landmark points, aligns, and finds the discs in the chip
// where dlib's formula puts them. Scale 4 makes the chip read from the twice-halved pyramid level
// (dlib halves while the chip rectangle halved is still bigger than the chip), scale 1.3 from the
// image itself; both must land in the same place.
TEST(FivePointAligner, ChipShowsTheLandmarksWhereDlibPutsThem) {
  const int size = 150;
  const double padding = 0.25;
  for (const KnownSimilarity truth : {KnownSimilarity{4.0, 0.2, {40, 30}}, KnownSimilarity{1.3, -0.4, {20, 120}}}) {
    SCOPED_TRACE(truth.scale);
    FaceRegion face;
    face.landmarks = landmarks_from(truth, size, padding);
    const std::vector<Point> five = five_points_from(face.landmarks);
    cv::Mat image = cv::Mat::zeros(1000, 1000, CV_8UC3);
    // Radius 4 chip pixels, drawn at the exact (sub-pixel) points.
    constexpr int kShift = 8;
    for (const Point& p : five)
      cv::circle(image, cv::Point(cvRound(p.x * (1 << kShift)), cvRound(p.y * (1 << kShift))),
                 cvRound(4 * truth.scale * (1 << kShift)), cv::Scalar::all(255), cv::FILLED, cv::LINE_AA, kShift);

    const cv::Mat chip = create_aligner("5point")->align(image, face);
    ASSERT_EQ(chip.size(), cv::Size(size, size));
    EXPECT_EQ(face.alignment, "5point");
    const std::vector<cv::Point2d> template_points = dlib_template_in_chip(size, padding);
    for (int i = 0; i < 5; ++i) {
      const cv::Point2d expected = dlib_chip_position(template_points[i], size, truth.scale);
      const cv::Rect window(cvRound(expected.x) - 8, cvRound(expected.y) - 8, 17, 17);
      const cv::Point2d found = blob_centroid(chip, window);
      // Blurring and resampling keep a symmetric blob's centroid; the tolerance covers the few
      // hundredths of a pixel by which an anti-aliased disc's centroid misses its drawn centre. A
      // wrong pyramid offset (half a level pixel) would be 0.5 chip pixels at scale 4.
      EXPECT_NEAR(found.x, expected.x, 0.1) << "point " << i;
      EXPECT_NEAR(found.y, expected.y, 0.1) << "point " << i;
    }
  }
}

TEST(FivePointAligner, OutsideTheImageIsBlack) {
  // The template under the identity sits inside a 150x150 chip; shifted entirely off a small image,
  // the chip reads nothing and must be black.
  FaceRegion face;
  face.landmarks = landmarks_from(KnownSimilarity{1, 0, {500, 500}}, 150, 0.25);
  const cv::Mat chip = create_aligner("5point")->align(noise_image(100, 100), face);
  ASSERT_EQ(chip.size(), cv::Size(150, 150));
  EXPECT_EQ(cv::countNonZero(chip.reshape(1)), 0);
  EXPECT_EQ(face.crop.area(), 0);
}

TEST(Aligners, AreRegistered) {
  for (const char* name : {"none", "eyes", "5point"}) EXPECT_NE(aligner_registry().find(name), nullptr) << name;
  EXPECT_FALSE(create_aligner("none")->needs_landmarks());
  EXPECT_FALSE(create_aligner("eyes")->needs_landmarks());
  EXPECT_THROW(create_aligner("eyes:foo=1"), Error);
}

}  // namespace
}  // namespace facekit
