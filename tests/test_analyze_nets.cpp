// The face-api.js attribute nets (AgeGenderNet, FaceExpressionNet) on the reference's synthetic input
// against @vladmandic/face-api 1.7.15 on tfjs (shared/reference/golden/faceapi_nets.json), within the
// reference tolerance.
#include <opencv2/core.hpp>

#include "facekit/error.hpp"
#include "facekit/models.hpp"
#include "nn/faceapi_attribute_nets.hpp"
#include "nn/image_prep.hpp"
#include "support/golden.hpp"

using namespace facekit;
using namespace facekit::nn;

namespace {

Tensor synthetic_face_input() {
  auto bytes = test::synthetic_rgb(112, 112);
  return faceapi::faceapi_face_input(cv::Mat(112, 112, CV_8UC3, bytes.data()).clone());
}

WeightMap weights(const std::string& stem) {
  return WeightMap::load_manifest(require_model_file("faceapi/" + stem + "-weights_manifest.json"));
}

std::vector<double> golden_values(const nlohmann::json& net, const std::string& output) {
  return net.at("outputs").at(output).at("values").get<std::vector<double>>();
}

}  // namespace

TEST(FaceApiAttributeNets, AgeGenderNetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto golden = test::load_golden("faceapi_nets.json").at("nets").at("ageGenderNet");
  auto out = faceapi::build_age_gender_net(weights("age_gender_model")).run({synthetic_face_input()});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (Shape{1, 1}));
  EXPECT_EQ(out[1].shape, (Shape{1, 2}));
  test::expect_close_to_reference(out[0].data, golden_values(golden, "age"), "age");
  test::expect_close_to_reference(out[1].data, golden_values(golden, "gender_logits"), "gender_logits");
  test::expect_close_to_reference(faceapi::softmax(out[1].data), golden_values(golden, "gender_softmax"),
                                  "gender_softmax");
}

TEST(FaceApiAttributeNets, ExpressionNetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto golden = test::load_golden("faceapi_nets.json").at("nets").at("faceExpressionNet");
  auto out = faceapi::build_expression_net(weights("face_expression_model")).run({synthetic_face_input()});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (Shape{1, 7}));
  test::expect_close_to_reference(out[0].data, golden_values(golden, "logits"), "logits");
  test::expect_close_to_reference(faceapi::softmax(out[0].data), golden_values(golden, "softmax"), "softmax");
}

TEST(FaceApiAttributeNets, ExpressionNetRefusesTheLandmarkWeights) {
  // Same layer structure, other fc width: the builder must notice rather than return 136 "expressions".
  EXPECT_THROW(faceapi::build_expression_net(weights("face_landmark_68_model")), Error);
}

TEST(FaceApiAttributeNets, SoftmaxIsNormalisedAndOrderPreserving) {
  const auto p = faceapi::softmax({1.f, 2.f, 3.f});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
  // softmax(x)_i = e^{x_i} / sum_j e^{x_j}: e^1/(e^1+e^2+e^3) = 0.0900305...
  EXPECT_NEAR(p[0], 0.09003057317, 1e-6);
  EXPECT_NEAR(p[2], 0.66524095725, 1e-6);
}
