// Net-level faithfulness: each ported face-api net on the reference's synthetic input must match
// the outputs of @vladmandic/face-api (golden/faceapi_nets.json) within the reference tolerance.
// The *Committed* tests compare against tests/data/golden_synthetic.json, extracted from that same
// reference file by tests/data/make_golden_synthetic.py, so they also run without ../shared.
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

std::vector<float> recognition_on_synthetic() {
  Tensor x = synthetic_input(150);
  normalize_channels(x, kFaceMean, 255.f);
  return faceapi::build_recognition_net(weights("face_recognition_model")).run({x})[0].data;
}

std::vector<float> landmarks_on_synthetic() {
  Tensor x = synthetic_input(112);
  normalize_channels(x, kFaceMean, 255.f);
  return faceapi::build_landmark68_net(weights("face_landmark_68_model")).run({x})[0].data;
}

void ssd_on_synthetic(std::vector<float>& boxes, std::vector<float>& scores) {
  Tensor x = synthetic_input(512);
  for (float& v : x.data) v = v / 127.5f - 1.f;
  auto w = weights("ssd_mobilenetv1_model");
  auto out = faceapi::build_ssd_mobilenetv1(w).run({x});
  faceapi::decode_ssd(out[0], out[1], faceapi::ssd_anchors(w), boxes, scores);
}

nlohmann::json committed_golden() {
  return nlohmann::json::parse(test::read_file(std::string(FACEKIT_SOURCE_DIR) + "/tests/data/golden_synthetic.json"));
}

}  // namespace

TEST(FaceApiNets, RecognitionNetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("faceRecognitionNet");
  test::expect_close_to_reference(recognition_on_synthetic(), golden_values(golden, "descriptor"), "descriptor");
}

TEST(FaceApiNets, Landmark68NetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("faceLandmark68Net");
  test::expect_close_to_reference(landmarks_on_synthetic(), golden_values(golden, "landmarks_raw"), "landmarks");
}

TEST(FaceApiNets, SsdMobilenetMatchesReference) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto golden = test::load_golden("faceapi_nets.json").at("nets").at("ssdMobilenetv1");
  std::vector<float> boxes, scores;
  ssd_on_synthetic(boxes, scores);
  test::expect_close_to_reference(boxes, golden_values(golden, "boxes"), "boxes");
  test::expect_close_to_reference(scores, golden_values(golden, "scores"), "scores");
}

TEST(FaceApiNets, RecognitionNetMatchesCommittedGolden) {
  test::expect_close_to_reference(recognition_on_synthetic(),
                                  committed_golden()["faceRecognitionNet"]["descriptor"].get<std::vector<double>>(),
                                  "descriptor");
}

TEST(FaceApiNets, Landmark68NetMatchesCommittedGolden) {
  test::expect_close_to_reference(landmarks_on_synthetic(),
                                  committed_golden()["faceLandmark68Net"]["landmarks_raw"].get<std::vector<double>>(),
                                  "landmarks");
}

TEST(FaceApiNets, SsdTopAnchorsMatchCommittedGolden) {
  std::vector<float> boxes, scores;
  ssd_on_synthetic(boxes, scores);
  const auto golden = committed_golden()["ssdMobilenetv1"];
  std::vector<float> got_scores, got_boxes;
  std::vector<double> ref_boxes;
  for (size_t k = 0; k < golden["anchor_index"].size(); ++k) {
    const int i = golden["anchor_index"][k];
    got_scores.push_back(scores[i]);
    for (int c = 0; c < 4; ++c) {
      got_boxes.push_back(boxes[i * 4 + c]);
      ref_boxes.push_back(golden["boxes"][k][c].get<double>());
    }
  }
  test::expect_close_to_reference(got_scores, golden["scores"].get<std::vector<double>>(), "scores");
  test::expect_close_to_reference(got_boxes, ref_boxes, "boxes");
}
