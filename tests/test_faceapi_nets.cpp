// Net-level faithfulness: each ported face-api net on the reference's synthetic input must match
// the outputs of @vladmandic/face-api (golden/faceapi_nets.json) within the reference tolerance.
#include <opencv2/core.hpp>

#include "facekit/models.hpp"
#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"
#include "support/golden.hpp"

using namespace facekit;
using namespace facekit::nn;

namespace {

Tensor synthetic_input(int size) {
  auto bytes = test::synthetic_rgb(size, size);
  cv::Mat rgb(size, size, CV_8UC3, bytes.data());
  return image_to_tensor(rgb.clone());
}

WeightMap weights(const std::string& stem) {
  return WeightMap::load_manifest(require_model_file("faceapi/" + stem + "-weights_manifest.json"));
}

std::vector<double> golden_values(const nlohmann::json& net, const std::string& output) {
  return net.at("outputs").at(output).at("values").get<std::vector<double>>();
}

const std::array<float, 3> kFaceMean = {122.782f, 117.001f, 104.298f};

}  // namespace

TEST(FaceApiNets, RecognitionNetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("faceRecognitionNet");
  Tensor x = synthetic_input(150);
  normalize_channels(x, kFaceMean, 255.f);
  auto out = faceapi::build_recognition_net(weights("face_recognition_model")).run({x});
  test::expect_close_to_reference(out[0].data, golden_values(golden, "descriptor"), "descriptor");
}

TEST(FaceApiNets, Landmark68NetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("faceLandmark68Net");
  Tensor x = synthetic_input(112);
  normalize_channels(x, kFaceMean, 255.f);
  auto out = faceapi::build_landmark68_net(weights("face_landmark_68_model")).run({x});
  test::expect_close_to_reference(out[0].data, golden_values(golden, "landmarks_raw"), "landmarks");
}

TEST(FaceApiNets, SsdMobilenetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("ssdMobilenetv1");
  Tensor x = synthetic_input(512);
  for (float& v : x.data) v = v / 127.5f - 1.f;
  auto w = weights("ssd_mobilenetv1_model");
  auto out = faceapi::build_ssd_mobilenetv1(w).run({x});
  std::vector<float> boxes, scores;
  faceapi::decode_ssd(out[0], out[1], faceapi::ssd_anchors(w), boxes, scores);
  test::expect_close_to_reference(boxes, golden_values(golden, "boxes"), "boxes");
  test::expect_close_to_reference(scores, golden_values(golden, "scores"), "scores");
}
