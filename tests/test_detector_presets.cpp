// Detector presets yunet, retinaface and scrfd: each test writes an ONNX net whose outputs are fixed
// tensors laid out as the real model's (names, shapes), registers it with the real add path, runs
// create_detector(name)->detect on an image and checks boxes, scores and 5 keypoints against values
// worked out here from the upstream formulas (cited at each), not from facekit's decoder.
//
// Every net has a 32x32 input and every image is 64x48: it is scaled by 1/2 to 32x24 and padded at
// the bottom, so image coordinates are the input's times 2.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "core/user_models.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "support/test_support.hpp"
#include "support/user_model_nets.hpp"

namespace fs = std::filesystem;
using facekit::Detection;
using facekit::Error;
using facekit::ErrorCode;
using facekit::test::TinyNet;
using Output = TinyNet::FixedOutput;

namespace {

constexpr double kInputToImage = 2.0;  // 64x48 image into a 32x32 input

struct ExpectedFace {
  double score;
  double x1, y1, x2, y2;                       // input pixels
  std::array<std::array<double, 2>, 5> kps;    // input pixels
};

class DetectorPresets : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = facekit::test::temp_dir(std::string("detector_presets_") +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    setenv("FACEKIT_USER_MODELS", (dir_ / "registry").c_str(), 1);
  }
  void TearDown() override { unsetenv("FACEKIT_USER_MODELS"); }

  facekit::UserModelRequest request(const std::string& name, const std::string& preset, const std::vector<Output>& outputs) {
    const fs::path file = dir_ / (name + ".onnx");
    std::ofstream(file, std::ios::binary) << TinyNet::fixed_outputs_onnx(32, 32, outputs);
    facekit::UserModelRequest r;
    r.name = name;
    r.file = file.string();
    r.preset = preset;
    r.input = "32x32";
    return r;
  }

  static std::vector<Detection> detect(const std::string& spec) {
    return facekit::create_detector(spec)->detect(facekit::test::test_image(64, 48));
  }

  static void expect_faces(const std::vector<Detection>& got, const std::vector<ExpectedFace>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& d = got[i];
      const auto& w = want[i];
      SCOPED_TRACE("face " + std::to_string(i));
      EXPECT_NEAR(d.score, w.score, 1e-5);
      EXPECT_NEAR(d.box.x, w.x1 * kInputToImage, 1e-3);
      EXPECT_NEAR(d.box.y, w.y1 * kInputToImage, 1e-3);
      EXPECT_NEAR(d.box.width, (w.x2 - w.x1) * kInputToImage, 1e-3);
      EXPECT_NEAR(d.box.height, (w.y2 - w.y1) * kInputToImage, 1e-3);
      ASSERT_EQ(d.keypoints.size(), 5u);
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(d.keypoints[k].x, w.kps[k][0] * kInputToImage, 1e-3) << k;
        EXPECT_NEAR(d.keypoints[k].y, w.kps[k][1] * kInputToImage, 1e-3) << k;
      }
      // Keypoint 0 is the eye on the image's left: the subject's right eye.
      ASSERT_TRUE(d.right_eye && d.left_eye);
      EXPECT_DOUBLE_EQ(d.right_eye->x, d.keypoints[0].x);
      EXPECT_DOUBLE_EQ(d.left_eye->x, d.keypoints[1].x);
    }
  }

  // add_user_model expecting InvalidArgument; returns the message and checks nothing was registered.
  std::string add_error(const facekit::UserModelRequest& r) {
    std::string message;
    try {
      facekit::add_user_model(r);
      ADD_FAILURE() << r.name << " was registered";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
      message = e.what();
    }
    EXPECT_FALSE(facekit::find_user_model(r.name));
    return message;
  }

  fs::path dir_;
};

// Keypoint offsets used by every test: 5 distinct (dx, dy) pairs in the head's units.
constexpr double kKps[5][2] = {{-0.3, -0.2}, {0.3, -0.25}, {0.05, 0.1}, {-0.2, 0.35}, {0.25, 0.3}};

void put_kps(std::vector<float>& kps, int index) {
  for (int k = 0; k < 5; ++k) {
    kps[10 * index + 2 * k] = static_cast<float>(kKps[k][0]);
    kps[10 * index + 2 * k + 1] = static_cast<float>(kKps[k][1]);
  }
}

