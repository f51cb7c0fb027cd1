// dlib components: the "dlib-hog" detector (checked against face_recognition's own test assertions) and
// the "dlib68" landmarker (checked against dlib's own 68-point annotations), plus model-file errors.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/models.hpp"
#include "support/listed_faces.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

constexpr const char* kPredictorFile = "dlib/shape_predictor_68_face_landmarks.dat";

// The predictor is installed by `facekit models install` into the model directory, not shipped in git.
#define REQUIRE_DLIB68_MODEL()                  \
  do {                                          \
    try {                                       \
      require_model_file(kPredictorFile);       \
    } catch (const Error& e) {                  \
      GTEST_SKIP() << e.what();                 \
    }                                           \
  } while (0)

fs::path faces_dir() { return test::shared_dir() / "data" / "faces"; }

// face_recognition.load_image_file reads with PIL, which ignores EXIF orientation.
cv::Mat load_as_face_recognition_does(const fs::path& path) {
  ImageLoadOptions options;
  options.apply_exif_orientation = false;
  return load_image(path.string(), options);
}

// face_recognition reports (top, right, bottom, left) of dlib's inclusive rectangle.
Rect from_css(long top, long right, long bottom, long left) {
  return {double(left), double(top), double(right - left + 1), double(bottom - top + 1)};
}

// PASCAL VOC's criterion for two boxes marking the same object.
constexpr double kSameFaceIou = 0.5;

TEST(DlibHogDetector, IsRegisteredAndChecksItsOptions) {
  auto detector = create_detector("dlib-hog");
  EXPECT_EQ(detector->name(), "dlib-hog");
  EXPECT_NO_THROW(create_detector("dlib-hog:upsample=0,adjust_threshold=-0.5"));
  EXPECT_THROW(create_detector("dlib-hog:upsample=-1"), Error);
  EXPECT_THROW(create_detector("dlib-hog:upsample=9"), Error);
  EXPECT_THROW(create_detector("dlib-hog:upsampling=2"), Error);  // not an option name
}

TEST(DlibHogDetector, BlankImageHasNoFace) {
  auto detector = create_detector("dlib-hog");
  for (int grey : {0, 128, 255}) {
    const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar::all(grey));
    EXPECT_TRUE(detector->detect(blank).empty()) << "grey level " << grey;
  }
  EXPECT_TRUE(detector->detect(cv::Mat()).empty());
}

// face_recognition's test suite (upstream_tests/test_face_recognition.py) runs this very detector with
// its default upsample of 1: test_face_locations asserts exactly one face in obama.jpg at
// (top, right, bottom, left) = (142, 617, 409, 349), and test_raw_face_locations_32bit_image asserts
// top 290 and bottom 558 for the one face in 32bit.png.
TEST(DlibHogDetector, FindsTheFacesFaceRecognitionsTestsAssert) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const fs::path images = faces_dir() / "face_recognition/tests/test_images";
  auto detector = create_detector("dlib-hog");

  const std::vector<Detection> obama = detector->detect(load_as_face_recognition_does(images / "obama.jpg"));
  ASSERT_EQ(obama.size(), 1u);
  const Rect expected = from_css(142, 617, 409, 349);
  EXPECT_EQ(obama[0].box.x, expected.x);
  EXPECT_EQ(obama[0].box.y, expected.y);
  EXPECT_EQ(obama[0].box.width, expected.width);
  EXPECT_EQ(obama[0].box.height, expected.height);

  const std::vector<Detection> rgba = detector->detect(load_as_face_recognition_does(images / "32bit.png"));
  ASSERT_EQ(rgba.size(), 1u);
  EXPECT_EQ(rgba[0].box.y, 290);
  EXPECT_EQ(rgba[0].box.bottom() - 1, 558);
}

// face-api.js's faces.jpg shows six faces; detection_boxes_faces_jpg.csv lists the boxes three other
// detectors draw for them. HOG must find them (one miss or extra allowed), each matching one of the
// listed boxes, best first, and with scores from the logistic map of a margin above the threshold.
TEST(DlibHogDetector, FindsTheSixFacesOfFaceApisGroupPhoto) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const std::vector<Rect> listed = test::faceapi_listed_faces_jpg_boxes();
  ASSERT_EQ(listed.size(), 18u);

  const std::vector<Detection> faces =
      create_detector("dlib-hog")->detect(load_image((faces_dir() / "faceapi-js/test/images/faces.jpg").string()));
  EXPECT_GE(faces.size(), 5u);
  EXPECT_LE(faces.size(), 7u);
  for (const Detection& face : faces) {
    double best = 0;
    for (const Rect& r : listed) best = std::max(best, iou(face.box, r));
    EXPECT_GE(best, kSameFaceIou) << "a detection matches no listed face";
    EXPECT_GT(face.score, 0.5f);  // margin > adjust_threshold = 0
    EXPECT_LT(face.score, 1.f);
  }
  for (size_t i = 1; i < faces.size(); ++i) EXPECT_GE(faces[i - 1].score, faces[i].score);
}

struct AnnotatedFace {
  std::string image;
  Rect box;
  std::vector<Point> points;
};

// dlib's imglab XML: <image file=...><box top left width height><part name x y/>...</box></image>.
std::vector<AnnotatedFace> read_imglab_landmarks(const fs::path& xml_path) {
  const std::regex image_tag(R"(<image file='([^']+)')");
  const std::regex box_tag(R"(<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)')");
  const std::regex part_tag(R"(<part name='(\d+)' x='(-?\d+)' y='(-?\d+)'/>)");
  std::vector<AnnotatedFace> faces;
  std::ifstream xml(xml_path);
  std::string current_image, line;
  std::smatch m;
  while (std::getline(xml, line)) {
    if (std::regex_search(line, m, image_tag)) {
      current_image = m[1];
    } else if (std::regex_search(line, m, box_tag)) {
      faces.push_back({current_image, {std::stod(m[2]), std::stod(m[1]), std::stod(m[3]), std::stod(m[4])}, {}});
    } else if (std::regex_search(line, m, part_tag) && !faces.empty()) {
      auto& points = faces.back().points;
      const size_t index = std::stoul(m[1]);
      if (points.size() <= index) points.resize(index + 1);
      points[index] = {std::stod(m[2]), std::stod(m[3])};
    }
  }
  return faces;
}

