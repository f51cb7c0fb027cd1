// "faceapi-resnet": face-api.js FaceRecognitionNet (dlib's ResNet-29), 128-D, not L2-normalised.
// computeFaceDescriptor: centred pad to a square, resize to 150, (x - mean) / 255.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

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

// dlib's jitter_image (image_transforms/interpolation.h): the chip shrunk by 3 px, re-cropped with a
// box 1/[0.97, 1) of that size, moved by up to 2% of it, rotated by up to 3 degrees, mirrored half the
// time. dlib's compute_face_descriptor(..., num_jitters) averages the descriptors of such copies. The
// draws here come from a fixed-seed generator so a descriptor is the same on every run and machine.
class ChipJitter {
 public:
  cv::Mat next(const cv::Mat& chip) {
    const double w = chip.cols, h = chip.rows;
    const double object = std::min(w, h) - 6;
    const double tx = uniform(-0.02, 0.02) * object, ty = uniform(-0.02, 0.02) * object;
    const double box = object / uniform(0.97, 0.99999);
    const double angle = uniform(-3.0, 3.0) * CV_PI / 180;
    const bool mirror = uniform(0, 1) > 0.5;
    // Output pixel o samples the input at centre + t + R(angle) (o - centre) / k, k = output px per input px.
    const double k = std::min(w, h) / box, c = std::cos(angle) * k, s = std::sin(angle) * k;
    const double cx = (w - 1) / 2, cy = (h - 1) / 2, sx = cx + tx, sy = cy + ty;
    const cv::Matx23d to_output(c, s, cx - c * sx - s * sy, -s, c, cy + s * sx - c * sy);
    cv::Mat out;
    cv::warpAffine(chip, out, to_output, chip.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    if (mirror) cv::flip(out, out, 1);
    return out;
  }

 private:
  // splitmix64: fully specified, unlike std::uniform_real_distribution.
  double uniform(double lo, double hi) {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * static_cast<double>(z >> 11) * 0x1.0p-53;
  }
  std::uint64_t state_ = 0;
};

class FaceApiResnetEmbedder final : public Embedder {
 public:
  FaceApiResnetEmbedder(bool flip, int jitters)
      : flip_(flip), jitters_(jitters), graph_(cached_model<nn::Graph>("faceapi/face_recognition", [] {
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
    if (jitters_ > 0) {
      // dlib's num_jitters: the mean over jittered copies only (the chip itself is not one of them).
      ChipJitter jitter;
      std::vector<float> sum(dim(), 0.f);
      for (int j = 0; j < jitters_; ++j) {
        const std::vector<float> d = run(jitter.next(face_rgb));
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += d[i];
      }
      for (float& v : sum) v /= static_cast<float>(jitters_);
      return sum;
    }
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
  int jitters_;
  std::shared_ptr<const nn::Graph> graph_;
};

}  // namespace

void register_faceapi_embedders(Registry<Embedder>& registry) {
  registry.add("faceapi-resnet", "face-api.js FaceRecognitionNet, dlib ResNet-29 port, 128-D, 150x150",
               [](const ComponentOptions& o) -> std::unique_ptr<Embedder> {
                 o.check_known({"flip", "jitter"});
                 const int jitters = o.get_int("jitter", 0);
                 if (jitters < 0 || jitters > 1000)
                   throw Error(ErrorCode::InvalidArgument, "faceapi-resnet: jitter must be 0..1000, got " +
                                                               std::to_string(jitters));
                 if (jitters > 0 && o.get_bool("flip", false))
                   throw Error(ErrorCode::InvalidArgument,
                               "faceapi-resnet: use flip=1 or jitter=N, not both (jittered copies are "
                               "already mirrored half the time)");
                 return std::make_unique<FaceApiResnetEmbedder>(o.get_bool("flip", false), jitters);
               });
}

}  // namespace facekit
