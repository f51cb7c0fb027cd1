// "faceapi-resnet": face-api.js FaceRecognitionNet (dlib's ResNet-29), 128-D, not L2-normalised.
// computeFaceDescriptor: centred pad to a square, resize to 150, (x - mean) / 255.
#include <opencv2/core.hpp>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"

namespace facekit {
namespace {

constexpr int kInputSize = 150;

class FaceApiResnetEmbedder final : public Embedder {
 public:
  explicit FaceApiResnetEmbedder(bool flip) : flip_(flip), graph_(cached_model<nn::Graph>("faceapi/face_recognition", [] {
    return nn::faceapi::build_recognition_net(
        nn::WeightMap::load_manifest(require_model_file("faceapi/face_recognition_model-weights_manifest.json")));
  })) {}

  std::string name() const override { return "faceapi-resnet"; }
  int dim() const override { return 128; }
  int input_size() const override { return kInputSize; }
  // dlib's chip (150 px, padding 0.25): how dlib trained the network face-api.js ported.
  std::string preferred_alignment() const override { return "5point"; }

  std::vector<float> embed(const cv::Mat& face_rgb) override {
    if (face_rgb.empty()) throw Error(ErrorCode::InvalidArgument, "empty face image");
    std::vector<float> e = run(face_rgb);
    if (flip_) {
      // Test-time augmentation: the mean of the descriptors of the chip and its mirror image.
      cv::Mat mirrored;
      cv::flip(face_rgb, mirrored, 1);
      const std::vector<float> m = run(mirrored);
      for (std::size_t i = 0; i < e.size(); ++i) e[i] = 0.5f * (e[i] + m[i]);
    }
    return e;
  }

 private:
  std::vector<float> run(const cv::Mat& face_rgb) const {
    nn::Tensor x = nn::faceapi_batch_tensor(face_rgb, kInputSize, true);
    nn::normalize_channels(x, {122.782f, 117.001f, 104.298f}, 255.f);
    return graph_->run({std::move(x)})[0].data;
  }

  bool flip_;
  std::shared_ptr<const nn::Graph> graph_;
};

}  // namespace

void register_faceapi_embedders(Registry<Embedder>& registry) {
  registry.add("faceapi-resnet", "face-api.js FaceRecognitionNet, dlib ResNet-29 port, 128-D, 150x150",
               [](const ComponentOptions& o) -> std::unique_ptr<Embedder> {
                 o.check_known({"flip"});
                 return std::make_unique<FaceApiResnetEmbedder>(o.get_bool("flip", false));
               });
}

}  // namespace facekit
