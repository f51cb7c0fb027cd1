// Image-level faithfulness of the face-api attribute nets against face-api.js on tfjs
// (shared/reference/golden/faceapi_png.json, faceapi_images.json): SSD faces, FaceLandmark68Net points,
// the crop the age/gender and expression nets see (landmarks' min box padded 20%), and their outputs.
//  - PNG tier (identical pixels for any decoder): identical integer crops, age, P(male) and the 7
//    expression probabilities within the reference tolerance.
//  - JPEG tier (libjpeg vs jpeg-js differ by a few grey levels, see test_faceapi_images.cpp): where our
//    crop equals the reference's, same gender and same top expression whenever the reference is clear
//    about them (probability >= 0.75), and age within 1 year.
#include <cmath>

#include "analyze/analysis.hpp"
#include "core/pipeline.hpp"
#include "facekit/image.hpp"
#include "support/golden.hpp"

using namespace facekit;

namespace {

// face-api's expression order, as faceapi_*.json stores them, from our deepface-labelled percentages.
std::vector<float> faceapi_expressions(const FaceAnalysis& a) {
  auto pct = [&](const char* label) {
    for (const auto& [l, v] : a.emotion)
      if (l == label) return float(v / 100);
    return -1.f;
  };
  return {pct("neutral"), pct("happy"), pct("sad"), pct("angry"), pct("fear"), pct("disgust"), pct("surprise")};
}

std::vector<double> reference_expressions(const nlohmann::json& ref) {
  std::vector<double> out;
  for (const char* k : {"neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"})
    out.push_back(ref.at("expressions").at(k).get<double>());
  return out;
}

double p_male(const FaceAnalysis& a) {
  for (const auto& [l, v] : a.gender)
    if (l == "Man") return v / 100;
  return -1;
}

struct AnalysedFace {
  cv::Rect crop;
  Rect box;
  FaceAnalysis analysis;
};

std::vector<AnalysedFace> analyse_image(const std::string& rel_path) {
  const auto path = (test::shared_dir() / rel_path).string();
  const cv::Mat rgb = load_image(path, {.max_pixels = 100'000'000, .apply_exif_orientation = false});
  Pipeline pipeline(test::faceapi_reference_options());
  auto age_gender = analysis::analyzer_entry("faceapi-age-gender").create();
  auto expression = analysis::analyzer_entry("faceapi-expression").create();
  std::vector<AnalysedFace> out;
  for (const auto& face : pipeline.run(rgb, path, false)) {
    if (face.whole_image) continue;
    analysis::FaceContext context(rgb, face.region, false);
    AnalysedFace f{context.faceapi_crop_rect(), face.region.detection.box, {}};
    age_gender->analyze(context, {"age", "gender"}, f.analysis);
    expression->analyze(context, {"emotion"}, f.analysis);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<int> rect_of(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }

const AnalysedFace& closest(const std::vector<AnalysedFace>& faces, const nlohmann::json& ref) {
  const auto rb = ref.at("box").get<std::vector<double>>();
  const Rect ref_box{rb[0], rb[1], rb[2], rb[3]};
  const AnalysedFace* best = &faces.front();
  for (const auto& f : faces)
    if (iou(f.box, ref_box) > iou(best->box, ref_box)) best = &f;
  return *best;
}

}  // namespace

TEST(AnalyzeImages, FaceApiNetsPngExactTier) {
  FACEKIT_REQUIRE_SHARED_DIR();
  int compared = 0;
  const auto golden = test::load_golden("faceapi_png.json");
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    const auto faces = analyse_image(rel);
    const auto& ref_faces = img.at("ssd").at("faces");
    ASSERT_EQ(faces.size(), ref_faces.size());
    for (const auto& ref : ref_faces) {
      const AnalysedFace& f = closest(faces, ref);
      EXPECT_EQ(rect_of(f.crop), ref.at("aligned_crop").get<std::vector<int>>());
      ASSERT_TRUE(f.analysis.age.has_value());
      test::expect_close_to_reference({float(*f.analysis.age)}, {ref.at("age").get<double>()}, "age");
      const double ref_p = ref.at("gender_probability").get<double>();
      const double ref_male = ref.at("gender") == "male" ? ref_p : 1 - ref_p;
      test::expect_close_to_reference({float(p_male(f.analysis))}, {ref_male}, "P(male)");
      test::expect_close_to_reference(faceapi_expressions(f.analysis), reference_expressions(ref), "expressions");
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3);  // astronaut, lin-manuel-miranda, alex-lacamoire; SSD finds no face in the 150 px crops
}

TEST(AnalyzeImages, FaceApiNetsJpegOwnDecoderTier) {
  FACEKIT_REQUIRE_SHARED_DIR();
  int same_crop = 0, total = 0;
  const auto golden = test::load_golden("faceapi_images.json");
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    const auto faces = analyse_image(rel);
    const auto& ref_faces = img.at("ssd").at("faces");
    ASSERT_EQ(faces.size(), ref_faces.size());
    for (const auto& ref : ref_faces) {
      ++total;
      const AnalysedFace& f = closest(faces, ref);
      if (rect_of(f.crop) != ref.at("aligned_crop").get<std::vector<int>>()) continue;
      ++same_crop;
      EXPECT_NEAR(*f.analysis.age, ref.at("age").get<double>(), 1.0);
      if (ref.at("gender_probability").get<double>() >= 0.75)
        EXPECT_EQ(f.analysis.dominant_gender, ref.at("gender") == "male" ? "Man" : "Woman");
      const auto ref_expr = reference_expressions(ref);
      const auto top = std::max_element(ref_expr.begin(), ref_expr.end());
      if (*top >= 0.75) {
        const auto ours = faceapi_expressions(f.analysis);
        EXPECT_EQ(std::max_element(ours.begin(), ours.end()) - ours.begin(), top - ref_expr.begin());
      }
    }
  }
  EXPECT_EQ(total, 13);
  EXPECT_GE(same_crop, 1);  // so that the comparisons above are not vacuous
  std::cout << "[ info ] " << same_crop << " of " << total << " age/expression crops equal the reference's\n";
}