// ---- YuNet (OpenCV 4.8+ face_detect.cpp FaceDetectorYNImpl::postProcess) ----
// Grids at 32x32: stride 8 is 4x4 cells, 16 is 2x2, 32 is 1x1; cell index row * cols + col.
std::vector<Output> yunet_outputs(bool with_kps) {
  std::vector<float> cls8(16), obj8(16), bbox8(64), kps8(160), cls16(4), obj16(4), bbox16(16), kps16(40);
  std::vector<float> cls32(1), obj32(1), bbox32(4), kps32(10);
  // A: stride 8, row 1, col 2 (cell 6): score sqrt(0.9 * 0.95).
  cls8[6] = 0.9f, obj8[6] = 0.95f;
  const float a_box[4] = {0.5f, 0.25f, float(std::log(2.0)), 0.f};
  std::copy(a_box, a_box + 4, &bbox8[4 * 6]);
  put_kps(kps8, 6);
  // B: stride 8, row 1, col 3 (cell 7): score sqrt(1 * 0.85) < A's, box overlapping A's: suppressed.
  cls8[7] = 1.f, obj8[7] = 0.85f;
  const float b_box[4] = {-0.25f, 0.25f, float(std::log(2.0)), 0.f};
  std::copy(b_box, b_box + 4, &bbox8[4 * 7]);
  // C: stride 16, row 0, col 0: score sqrt(0.64 * 1) = 0.8, under the default 0.9.
  cls16[0] = 0.64f, obj16[0] = 1.f;
  const float c_box[4] = {0.5f, 0.5f, 0.f, 0.f};
  std::copy(c_box, c_box + 4, &bbox16[0]);
  // D: stride 32: cls 1.5 is clamped to 1, so the score is sqrt(0.9025) = 0.95 (1.16 unclamped).
  cls32[0] = 1.5f, obj32[0] = 0.9025f;
  const float d_box[4] = {0.5f, 0.5f, 0.f, 0.f};
  std::copy(d_box, d_box + 4, &bbox32[0]);
  put_kps(kps32, 0);
  std::vector<Output> out = {{"cls_8", {1, 16, 1}, cls8},     {"cls_16", {1, 4, 1}, cls16},   {"cls_32", {1, 1, 1}, cls32},
                             {"obj_8", {1, 16, 1}, obj8},     {"obj_16", {1, 4, 1}, obj16},   {"obj_32", {1, 1, 1}, obj32},
                             {"bbox_8", {1, 16, 4}, bbox8},   {"bbox_16", {1, 4, 4}, bbox16}, {"bbox_32", {1, 1, 4}, bbox32}};
  if (with_kps)
    for (auto o : std::vector<Output>{{"kps_8", {1, 16, 10}, kps8}, {"kps_16", {1, 4, 10}, kps16}, {"kps_32", {1, 1, 10}, kps32}})
      out.push_back(o);
  return out;
}

// postProcess: cx = (c + bbox[0]) * stride, w = exp(bbox[2]) * stride, x1 = cx - w / 2;
// keypoint = (kps + c) * stride.
ExpectedFace yunet_face(double score, int row, int col, int stride, const float bbox[4], bool kps) {
  const double cx = (col + bbox[0]) * stride, cy = (row + bbox[1]) * stride;
  const double w = std::exp(bbox[2]) * stride, h = std::exp(bbox[3]) * stride;
  ExpectedFace f{score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, {}};
  for (int k = 0; k < 5; ++k)
    f.kps[k] = kps ? std::array<double, 2>{(kKps[k][0] + col) * stride, (kKps[k][1] + row) * stride}
                   : std::array<double, 2>{double(col) * stride, double(row) * stride};
  return f;
}

TEST_F(DetectorPresets, YunetDecodesAnchorFreeCellsWithScoreClampAndNms) {
  const facekit::UserModel m = facekit::add_user_model(request("my-yunet", "yunet", yunet_outputs(true)));
  EXPECT_EQ(m.task, "detect");
  EXPECT_EQ(m.input.channels, "bgr");  // blobFromImage without swapRB on OpenCV's BGR image
  EXPECT_EQ(m.input.mean[0], 0.f);
  const float a_box[4] = {0.5f, 0.25f, float(std::log(2.0)), 0.f}, centred[4] = {0.5f, 0.5f, 0.f, 0.f};
  const ExpectedFace a = yunet_face(std::sqrt(0.9 * 0.95), 1, 2, 8, a_box, true);
  const ExpectedFace d = yunet_face(0.95, 0, 0, 32, centred, true);
  EXPECT_DOUBLE_EQ(a.x1, 12);  // (2 + 0.5) * 8 - 2 * 8 / 2
  // B overlaps A (integer rects (12,6,16,8) and (14,6,16,8): IoU 112/144 > 0.3) and scores lower.
  expect_faces(detect("my-yunet"), {d, a});
  // C (0.8) appears under a lower threshold; it overlaps neither.
  const ExpectedFace c = yunet_face(0.8, 0, 0, 16, centred, false);
  expect_faces(detect("my-yunet:min_confidence=0.7"), {d, a, c});
  // With NMS off (threshold 1), B is kept too.
  EXPECT_EQ(detect("my-yunet:iou_threshold=1").size(), 3u);
  EXPECT_EQ(detect("my-yunet:max_results=1").size(), 1u);
}

