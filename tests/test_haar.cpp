// "haar" detector: OpenCV's frontal-face cascade with deepface's settings, eyes from haarcascade_eye.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/models.hpp"
#include "support/test_support.hpp"

namespace facekit {
namespace {

// The cascades are installed by scripts/setup.sh into the model directory, not shipped in git.
#define REQUIRE_HAAR_MODELS()                                                              \
  do {                                                                                     \
    try {                                                                                  \
      require_model_file("opencv/haarcascade_frontalface_default.xml");                  \
      require_model_file("opencv/haarcascade_eye.xml");                                  \
    } catch (const Error& e) {                                                             \
      GTEST_SKIP() << e.what();                                                            \
    }                                                                                      \
  } while (0)

cv::Mat load_rgb(const std::filesystem::path& path) {
  cv::Mat bgr = cv::imread(path.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(bgr.empty()) << "cannot read " << path;
  cv::Mat rgb;
  if (!bgr.empty()) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::filesystem::path faces_dir() { return test::shared_dir() / "data" / "faces"; }

Rect from_top_right_bottom_left(double top, double right, double bottom, double left) {
  return {left, top, right - left, bottom - top};
}

// PASCAL VOC's criterion for two boxes marking the same object.
constexpr double kSameFaceIou = 0.5;

TEST(HaarDetector, BlankImageHasNoFace) {
  REQUIRE_HAAR_MODELS();
  auto detector = create_detector("haar");
  EXPECT_EQ(detector->name(), "haar");
  for (int grey : {0, 128, 255}) {
    const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar::all(grey));
    EXPECT_TRUE(detector->detect(blank).empty()) << "grey level " << grey;
  }
  EXPECT_TRUE(detector->detect(cv::Mat()).empty());
}

TEST(HaarDetector, ChecksItsOptions) {
  REQUIRE_HAAR_MODELS();
  EXPECT_THROW(create_detector("haar:min_neighbours=3"), Error);  // typo of min_neighbors
  EXPECT_THROW(create_detector("haar:scale_factor=1"), Error);
  EXPECT_THROW(create_detector("haar:min_size=-4"), Error);
  EXPECT_NO_THROW(create_detector("haar:scale_factor=1.05,min_neighbors=3,min_size=40"));
}

TEST(HaarDetector, MissingModelSaysSo) {
  const std::string saved = model_dir();
  set_model_dir((test::temp_dir("haar_no_models")).string());
  try {
    create_detector("haar");
    ADD_FAILURE() << "expected ModelMissing";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::ModelMissing);
  }
  set_model_dir(saved);
}

// face_recognition's own test (upstream_tests/test_face_recognition.py, test_face_locations) asserts
// that dlib's HOG detector finds exactly one face in obama.jpg at (top, right, bottom, left) =
// (142, 617, 409, 349). A different detector draws its box differently, but the same face must
// overlap it by the usual same-object criterion.
TEST(HaarDetector, FindsObamaOnce) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_HAAR_MODELS();
  const cv::Mat image = load_rgb(faces_dir() / "face_recognition/examples/obama.jpg");
  ASSERT_FALSE(image.empty());
  const std::vector<Detection> faces = create_detector("haar")->detect(image);
  ASSERT_EQ(faces.size(), 1u);
  const Detection& face = faces[0];
  EXPECT_GE(iou(face.box, from_top_right_bottom_left(142, 617, 409, 349)), kSameFaceIou);
  EXPECT_GT(face.score, 0.f);
  EXPECT_LT(face.score, 1.f);

  // A frontal portrait: both eyes are found, inside the box, in its upper half, and the subject's
  // left eye is the one on the image's right.
  ASSERT_TRUE(face.left_eye && face.right_eye);
  for (const Point& eye : {*face.left_eye, *face.right_eye}) {
    EXPECT_GT(eye.x, face.box.x);
    EXPECT_LT(eye.x, face.box.right());
    EXPECT_GT(eye.y, face.box.y);
    EXPECT_LT(eye.y, face.box.y + face.box.height / 2);
  }
  EXPECT_GT(face.left_eye->x, face.right_eye->x);
}

// face-api.js's test image faces.jpg shows six faces; its tests list MTCNN's box for each. Every
// face the cascade reports must be one of them, none twice, and the list is best first.
TEST(HaarDetector, GroupPhotoHasNoFalseFaces) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_HAAR_MODELS();
  const cv::Mat image = load_rgb(faces_dir() / "faceapi-js/test/images/faces.jpg");
  ASSERT_FALSE(image.empty());
  std::vector<Rect> truth;
  std::ifstream csv(faces_dir() / "faceapi-js/detection_boxes_faces_jpg.csv");
  for (std::string line; std::getline(csv, line);) {
    if (line.rfind("mtcnn,", 0) != 0) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line.substr(6));
    Rect r;
    fields >> r.x >> r.y >> r.width >> r.height;
    truth.push_back(r);
  }
  ASSERT_EQ(truth.size(), 6u);

  const std::vector<Detection> faces = create_detector("haar")->detect(image);
  ASSERT_FALSE(faces.empty());
  std::vector<int> matched(truth.size(), 0);
  for (const Detection& face : faces) {
    const auto best = std::max_element(truth.begin(), truth.end(), [&](const Rect& a, const Rect& b) {
      return iou(face.box, a) < iou(face.box, b);
    });
    EXPECT_GE(iou(face.box, *best), kSameFaceIou) << "a detection matches no face";
    ++matched[best - truth.begin()];
  }
  for (int count : matched) EXPECT_LE(count, 1) << "a face was reported twice";
  for (size_t i = 1; i < faces.size(); ++i) EXPECT_GE(faces[i - 1].score, faces[i].score);
}

TEST(HaarDetector, IsRegistered) {
  EXPECT_NE(detector_registry().find("haar"), nullptr);
}

}  // namespace
}  // namespace facekit
