// "tiny" (face-api.js TinyFaceDetector) against @vladmandic/face-api on tfjs:
//  - the net's raw [1,13,13,25] grid on the reference's synthetic 416 input (golden/faceapi_nets.json);
//  - whole images: PNG inputs (identical pixels for any decoder) give the same detections, boxes and
//    scores within the reference tolerance (golden/faceapi_png.json "tiny"); JPEG inputs, where libjpeg
//    and jpeg-js differ by a few grey levels, give the same faces at IoU >= 0.98 (0.995 seen).
#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/models.hpp"
#include "nn/faceapi_tiny.hpp"
#include "nn/image_prep.hpp"
#include "support/golden.hpp"

using namespace facekit;

namespace {

std::vector<Detection> detect_in(Detector& detector, const std::string& rel_path) {
  ImageLoadOptions options;
  options.apply_exif_orientation = false;  // the reference ignores EXIF orientation
  return detector.detect(load_image((test::shared_dir() / rel_path).string(), options));
}

Rect rect_of(const std::vector<double>& xywh) { return {xywh[0], xywh[1], xywh[2], xywh[3]}; }

}  // namespace

TEST(TinyFaceDetector, NetMatchesReferenceOnSyntheticInput) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto net = test::load_golden("faceapi_nets.json").at("nets").at("tinyFaceDetector");
  auto bytes = test::synthetic_rgb(416, 416);
  nn::Tensor x = nn::image_to_tensor(cv::Mat(416, 416, CV_8UC3, bytes.data()).clone());
  nn::normalize_channels(x, nn::faceapi::kTinyFaceMeanRgb, 255.f);
  const auto weights =
      nn::WeightMap::load_manifest(require_model_file("faceapi/tiny_face_detector_model-weights_manifest.json"));
  const auto out = nn::faceapi::build_tiny_face_detector(weights).run({x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (nn::Shape{1, 13, 13, 25}));
  test::expect_close_to_reference(out[0].data, net.at("outputs").at("raw").at("values").get<std::vector<double>>(),
                                  "tinyFaceDetector raw grid");
}

TEST(TinyFaceDetector, GridDecodingFollowsTinyYolov2) {
  // One cell (row 2, col 3) of a 13x13 grid, anchor 1 (6.041143 x 7.080126 cells), zero offsets: the box
  // is centred on the cell's middle and spans the anchor; an image 416x208 in the square doubles y.
  nn::Tensor grid({1, 13, 13, 25}, -50.f);  // every objectness far below any threshold
  float* cell = grid.ptr() + (2 * 13 + 3) * 25 + 1 * 5;
  std::fill(cell, cell + 4, 0.f);
  cell[4] = 0.f;  // sigmoid(0) = 0.5
  const auto boxes = nn::faceapi::decode_tiny_face_grid(grid, 416, 208, 0.4);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(boxes[0].score, 0.5);
  EXPECT_NEAR((boxes[0].left + boxes[0].right) / 2, 3.5 / 13, 1e-12);
  EXPECT_NEAR((boxes[0].top + boxes[0].bottom) / 2, 2.5 / 13 * 2, 1e-12);
  EXPECT_NEAR(boxes[0].right - boxes[0].left, 6.041143 / 13, 1e-12);
  EXPECT_NEAR(boxes[0].bottom - boxes[0].top, 7.080126 / 13 * 2, 1e-12);
  EXPECT_TRUE(nn::faceapi::decode_tiny_face_grid(grid, 416, 208, 0.5).empty());  // strictly above
}

TEST(TinyFaceDetector, PngImagesMatchReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto detector = create_detector("tiny");
  int faces_compared = 0;
  const auto golden = test::load_golden("faceapi_png.json");
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    const auto& tiny = img.at("tiny");
    ASSERT_EQ(tiny.at("options").at("inputSize"), 416);
    const auto faces = detect_in(*detector, rel);
    const auto& ref = tiny.at("detections");
    ASSERT_EQ(faces.size(), ref.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      const auto& b = faces[i].box;
      test::expect_close_to_reference({float(b.x), float(b.y), float(b.width), float(b.height)},
                                      ref[i].at("box").get<std::vector<double>>(), "box");
      test::expect_close_to_reference({faces[i].score}, {ref[i].at("score").get<double>()}, "score");
      ++faces_compared;
    }
  }
  EXPECT_EQ(faces_compared, 3);
}

TEST(TinyFaceDetector, JpegImagesFindTheReferenceFaces) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto detector = create_detector("tiny");
  const auto golden = test::load_golden("faceapi_images.json");
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    const auto faces = detect_in(*detector, rel);
    const auto& ref = img.at("tiny").at("detections");
    ASSERT_EQ(faces.size(), ref.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      EXPECT_GE(iou(faces[i].box, rect_of(ref[i].at("box").get<std::vector<double>>())), 0.98) << "face " << i;
      EXPECT_NEAR(faces[i].score, ref[i].at("score").get<double>(), 0.02) << "face " << i;
    }
  }
}

TEST(TinyFaceDetector, ChecksItsOptions) {
  EXPECT_EQ(create_detector("tiny")->name(), "tiny");
  EXPECT_NO_THROW(create_detector("tiny:input_size=320,score_threshold=0.3"));
  EXPECT_THROW(create_detector("tiny:input_size=400"), Error);  // not a multiple of 32
  EXPECT_THROW(create_detector("tiny:input_size=0"), Error);
  EXPECT_THROW(create_detector("tiny:score_threshold=1"), Error);
  EXPECT_THROW(create_detector("tiny:score_treshold=0.3"), Error);  // not an option name
}

TEST(TinyFaceDetector, SmallerInputStillFindsTheFace) {
  FACEKIT_REQUIRE_SHARED_DIR();
  // inputSize 320 gives a 10x10 grid; the one face of lin-manuel-miranda.png is still found.
  auto faces = detect_in(*create_detector("tiny:input_size=320"), "data/faces/face_recognition/examples/lin-manuel-miranda.png");
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GE(iou(faces[0].box, {242.440941, 217.058428, 300.337308, 292.157524}), 0.7);
}
