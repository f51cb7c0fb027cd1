// "faceapi68" and "faceapi68-tiny": face-api.js FaceLandmark68Net / FaceLandmark68TinyNet on the
// floored, clipped detection box (extractFaceTensors + FaceLandmark68NetBase.postProcess +
// extendWithFaceLandmarks). Both nets share the input, normalisation and post-processing.
#include "align/faceapi_geometry.hpp"
#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"

namespace facekit {
namespace {

constexpr int kInputSize = 112;

// One of the two nets: its registry name, its weights' file stem and its graph builder.
struct LandmarkNet {
  const char* name;
  const char* stem;
  nn::Graph (*build)(const nn::WeightMap&);
};
constexpr LandmarkNet kFullNet = {"faceapi68", "faceapi/face_landmark_68", nn::faceapi::build_landmark68_net};
constexpr LandmarkNet kTinyNet = {"faceapi68-tiny", "faceapi/face_landmark_68_tiny",
                                  nn::faceapi::build_landmark68_tiny_net};

class FaceApiLandmarker final : public Landmarker {
 public:
  explicit FaceApiLandmarker(const LandmarkNet& net)
      : net_(net), graph_(cached_model<nn::Graph>(net.stem, [&net] {
          return net.build(nn::WeightMap::load_manifest(
              require_model_file(std::string(net.stem) + "_model-weights_manifest.json")));
        })) {}

  std::string name() const override { return net_.name; }

  std::vector<Point> landmarks(const cv::Mat& rgb, const Detection& face) override {
    const cv::Rect crop = faceapi::clip_and_floor(face.box, rgb.cols, rgb.rows);
    if (crop.width <= 0 || crop.height <= 0)
      throw Error(ErrorCode::InvalidArgument, "face box lies outside the image");
    nn::Tensor x = nn::faceapi_batch_tensor(rgb(crop), kInputSize, true);
    nn::normalize_channels(x, {122.782f, 117.001f, 104.298f}, 255.f);
    const nn::Tensor raw = graph_->run({std::move(x)})[0];

    // postProcess(): undo the centred padding, in float32 as the tfjs tensors do.
    const float scale = float(kInputSize) / float(std::max(crop.width, crop.height));
    const float w = float(crop.width) * scale, h = float(crop.height) * scale;
    const float pad_x = w < h ? std::abs(w - h) / 2.f : 0.f, pad_y = h < w ? std::abs(w - h) / 2.f : 0.f;
    std::vector<Point> points(68);
    for (int i = 0; i < 68; ++i) {
      const float rel_x = (raw.data[2 * i] * float(kInputSize) - pad_x) / w;
      const float rel_y = (raw.data[2 * i + 1] * float(kInputSize) - pad_y) / h;
      // FaceLandmarks: relative * crop size, shifted by the unfloored detection box.
      points[i] = {double(rel_x) * crop.width + face.box.x, double(rel_y) * crop.height + face.box.y};
    }
    return points;
  }

 private:
  const LandmarkNet& net_;
  std::shared_ptr<const nn::Graph> graph_;
};

}  // namespace

void register_faceapi_landmarkers(Registry<Landmarker>& registry) {
  registry.add(kFullNet.name, "face-api.js FaceLandmark68Net (68 iBUG points, 112x112 input)",
               [](const ComponentOptions& o) -> std::unique_ptr<Landmarker> {
                 o.check_known({});
                 return std::make_unique<FaceApiLandmarker>(kFullNet);
               });
  registry.add(kTinyNet.name,
               "face-api.js FaceLandmark68TinyNet (68 iBUG points, 112x112 input; 80 kB of weights, less exact)",
               [](const ComponentOptions& o) -> std::unique_ptr<Landmarker> {
                 o.check_known({});
                 return std::make_unique<FaceApiLandmarker>(kTinyNet);
               });
}

}  // namespace facekit