// ---- RetinaFace (biubug6 PriorBox, decode, decode_landm, py_cpu_nms) ----
// Priors at 32x32: step 8 has 4x4 cells, 16 has 2x2, 32 has 1x1, two min sizes per cell:
// index = level offset (0, 32, 40) + (row * cols + col) * 2 + size index. 42 in all.
struct RetinaPrior {
  int index;
  double cx, cy, size;
};
RetinaPrior retina_prior(int offset, int cols, int step, int row, int col, int size_index, const double sizes[2]) {
  return {offset + (row * cols + col) * 2 + size_index, (col + 0.5) * step, (row + 0.5) * step, sizes[size_index]};
}

// decode: centre = prior centre + loc[:2] * 0.1 * prior size; size = prior size * exp(loc[2:] * 0.2);
// decode_landm: prior centre + landm * 0.1 * prior size.
ExpectedFace retina_face(double score, const RetinaPrior& p, const float loc[4], bool kps) {
  const double cx = p.cx + loc[0] * 0.1 * p.size, cy = p.cy + loc[1] * 0.1 * p.size;
  const double w = p.size * std::exp(loc[2] * 0.2), h = p.size * std::exp(loc[3] * 0.2);
  ExpectedFace f{score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, {}};
  for (int k = 0; k < 5; ++k)
    f.kps[k] = kps ? std::array<double, 2>{p.cx + kKps[k][0] * 0.1 * p.size, p.cy + kKps[k][1] * 0.1 * p.size}
                   : std::array<double, 2>{p.cx, p.cy};
  return f;
}

struct RetinaCase {
  std::vector<Output> outputs;
  std::vector<ExpectedFace> default_faces, low_threshold_faces;
};

RetinaCase retina_case() {
  const double sizes8[2] = {16, 32}, sizes16[2] = {64, 128}, sizes32[2] = {256, 512};
  std::vector<float> loc(42 * 4, 0.f), conf(42 * 2, 0.f), landms(42 * 10, 0.f);
  auto set = [&](const RetinaPrior& p, float face, const float l[4], bool with_kps) {
    conf[2 * p.index] = 1 - face;  // softmaxed [background, face]
    conf[2 * p.index + 1] = face;
    std::copy(l, l + 4, &loc[4 * p.index]);
    if (with_kps) put_kps(landms, p.index);
  };
  // A: step 8, row 2, col 1, size 32. B: the same cell's size-16 prior, nearly the same box, lower.
  const RetinaPrior a = retina_prior(0, 4, 8, 2, 1, 1, sizes8), b = retina_prior(0, 4, 8, 2, 1, 0, sizes8);
  const float a_loc[4] = {1.f, -0.5f, 0.f, float(5 * std::log(0.5))};
  const float b_loc[4] = {2.5f, -1.f, float(std::log(2.0) / 0.2), 0.f};
  set(a, 0.97f, a_loc, true);
  set(b, 0.9f, b_loc, false);
  // C: step 16, row 0, col 1, size 64, score 0.5 (under 0.6). D: step 32, size 512, score 0.99.
  const RetinaPrior c = retina_prior(32, 2, 16, 0, 1, 0, sizes16), d = retina_prior(40, 1, 32, 0, 0, 1, sizes32);
  const float c_loc[4] = {0.f, 0.f, -2.f, -2.f}, d_loc[4] = {0.f, 0.f, 0.f, 0.f};
  set(c, 0.5f, c_loc, false);
  set(d, 0.99f, d_loc, true);
  EXPECT_EQ(a.index, 19);
  EXPECT_EQ(d.index, 41);
  RetinaCase rc;
  // biubug6's export names only the first output ("output0"); the others get numbers.
  rc.outputs = {{"output0", {1, 42, 4}, loc}, {"586", {1, 42, 2}, conf}, {"585", {1, 42, 10}, landms}};
  const ExpectedFace fa = retina_face(0.97, a, a_loc, true), fd = retina_face(0.99, d, d_loc, true);
  rc.default_faces = {fd, fa};
  rc.low_threshold_faces = {fd, fa, retina_face(0.5, c, c_loc, false)};
  return rc;
}

