// "ssd": face-api.js SsdMobilenetv1.locateFaces, step for step: pad bottom/right to a square,
// resize to 512, run the net, decode against the anchors, face-api's own NMS, scale back.
#include <algorithm>
#include <cmath>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
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

// ssdMobilenetv1/nonMaxSuppression.ts IOU(): boxes are (ymin, xmin, ymax, xmax), possibly unordered.
double box_iou(const float* a, const float* b) {
  const double ya0 = std::min(a[0], a[2]), xa0 = std::min(a[1], a[3]), ya1 = std::max(a[0], a[2]), xa1 = std::max(a[1], a[3]);
  const double yb0 = std::min(b[0], b[2]), xb0 = std::min(b[1], b[3]), yb1 = std::max(b[0], b[2]), xb1 = std::max(b[1], b[3]);
  const double area_a = (ya1 - ya0) * (xa1 - xa0), area_b = (yb1 - yb0) * (xb1 - xb0);
  if (area_a <= 0 || area_b <= 0) return 0.0;
  const double inter = std::max(std::min(ya1, yb1) - std::max(ya0, yb0), 0.0) *
                       std::max(std::min(xa1, xb1) - std::max(xa0, xb0), 0.0);
  return inter / (area_a + area_b - inter);
}

// nonMaxSuppression.ts: greedy, strictly-above-threshold candidates sorted by score (stable, as JS sort).
std::vector<int> face_api_nms(const std::vector<float>& boxes, const std::vector<float>& scores, int max_results,
                              double iou_threshold, double score_threshold) {
  std::vector<int> candidates;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (scores[i] > score_threshold) candidates.push_back(i);
  std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  std::vector<int> selected;
  const int limit = std::min<int>(max_results, static_cast<int>(scores.size()));
  for (int c : candidates) {
    if (static_cast<int>(selected.size()) >= limit) break;
    bool keep = true;
    for (int j = static_cast<int>(selected.size()) - 1; j >= 0; --j) {
      const double overlap = box_iou(&boxes[c * 4], &boxes[selected[j] * 4]);
      if (overlap == 0.0) continue;
      if (overlap > iou_threshold) {
        keep = false;
        break;
      }
    }
    if (keep) selected.push_back(c);
  }
  return selected;
}

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
    const auto kept = face_api_nms(boxes, scores, max_results_, 0.5, min_confidence_);

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
