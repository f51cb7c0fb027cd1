// "blazeface" (human 3.x's BlazeFace): the decoding worked by hand from human's blazeface.ts and
// facemeshutil.ts; human 3.3.6 itself on PNGs (tests/data/blazeface_human_png.json, written by
// tests/data/make_blazeface_golden.js); real photos against boxes upstream projects assert. (The graph
// alone is compared with tfjs in test_human_models.cpp.)
#include <cmath>

#include "detect/blazeface.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "support/golden.hpp"
#include "support/listed_faces.hpp"

using namespace facekit;

namespace {

// What human reports as face.box with the mesh off: facemeshutil.ts enlargeBox(1.4), squarifyBox
// (Math.round), clampBox (Math.trunc), from the detector box.
std::vector<int> human_face_box(const Rect& box, int image_width, int image_height) {
  const double cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const double half = 1.4 * std::max(std::fabs(box.width), std::fabs(box.height)) / 2;
  const auto js_round = [](double v) { return std::floor(v + 0.5); };
  const double x0 = js_round(cx - half), y0 = js_round(cy - half), x1 = js_round(cx + half), y1 = js_round(cy + half);
  return {int(std::max(0.0, x0)), int(std::max(0.0, y0)), int(std::min<double>(image_width, x1) - std::max(0.0, x0)),
          int(std::min<double>(image_height, y1) - std::max(0.0, y0))};
}

std::vector<Detection> detect_in(const std::string& rel_to_faces, const std::string& spec = "blazeface") {
  ImageLoadOptions options;
  options.apply_exif_orientation = false;
  return create_detector(spec)->detect(load_image((test::faces_dir() / rel_to_faces).string(), options));
}

}  // namespace

TEST(BlazeFace, AnchorsCoverTwoGridsFineFirst) {
  const auto anchors = blazeface::generate_anchors(256);
  ASSERT_EQ(anchors.size(), 896u);  // 16x16 cells x 2 + 8x8 cells x 6
  // Stride 16: two anchors per cell at the cell centre, cells row by row.
  EXPECT_EQ(anchors[0].x, 8.f);
  EXPECT_EQ(anchors[1].x, 8.f);
  EXPECT_EQ(anchors[2].x, 24.f);
  EXPECT_EQ(anchors[32].y, 24.f);  // second row
  EXPECT_EQ(anchors[511].x, 248.f);
  EXPECT_EQ(anchors[511].y, 248.f);
  // Stride 32: six anchors per cell.
  EXPECT_EQ(anchors[512].x, 16.f);
  EXPECT_EQ(anchors[517].x, 16.f);
  EXPECT_EQ(anchors[518].x, 48.f);
  EXPECT_EQ(anchors[895].x, 240.f);
  EXPECT_EQ(anchors[895].y, 240.f);
}

TEST(BlazeFace, MergesOutputsAsHumanDoes) {
  // The model's signature order: coarse regressors, fine scores, coarse scores, fine regressors.
  nn::Tensor coarse_reg({1, 384, 16}), fine_score({1, 512, 1}), coarse_score({1, 384, 1}), fine_reg({1, 512, 16});
  for (std::int64_t i = 0; i < coarse_reg.size(); ++i) coarse_reg.data[i] = 3000.f + i;
  for (std::int64_t i = 0; i < fine_reg.size(); ++i) fine_reg.data[i] = 1000.f + i;
  for (std::int64_t i = 0; i < 512; ++i) fine_score.data[i] = -float(i);
  for (std::int64_t i = 0; i < 384; ++i) coarse_score.data[i] = -1000.f - i;
  const nn::Tensor rows = blazeface::merge_outputs({coarse_reg, fine_score, coarse_score, fine_reg});
  ASSERT_EQ(rows.shape, (nn::Shape{896, 17}));
  EXPECT_EQ(rows.data[0], 0.f);
  EXPECT_EQ(rows.data[1], 1000.f);
  EXPECT_EQ(rows.data[16], 1015.f);
  EXPECT_EQ(rows.data[1 * 17 + 1], 1016.f);
  EXPECT_EQ(rows.data[512 * 17], -1000.f);
  EXPECT_EQ(rows.data[512 * 17 + 1], 3000.f);
  EXPECT_EQ(rows.data[895 * 17 + 16], 3000.f + 383 * 16 + 15);
}

TEST(BlazeFace, DecodesAgainstTheAnchor) {
  const auto anchors = blazeface::generate_anchors(256);
  nn::Tensor rows({896, 17});
  // Row 5: zero regression -> a zero-size box on its anchor (stride-16 cell 2 -> centre (40, 8)).
  // Row 600: stride-32 anchor 88 = cell 14 = (gx 6, gy 1) -> centre (208, 48); offset (3, -2), size 40x20.
  float* r = rows.ptr() + 600 * 17;
  r[0] = 0.f;  // logit 0 -> score 0.5
  r[1] = 3.f, r[2] = -2.f, r[3] = 40.f, r[4] = 20.f;
  r[5] = 5.f, r[6] = -1.f;     // keypoint 0
  r[15] = -7.f, r[16] = 4.f;   // keypoint 5
  rows.data[5 * 17] = 2.f;
  const auto decoded = blazeface::decode_boxes(rows, anchors);
  ASSERT_EQ(decoded.boxes.size(), 896u);
  EXPECT_EQ(decoded.boxes[5], (detect::Corners{40, 8, 40, 8}));
  EXPECT_FLOAT_EQ(decoded.scores[5], 1 / (1 + std::exp(-2.f)));
  EXPECT_EQ(decoded.boxes[600], (detect::Corners{191, 36, 231, 56}));
  EXPECT_EQ(decoded.scores[600], 0.5);
  // Keypoints: (offset + anchor) * scale, here an image of 512x128 (scale 2, 0.5).
  const auto points = blazeface::decode_keypoints(rows, 600, anchors[600], 2.0, 0.5);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_DOUBLE_EQ(points[0].x, 426);
  EXPECT_DOUBLE_EQ(points[0].y, 23.5);
  EXPECT_DOUBLE_EQ(points[1].x, 416);  // zero offset: the anchor itself
  EXPECT_DOUBLE_EQ(points[1].y, 24);
  EXPECT_DOUBLE_EQ(points[5].x, 402);
  EXPECT_DOUBLE_EQ(points[5].y, 26);
}

