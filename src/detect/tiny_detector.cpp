// "tiny": face-api.js TinyFaceDetector.locateFaces, step for step (TinyYolov2Base.detect): pad
// bottom/right to a square, resize to input_size, (v - mean) / 255, run the net, decode the grid,
// face-api's own NMS (IoU 0.4) on boxes scaled to the input, then boxes scaled to the image.
#include <algorithm>
#include <cmath>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "detect/nms.hpp"
#include "facekit/error.hpp"
#include "nn/faceapi_tiny.hpp"
#include "nn/image_prep.hpp"

namespace facekit {
namespace {

constexpr double kIouThreshold = 0.4;  // tinyFaceDetector/const.ts IOU_THRESHOLD

class TinyFaceDetector final : public Detector {
 public:
  TinyFaceDetector(int input_size, double score_threshold)
      : input_size_(input_size), score_threshold_(score_threshold), model_(load()) {}

  std::string name() const override { return "tiny"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, "tiny: empty image");
    nn::Tensor x = nn::faceapi_batch_tensor(rgb, input_size_, false);
    nn::normalize_channels(x, nn::faceapi::kTinyFaceMeanRgb, 255.f);
    const nn::Tensor grid = model_->run({std::move(x)})[0];

    // utils computeReshapedDimensions: the image's size inside the padded input square.
    const double scale = double(input_size_) / std::max(rgb.cols, rgb.rows);
    const int width_in_input = static_cast<int>(std::round(rgb.cols * scale));
    const int height_in_input = static_cast<int>(std::round(rgb.rows * scale));
    const auto boxes = nn::faceapi::decode_tiny_face_grid(grid, width_in_input, height_in_input, score_threshold_);

    // NMS sees the boxes as Box.rescale(inputSize) makes them: (x, y, width, height) each times the size.
    std::vector<detect::Corners> scaled;
    std::vector<double> scores;
    for (const auto& b : boxes) {
      const double s = input_size_, x0 = b.left * s, y0 = b.top * s;
      scaled.push_back({x0, y0, x0 + (b.right - b.left) * s, y0 + (b.bottom - b.top) * s});
      scores.push_back(b.score);
    }
    std::vector<Detection> faces;
    for (int idx : detect::faceapi_nms(scaled, scores, kIouThreshold)) {
      // FaceDetection: the relative box rescaled to the image's own width and height.
      const auto& b = boxes[idx];
      Detection d;
      d.box = {b.left * rgb.cols, b.top * rgb.rows, (b.right - b.left) * rgb.cols, (b.bottom - b.top) * rgb.rows};
      d.score = static_cast<float>(b.score);
      faces.push_back(d);
    }
    return faces;
  }

 private:
  static std::shared_ptr<const nn::Graph> load() {
    return cached_model<nn::Graph>("faceapi/tiny_face_detector", [] {
      require_model_file("faceapi/tiny_face_detector_model.bin");
      auto weights = nn::WeightMap::load_manifest(
          require_model_file("faceapi/tiny_face_detector_model-weights_manifest.json"));
      return nn::faceapi::build_tiny_face_detector(weights);
    });
  }

  int input_size_;
  double score_threshold_;
  std::shared_ptr<const nn::Graph> model_;
};

}  // namespace

void register_tiny_detector(Registry<Detector>& registry) {
  registry.add("tiny", "TinyFaceDetector (face-api.js); options: input_size=416 (multiple of 32), score_threshold=0.5",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 o.check_known({"input_size", "score_threshold"});
                 // TinyYolov2Options' own checks.
                 const int size = o.get_int("input_size", 416);
                 if (size <= 0 || size % 32 != 0)
                   throw Error(ErrorCode::InvalidArgument, "tiny: input_size must be a positive multiple of 32");
                 const double threshold = o.get_double("score_threshold", 0.5);
                 if (threshold <= 0 || threshold >= 1)
                   throw Error(ErrorCode::InvalidArgument, "tiny: score_threshold must be in (0, 1)");
                 return std::make_unique<TinyFaceDetector>(size, threshold);
               });
}

}  // namespace facekit
