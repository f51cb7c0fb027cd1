// "ssd": face-api.js SsdMobilenetv1.locateFaces, step for step: pad bottom/right to a square,
// resize to 512, run the net, decode against the anchors, face-api's own NMS, scale back.
#include <algorithm>
#include <cmath>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "detect/nms.hpp"
#include "facekit/error.hpp"
#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"

namespace facekit {
namespace {

constexpr int kInputSize = 512;

struct SsdModel {
  nn::Graph graph;
  nn::Tensor anchors;
};

class SsdDetector final : public Detector {
 public:
  SsdDetector(double min_confidence, int max_results)
      : min_confidence_(min_confidence), max_results_(max_results), model_(load()) {}

  std::string name() const override { return "ssd"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    nn::Tensor x = nn::faceapi_batch_tensor(rgb, kInputSize, false);
    for (float& v : x.data) v = v / 127.5f - 1.f;
    auto out = model_->graph.run({std::move(x)});
    std::vector<float> boxes, scores;
    nn::faceapi::decode_ssd(out[0], out[1], model_->anchors, boxes, scores);
    // ssdMobilenetv1/nonMaxSuppression.ts: score > min_confidence, IoU > 0.5 suppresses, stable order.
    std::vector<detect::Corners> corners(scores.size());
    for (size_t i = 0; i < scores.size(); ++i)
      corners[i] = {boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]};
    detect::NmsRule rule;
    rule.iou_threshold = 0.5;
    rule.score_threshold = min_confidence_;
    rule.max_results = max_results_;
    const auto kept = detect::greedy_nms(corners, std::vector<double>(scores.begin(), scores.end()), rule);

    // utils computeReshapedDimensions: the image's size inside the padded 512 square.
    const double W = rgb.cols, H = rgb.rows;
    const double scale = kInputSize / std::max(W, H);
    const double pad_x = kInputSize / std::round(W * scale), pad_y = kInputSize / std::round(H * scale);
    std::vector<Detection> faces;
    for (int idx : kept) {
      const float* b = &boxes[idx * 4];
      const double top = std::max(0.0, double(b[0])) * pad_y, bottom = std::min(1.0, double(b[2])) * pad_y;
      const double left = std::max(0.0, double(b[1])) * pad_x, right = std::min(1.0, double(b[3])) * pad_x;
      Detection d;
      d.box = {left * W, top * H, (right - left) * W, (bottom - top) * H};
      d.score = scores[idx];
      faces.push_back(d);
    }
    return faces;
  }

 private:
  static std::shared_ptr<const SsdModel> load() {
    return cached_model<SsdModel>("faceapi/ssd_mobilenetv1", [] {
      auto weights = nn::WeightMap::load_manifest(require_model_file("faceapi/ssd_mobilenetv1_model-weights_manifest.json"));
      return SsdModel{nn::faceapi::build_ssd_mobilenetv1(weights), nn::faceapi::ssd_anchors(weights)};
    });
  }

  double min_confidence_;
  int max_results_;
  std::shared_ptr<const SsdModel> model_;
};

}  // namespace

void register_ssd_detector(Registry<Detector>& registry) {
  registry.add("ssd", "SSD-MobileNetV1 (face-api.js); options: min_confidence=0.5, max_results=100",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 o.check_known({"min_confidence", "max_results"});
                 const double conf = o.get_double("min_confidence", 0.5);
                 if (conf <= 0 || conf >= 1)
                   throw Error(ErrorCode::InvalidArgument, "ssd: min_confidence must be in (0, 1)");
                 return std::make_unique<SsdDetector>(conf, o.get_int("max_results", 100));
               });
}

}  // namespace facekit