TEST(BlazeFace, PngImagesMatchHumanItself) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto golden = nlohmann::json::parse(
      test::read_file(std::string(FACEKIT_SOURCE_DIR) + "/tests/data/blazeface_human_png.json"));
  auto detector = create_detector("blazeface:min_confidence=0.2");  // the golden's human config
  int compared = 0;
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    const cv::Mat rgb = load_image((test::shared_dir() / rel).string());
    const auto faces = detector->detect(rgb);
    const auto& ref = img.at("faces");
    ASSERT_EQ(faces.size(), ref.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      std::vector<float> points;
      std::vector<double> ref_points;
      for (const Point& p : faces[i].keypoints) points.insert(points.end(), {float(p.x), float(p.y)});
      for (const auto& p : ref[i].at("keypoints")) ref_points.insert(ref_points.end(), {p[0], p[1]});
      test::expect_close_to_reference(points, ref_points, "keypoints");
      EXPECT_EQ(human_face_box(faces[i].box, rgb.cols, rgb.rows), ref[i].at("box").get<std::vector<int>>());
      EXPECT_NEAR(faces[i].score, ref[i].at("boxScore").get<double>(), 0.005 + 1e-6);  // human rounds to 0.01
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3);
}

TEST(BlazeFace, ChecksItsOptions) {
  EXPECT_EQ(create_detector("blazeface")->name(), "blazeface");
  EXPECT_NO_THROW(create_detector("blazeface:min_confidence=0.5,iou_threshold=0.3,max_results=1"));
  EXPECT_THROW(create_detector("blazeface:min_confidence=1"), Error);
  EXPECT_THROW(create_detector("blazeface:iou_threshold=2"), Error);
  EXPECT_THROW(create_detector("blazeface:max_results=0"), Error);
  EXPECT_THROW(create_detector("blazeface:minconfidence=0.5"), Error);  // not an option name
}

TEST(BlazeFace, FindsObamaWhereFaceRecognitionDoes) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto faces = detect_in("face_recognition/tests/test_images/obama.jpg");
  ASSERT_EQ(faces.size(), 1u);
  // face_recognition's test_face_locations: (top, right, bottom, left) = (142, 617, 409, 349).
  EXPECT_GE(iou(faces[0].box, test::from_css(142, 617, 409, 349)), test::kSameFaceIou);
  const Detection& face = faces[0];
  ASSERT_EQ(face.keypoints.size(), 6u);
  ASSERT_TRUE(face.left_eye && face.right_eye);
  // deepface's convention: the subject's left eye is on the image's right; eyes above nose and mouth.
  EXPECT_GT(face.left_eye->x, face.right_eye->x);
  EXPECT_LT(face.left_eye->y, face.keypoints[2].y);
  EXPECT_LT(face.keypoints[2].y, face.keypoints[3].y);
  for (const Point& p : face.keypoints) {
    EXPECT_GE(p.x, face.box.x - 0.25 * face.box.width);
    EXPECT_LE(p.x, face.box.right() + 0.25 * face.box.width);
  }
}

TEST(BlazeFace, HumanDefaultsKeepTheBestFaceOnly) {
  FACEKIT_REQUIRE_SHARED_DIR();
  // human's config: minConfidence 0.2, maxDetected 1. Below 0.5 obama.jpg also has a 0.25 non-face.
  const auto best = detect_in("face_recognition/tests/test_images/obama.jpg", "blazeface:min_confidence=0.2,max_results=1");
  ASSERT_EQ(best.size(), 1u);
  EXPECT_GE(iou(best[0].box, test::from_css(142, 617, 409, 349)), test::kSameFaceIou);
  EXPECT_EQ(detect_in("face_recognition/tests/test_images/obama.jpg", "blazeface:min_confidence=0.2").size(), 2u);
}

TEST(BlazeFace, FacesJpgDetectionsAreListedFaces) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto listed = test::faceapi_listed_faces_jpg_boxes();
  ASSERT_EQ(listed.size(), 18u);
  const auto faces = detect_in("faceapi-js/test/images/faces.jpg");
  EXPECT_EQ(faces.size(), 6u);  // face-api.js's tests expect 6 faces
  for (const Detection& face : faces) {
    EXPECT_GE(test::best_iou(face.box, listed), test::kSameFaceIou) << "a detection matches no listed face";
    EXPECT_GT(face.score, 0.5f);
    ASSERT_TRUE(face.left_eye && face.right_eye);
    EXPECT_GT(face.left_eye->x, face.right_eye->x);
  }
  for (size_t i = 1; i < faces.size(); ++i) EXPECT_GE(faces[i - 1].score, faces[i].score);
}