TEST_F(DetectorPresets, RetinafaceDecodesPriorsWithVariances) {
  const RetinaCase rc = retina_case();
  const facekit::UserModel m = facekit::add_user_model(request("my-retina", "retinaface", rc.outputs));
  EXPECT_EQ(m.input.channels, "bgr");
  EXPECT_EQ(m.input.mean[0], 104.f);  // detect.py: img -= (104, 117, 123)
  EXPECT_EQ(m.input.mean[2], 123.f);
  // A by hand: centre (1.5 * 8 + 1 * 0.1 * 32, 2.5 * 8 - 0.5 * 0.1 * 32) = (15.2, 18.4), size 32 x 16.
  EXPECT_NEAR(rc.default_faces[1].x1, 15.2 - 16, 1e-6);
  EXPECT_NEAR(rc.default_faces[1].y2, 18.4 + 8, 1e-6);  // float(5 * ln 0.5)
  // B (0.9) overlaps A and is suppressed (IoU > 0.4); C (0.5) is under the 0.6 default.
  expect_faces(detect("my-retina"), rc.default_faces);
  expect_faces(detect("my-retina:min_confidence=0.4"), rc.low_threshold_faces);
}

// ---- SCRFD (insightface scrfd.py SCRFD.forward: distance2bbox, distance2kps; SCRFD.nms) ----
// At 32x32 with 2 anchors per cell: stride 8 has 4x4 cells (32 anchors), 16 has 2x2 (8), 32 has 1 (2).
// Anchor index (row * cols + col) * 2 + a; its centre (col * stride, row * stride).
ExpectedFace scrfd_face(double score, int row, int col, int stride, const float dist[4], bool kps) {
  const double x = col * stride, y = row * stride;  // anchor_centers = mgrid * stride
  ExpectedFace f{score, x - dist[0] * stride, y - dist[1] * stride, x + dist[2] * stride, y + dist[3] * stride, {}};
  for (int k = 0; k < 5; ++k)
    f.kps[k] = kps ? std::array<double, 2>{x + kKps[k][0] * stride, y + kKps[k][1] * stride} : std::array<double, 2>{x, y};
  return f;
}

struct ScrfdCase {
  std::vector<Output> outputs;
  ExpectedFace a, b, c, d;
};

ScrfdCase scrfd_case() {
  std::vector<float> score8(32), bbox8(128), kps8(320), score16(8), bbox16(32), kps16(80), score32(2), bbox32(8), kps32(20);
  ScrfdCase sc;
  // A: stride 8, cell (0, 0), anchor 0: box (0, 0, 4, 4). B: anchor 1 of that cell: box (2, 0, 6, 4),
  // lower score. Their IoU is 8/24 = 0.33 as areas, but 15/35 = 0.43 with insightface's +1 pixel
  // widths, over the 0.4 threshold: B is suppressed only under the +1 rule.
  const float a_dist[4] = {0.f, 0.f, 0.5f, 0.5f}, b_dist[4] = {-0.25f, 0.f, 0.75f, 0.5f};
  score8[0] = 0.8f;
  std::copy(a_dist, a_dist + 4, &bbox8[0]);
  put_kps(kps8, 0);
  score8[1] = 0.7f;
  std::copy(b_dist, b_dist + 4, &bbox8[4]);
  // C: stride 16, row 1, col 0, anchor 1 (index 5): box (8, 12, 16, 28).
  const float c_dist[4] = {-0.5f, 0.25f, 1.f, 0.75f};
  score16[5] = 0.9f;
  std::copy(c_dist, c_dist + 4, &bbox16[20]);
  put_kps(kps16, 5);
  // D: stride 32, anchor 0, score 0.45: under the default 0.5.
  const float d_dist[4] = {0.f, 0.f, 0.25f, 0.25f};
  score32[0] = 0.45f;
  std::copy(d_dist, d_dist + 4, &bbox32[0]);
  sc.a = scrfd_face(0.8, 0, 0, 8, a_dist, true);
  sc.b = scrfd_face(0.7, 0, 0, 8, b_dist, false);
  sc.c = scrfd_face(0.9, 1, 0, 16, c_dist, true);
  sc.d = scrfd_face(0.45, 0, 0, 32, d_dist, false);
  // insightface's files name outputs by number and facekit must not rely on their order: shuffled.
  sc.outputs = {{"kps32", {2, 10}, kps32}, {"score8", {32, 1}, score8}, {"bbox16", {8, 4}, bbox16},
                {"score32", {2, 1}, score32}, {"kps8", {32, 10}, kps8},  {"bbox32", {2, 4}, bbox32},
                {"score16", {8, 1}, score16}, {"bbox8", {32, 4}, bbox8}, {"kps16", {8, 10}, kps16}};
  return sc;
}

