// The BlazeFace variants of human-models (blazeface-back, blazeface-front, facemesh-detection-short,
// facemesh-detection-full): anchors from MediaPipe's SsdAnchorsCalculator options, the graphs against
// upstream tfjs on a synthetic input (tests/data/golden/human_*.json, made by
// tests/data/golden/make_blazeface_variants_golden.sh), and faces.jpg against the boxes face-api.js's
// tests list.
#include <cmath>
#include <filesystem>

#include "detect/blazeface.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/models.hpp"
#include "nn/tfjs_graph.hpp"
#include "support/golden.hpp"
#include "support/listed_faces.hpp"

using namespace facekit;

namespace {

const blazeface::Variant& variant(const std::string& name) {
  for (const auto& v : blazeface::variants())
    if (name == v.name) return v;
  throw std::runtime_error("no variant " + name);
}

}  // namespace

TEST(BlazeFaceVariants, ShortRangeAnchorsAtInput128) {
  // MediaPipe face_detection_short_range: strides 8, 16, 16, 16 at 128 -> a 16x16 grid with 2 anchors
  // per cell, then an 8x8 grid with 2 + 2 + 2 = 6 (the three stride-16 layers share one grid).
  const auto anchors = blazeface::generate_anchors(128, variant("facemesh-detection-short").levels);
  ASSERT_EQ(anchors.size(), 896u);
  EXPECT_EQ(anchors[0].x, 4.f);
  EXPECT_EQ(anchors[2].x, 12.f);
  EXPECT_EQ(anchors[511].y, 124.f);
  EXPECT_EQ(anchors[512].x, 8.f);
  EXPECT_EQ(anchors[518].x, 24.f);
  EXPECT_EQ(anchors[895].x, 120.f);
}

TEST(BlazeFaceVariants, FullRangeAnchorsOnePerStride4Cell) {
  // face_detection_full_range: num_layers 1, strides 4, one aspect ratio, interpolated scale 0.
  const auto anchors = blazeface::generate_anchors(192, variant("facemesh-detection-full").levels);
  ASSERT_EQ(anchors.size(), 2304u);  // 48 x 48
  EXPECT_EQ(anchors[0].x, 2.f);
  EXPECT_EQ(anchors[0].y, 2.f);
  EXPECT_EQ(anchors[1].x, 6.f);
  EXPECT_EQ(anchors[48].y, 6.f);
  EXPECT_EQ(anchors[2303].x, 190.f);
  EXPECT_EQ(anchors[2303].y, 190.f);
}

TEST(BlazeFaceVariants, SingleMergedOutputIsOnlySqueezed) {
  nn::Tensor merged({1, 896, 17});
  for (std::int64_t i = 0; i < merged.size(); ++i) merged.data[i] = float(i);
  const nn::Tensor rows = blazeface::merge_outputs({merged});
  ASSERT_EQ(rows.shape, (nn::Shape{896, 17}));
  EXPECT_EQ(rows.data[17 * 5 + 3], float(17 * 5 + 3));
  EXPECT_THROW(blazeface::merge_outputs({nn::Tensor({1, 896, 16})}), Error);
}

class BlazeFaceGraph : public ::testing::TestWithParam<std::string> {};

TEST_P(BlazeFaceGraph, MatchesTfjsOnSyntheticInput) {
  FACEKIT_REQUIRE_SHARED_DIR();  // the models are installed from the shared npm packages
  const std::string name = GetParam();
  const auto golden = nlohmann::json::parse(
      test::read_file(std::string(FACEKIT_SOURCE_DIR) + "/tests/data/golden/human_" + name + ".json"));
  const auto& v = variant(name);
  std::vector<std::string> outputs;
  for (const auto& o : golden.at("outputs")) outputs.push_back(o.at("name"));
  auto model = nn::import_tfjs_graph_model(
      (std::filesystem::path(model_dir()) / (std::string(v.model) + ".json")).string(), outputs);
  // The generator's input: float32(v / 127.5 - 1), v = (7y + 3x + 11c) % 256; its sum proves it is the same.
  const std::int64_t s = v.input_size;
  nn::Tensor x({1, s, s, 3});
  double sum = 0;
  for (std::int64_t y = 0; y < s; ++y)
    for (std::int64_t xx = 0; xx < s; ++xx)
      for (std::int64_t c = 0; c < 3; ++c)
        sum += x.data[(y * s + xx) * 3 + c] = static_cast<float>(((7 * y + 3 * xx + 11 * c) % 256) / 127.5 - 1);
  EXPECT_NEAR(sum, golden.at("input").at("stats").at("sum").get<double>(), 1e-3);
  const auto results = model.graph.run({x});
  ASSERT_EQ(results.size(), outputs.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& ref = golden["outputs"][i];
    EXPECT_EQ(results[i].shape, ref.at("shape").get<nn::Shape>()) << outputs[i];
    test::expect_close_to_reference(results[i].data, ref.at("values").get<std::vector<double>>(),
                                    name + "/" + outputs[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(HumanModels, BlazeFaceGraph,
                         ::testing::Values("blazeface-front", "facemesh-detection-short", "facemesh-detection-full"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// faces.jpg (face-api.js's group photo, 640x480): every face a variant reports is one of the boxes
// face-api.js's own tests list (IoU >= 0.5), and it finds at least `min_found` of them.
struct FacesJpgCase {
  const char* spec;
  size_t min_found;
};

class BlazeFaceFacesJpg : public ::testing::TestWithParam<FacesJpgCase> {};

TEST_P(BlazeFaceFacesJpg, DetectionsAreListedFaces) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto listed = test::faceapi_listed_faces_jpg_boxes();
  ImageLoadOptions options;
  options.apply_exif_orientation = false;
  const cv::Mat rgb = load_image((test::faces_dir() / "faceapi-js/test/images/faces.jpg").string(), options);
  const auto faces = create_detector(GetParam().spec)->detect(rgb);
  EXPECT_GE(faces.size(), GetParam().min_found);
  for (const Detection& face : faces) {
    EXPECT_GE(test::best_iou(face.box, listed), test::kSameFaceIou) << "a detection matches no listed face";
    ASSERT_EQ(face.keypoints.size(), 6u);
    ASSERT_TRUE(face.left_eye && face.right_eye);
    EXPECT_GT(face.left_eye->x, face.right_eye->x);  // subject's left eye on the image's right
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, BlazeFaceFacesJpg,
                         ::testing::Values(FacesJpgCase{"blazeface-back", 6}, FacesJpgCase{"blazeface-front", 6},
                                           FacesJpgCase{"facemesh-detection-short", 6},
                                           FacesJpgCase{"facemesh-detection-full", 6}),
                         [](const auto& info) {
                           std::string n = info.param.spec;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(BlazeFaceVariants, RegisteredWithTheirNamesAndOptions) {
  for (const auto& v : blazeface::variants()) {
    SCOPED_TRACE(v.name);
    const std::string name = v.name;
    EXPECT_EQ(create_detector(name + ":min_confidence=0.4,max_results=3")->name(), name);
    EXPECT_THROW(create_detector(name + ":min_confidence=1"), Error);
    EXPECT_THROW(create_detector(name + ":threshold=0.5"), Error);
  }
}
