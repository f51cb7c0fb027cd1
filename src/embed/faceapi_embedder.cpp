// "faceapi-resnet": face-api.js FaceRecognitionNet (dlib's ResNet-29), 128-D, not L2-normalised.
// computeFaceDescriptor: centred pad to a square, resize to 150, (x - mean) / 255.
//
// Test-time augmentation (options): flip=1 adds each view's mirror image; tta=3 embeds three scales
// of the face. The descriptor is the mean over all views.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"

namespace facekit {
namespace {

constexpr int kInputSize = 150;

// With tta the aligner gives dlib's chip with padding 0.3 at dlib's own scale (100 px per template
// unit, as the 150-px chip with padding 0.25 has): 160 px. Its centred 150-px window is then exactly
// the padding-0.25 chip and its centred 140-px window the padding-0.2 one.
constexpr int kTtaChipSize = 160;
const char* const kTtaAlignment = "5point:size=160,padding=0.3";

// A view of the chip as fractions of its side: the square [x, x + side) x [y, y + side).
struct View {
  double x, y, side;
};

// tta=3: padding 0.3, 0.25 and 0.2 (windows of 160, 150 and 140 px of the 160-px chip).
std::vector<View> tta_views(int tta) {
  const double s = kTtaChipSize;
  auto centred = [&](double px) { return View{(s - px) / 2 / s, (s - px) / 2 / s, px / s}; };
  switch (tta) {
    case 1: return {{0, 0, 1}};
    case 3: return {centred(160), centred(150), centred(140)};
  }
  throw Error(ErrorCode::InvalidArgument, "faceapi-resnet: tta must be 1 or 3 (got " + std::to_string(tta) + ")");
}

class FaceApiResnetEmbedder final : public Embedder {
 public:
  FaceApiResnetEmbedder(bool flip, int tta)
      : flip_(flip), tta_(tta), views_(tta_views(tta)), graph_(cached_model<nn::Graph>("faceapi/face_recognition", [] {
          return nn::faceapi::build_recognition_net(
              nn::WeightMap::load_manifest(require_model_file("faceapi/face_recognition_model-weights_manifest.json")));
        })) {}

  std::string name() const override { return "faceapi-resnet"; }
  int dim() const override { return 128; }
  int input_size() const override { return tta_ > 1 ? kTtaChipSize : kInputSize; }
  // dlib's chip (150 px, padding 0.25): how dlib trained the network face-api.js ported.
  std::string preferred_alignment() const override { return tta_ > 1 ? kTtaAlignment : "5point"; }

  std::vector<float> embed(const cv::Mat& face_rgb) override {
    if (face_rgb.empty()) throw Error(ErrorCode::InvalidArgument, "empty face image");
    std::vector<float> sum(dim(), 0.f);
    int count = 0;
    auto add = [&](const cv::Mat& view) {
      const std::vector<float> e = run(view);
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += e[i];
      ++count;
    };
    for (const View& v : views_) {
      const cv::Mat view = crop(face_rgb, v);
      add(view);
      if (flip_) {
        cv::Mat mirrored;
        cv::flip(view, mirrored, 1);
        add(mirrored);
      }
    }
    for (float& x : sum) x /= static_cast<float>(count);
    return sum;
  }

 private:
  static cv::Mat crop(const cv::Mat& chip, const View& v) {
    if (v.side == 1) return chip;
    const int side = std::max(1, static_cast<int>(std::lround(v.side * chip.cols)));
    const int x = std::clamp(static_cast<int>(std::lround(v.x * chip.cols)), 0, chip.cols - side);
    const int y = std::clamp(static_cast<int>(std::lround(v.y * chip.rows)), 0, std::max(0, chip.rows - side));
    return chip(cv::Rect(x, y, side, std::min(side, chip.rows - y)));
  }

  std::vector<float> run(const cv::Mat& face_rgb) const {
    nn::Tensor x = nn::faceapi_batch_tensor(face_rgb, kInputSize, true);
    nn::normalize_channels(x, {122.782f, 117.001f, 104.298f}, 255.f);
    return graph_->run({std::move(x)})[0].data;
  }

  bool flip_;
  int tta_;
  std::vector<View> views_;
  std::shared_ptr<const nn::Graph> graph_;
};

}  // namespace

void register_faceapi_embedders(Registry<Embedder>& registry) {
  registry.add("faceapi-resnet",
               "face-api.js FaceRecognitionNet, dlib ResNet-29 port, 128-D, 150x150 (options: flip=1 mirror "
               "averaging, tta=3 three scales of a 160-px padding-0.3 chip)",
               [](const ComponentOptions& o) -> std::unique_ptr<Embedder> {
                 o.check_known({"flip", "tta"});
                 return std::make_unique<FaceApiResnetEmbedder>(o.get_bool("flip", false), o.get_int("tta", 1));
               });
}

}  // namespace facekit