TEST_F(DetectorPresets, ScrfdDecodesDistancesWithTwoAnchorsAndPixelInclusiveNms) {
  const ScrfdCase sc = scrfd_case();
  const facekit::UserModel m = facekit::add_user_model(request("my-scrfd", "scrfd", sc.outputs));
  EXPECT_EQ(m.input.channels, "rgb");  // blobFromImage(..., 1/128, mean 127.5, swapRB=True)
  EXPECT_EQ(m.input.mean[1], 127.5f);
  EXPECT_EQ(m.input.std[1], 128.f);
  EXPECT_DOUBLE_EQ(sc.c.x1, 8);  // 0 - (-0.5) * 16
  EXPECT_DOUBLE_EQ(sc.c.y2, 28);  // 16 + 0.75 * 16
  expect_faces(detect("my-scrfd"), {sc.c, sc.a});
  expect_faces(detect("my-scrfd:iou_threshold=0.45"), {sc.c, sc.a, sc.b});
  expect_faces(detect("my-scrfd:min_confidence=0.4"), {sc.c, sc.a, sc.d});
}

// ---- Files whose outputs are not the preset's ----

TEST_F(DetectorPresets, WrongOutputsAreClearErrorsNamingModelAndExpectation) {
  // YuNet without its kps_* outputs.
  std::string msg = add_error(request("yunet-no-kps", "yunet", yunet_outputs(false)));
  EXPECT_NE(msg.find("yunet-no-kps"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kps_8, kps_16, kps_32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("face_detection_yunet_2023mar"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bbox_32"), std::string::npos) << msg;  // lists what the file has

  // RetinaFace with two outputs.
  auto rc = retina_case();
  rc.outputs.pop_back();
  msg = add_error(request("retina-two", "retinaface", rc.outputs));
  EXPECT_NE(msg.find("retina-two"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 2 outputs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("landms [1, priors, 10]"), std::string::npos) << msg;

  // SCRFD's six-output variant (no keypoints).
  auto sc = scrfd_case();
  std::vector<Output> no_kps;
  for (const auto& o : sc.outputs)
    if (o.name.rfind("kps", 0) != 0) no_kps.push_back(o);
  msg = add_error(request("scrfd-six", "scrfd", no_kps));
  EXPECT_NE(msg.find("scrfd-six"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 6 outputs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 outputs"), std::string::npos) << msg;

  // SCRFD tensors for a 32x32 input declared as 64x64: no stride fits.
  auto big = request("scrfd-64", "scrfd", sc.outputs);
  big.input = "64x64";
  msg = add_error(big);
  EXPECT_NE(msg.find("fits no stride"), std::string::npos) << msg;
  EXPECT_NE(msg.find("64x64"), std::string::npos) << msg;

  // An input size the strides do not divide.
  auto odd = request("yunet-odd", "yunet", yunet_outputs(true));
  odd.input = "100x100";
  msg = add_error(odd);
  EXPECT_NE(msg.find("divisible by 32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100x100"), std::string::npos) << msg;
  EXPECT_TRUE(facekit::load_user_models().empty());
}

TEST_F(DetectorPresets, OptionsAreChecked) {
  facekit::add_user_model(request("opt-scrfd", "scrfd", scrfd_case().outputs));
  EXPECT_THROW(facekit::create_detector("opt-scrfd:min_confidence=1.5"), Error);
  EXPECT_THROW(facekit::create_detector("opt-scrfd:max_results=0"), Error);
  EXPECT_THROW(facekit::create_detector("opt-scrfd:nms=0.3"), Error);  // unknown option
  EXPECT_THROW(facekit::create_embedder("opt-scrfd"), Error);          // a detector, not an embedder
}

}  // namespace