double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// testing_with_face_landmarks.xml holds dlib's 68-point annotations of PASCAL VOC faces. Given the
// annotated box, the predictor must land within 10% of the inter-ocular distance (outer eye corners,
// points 36 and 45, as in the 300-W benchmark) on average over all points of all faces.
// The file's comment says these points are the integer output of this very model on these boxes, so
// they also pin down the box convention: with dlib's inclusive rectangle they come back exactly, except
// where another JPEG decoder's rounding flips a tree split. A box one pixel off moves most points.
TEST(DlibLandmarker, AgreesWithDlibsAnnotatedLandmarks) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_DLIB68_MODEL();
  const fs::path dir = faces_dir() / "dlib/faces";
  const std::vector<AnnotatedFace> faces = read_imglab_landmarks(dir / "testing_with_face_landmarks.xml");
  ASSERT_GE(faces.size(), 20u);

  auto landmarker = create_landmarker("dlib68");
  EXPECT_EQ(landmarker->name(), "dlib68");
  double sum_normalised_error = 0;
  size_t point_count = 0, exact_count = 0;
  std::string loaded_name;
  cv::Mat image;
  for (const AnnotatedFace& face : faces) {
    ASSERT_EQ(face.points.size(), 68u) << face.image;
    if (face.image != loaded_name) image = load_image((dir / face.image).string()), loaded_name = face.image;
    Detection detection;
    detection.box = face.box;
    const std::vector<Point> found = landmarker->landmarks(image, detection);
    ASSERT_EQ(found.size(), 68u);
    const double inter_ocular = distance(face.points[36], face.points[45]);
    for (size_t i = 0; i < 68; ++i) {
      sum_normalised_error += distance(found[i], face.points[i]) / inter_ocular;
      exact_count += found[i].x == face.points[i].x && found[i].y == face.points[i].y;
    }
    point_count += 68;
  }
  const double mean_normalised_error = sum_normalised_error / double(point_count);
  EXPECT_LT(mean_normalised_error, 0.1);
  EXPECT_GE(double(exact_count), 0.9 * double(point_count)) << exact_count << " of " << point_count << " exact";
  RecordProperty("mean_normalised_error", std::to_string(mean_normalised_error));
}

TEST(DlibLandmarker, RejectsAnEmptyBox) {
  REQUIRE_DLIB68_MODEL();
  const cv::Mat image(100, 100, CV_8UC3, cv::Scalar::all(128));
  Detection nothing;
  nothing.box = {10, 10, 0, 0};
  try {
    create_landmarker("dlib68")->landmarks(image, nothing);
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
}

// Creates the landmarker with `dir` as the model directory and returns the error it raises.
Error landmarker_error_with_model_dir(const fs::path& dir) {
  const std::string saved = model_dir();
  set_model_dir(dir.string());
  std::optional<Error> error;
  try {
    create_landmarker("dlib68");
  } catch (const Error& e) {
    error = e;
  }
  set_model_dir(saved);
  if (!error) return Error(ErrorCode::Internal, "no error raised");
  return *error;
}

TEST(DlibLandmarker, MissingModelSaysSo) {
  const Error e = landmarker_error_with_model_dir(test::temp_dir("dlib68_no_models"));
  EXPECT_EQ(e.code(), ErrorCode::ModelMissing) << e.what();
  EXPECT_NE(std::string(e.what()).find(kPredictorFile), std::string::npos) << e.what();
}

TEST(DlibLandmarker, TruncatedModelIsCorruptAndNamed) {
  REQUIRE_DLIB68_MODEL();
  const fs::path dir = test::temp_dir("dlib68_truncated");
  const fs::path victim = dir / kPredictorFile;
  fs::create_directories(victim.parent_path());
  {
    std::ifstream in(require_model_file(kPredictorFile), std::ios::binary);
    std::ofstream out(victim, std::ios::binary);
    std::vector<char> half(model_file(kPredictorFile).size / 2);
    in.read(half.data(), std::streamsize(half.size()));
    out.write(half.data(), std::streamsize(half.size()));
  }
  const Error e = landmarker_error_with_model_dir(dir);
  EXPECT_EQ(e.code(), ErrorCode::ModelCorrupt) << e.what();
  EXPECT_NE(std::string(e.what()).find(victim.string()), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(model_fix_hint()), std::string::npos) << e.what();
}

// Right size, wrong content: only dlib's deserialisation can tell, and it must say which file.
TEST(DlibLandmarker, GarbageModelOfTheRightSizeIsCorruptAndNamed) {
  const fs::path dir = test::temp_dir("dlib68_garbage");
  const fs::path victim = dir / kPredictorFile;
  fs::create_directories(victim.parent_path());
  std::ofstream(victim, std::ios::binary) << "not a shape predictor";
  fs::resize_file(victim, model_file(kPredictorFile).size);  // zero-filled (sparse) to the expected size
  const Error e = landmarker_error_with_model_dir(dir);
  EXPECT_EQ(e.code(), ErrorCode::ModelCorrupt) << e.what();
  EXPECT_NE(std::string(e.what()).find(victim.string()), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(model_fix_hint()), std::string::npos) << e.what();
}

}  // namespace
}  // namespace facekit
