// Analyzers on the face-api.js attribute nets (@vladmandic/face-api 1.7.15), run on the crop
// face-api.js gives them (FaceContext::faceapi_crop) with their own input (faceapi_face_input).
//   faceapi-age-gender: AgeGenderNet, age in years and P(male) = softmax(gender logits)[0]
//   faceapi-expression: FaceExpressionNet, softmax over 7 expressions, renamed to deepface's labels
#include "analyze/analyzer.hpp"
#include "core/model_cache.hpp"
#include "nn/faceapi_attribute_nets.hpp"

namespace facekit::analysis {
namespace {

std::shared_ptr<const nn::Graph> load_faceapi_net(const std::string& stem, nn::Graph (*build)(const nn::WeightMap&)) {
  return cached_model<nn::Graph>("faceapi/" + stem, [&] {
    require_model_file("faceapi/" + stem + ".bin");
    return build(nn::WeightMap::load_manifest(require_model_file("faceapi/" + stem + "-weights_manifest.json")));
  });
}

class AgeGenderAnalyzer final : public Analyzer {
 public:
  AgeGenderAnalyzer() : net_(load_faceapi_net("age_gender_model", nn::faceapi::build_age_gender_net)) {}

  void analyze(FaceContext& face, const std::set<std::string>& actions, FaceAnalysis& out) override {
    const auto result = net_->run({nn::faceapi::faceapi_face_input(face.faceapi_crop())});
    if (actions.count("age")) out.age = result[0].data[0];
    if (actions.count("gender")) {
      const auto p = nn::faceapi::softmax(result[1].data);  // [male, female] (ageGenderNet/types.ts)
      out.gender = percentages({"Woman", "Man"}, {p[1], p[0]});
      out.dominant_gender = dominant(out.gender);
    }
  }

 private:
  std::shared_ptr<const nn::Graph> net_;
};

class ExpressionAnalyzer final : public Analyzer {
 public:
  ExpressionAnalyzer() : net_(load_faceapi_net("face_expression_model", nn::faceapi::build_expression_net)) {}

  void analyze(FaceContext& face, const std::set<std::string>&, FaceAnalysis& out) override {
    const auto p = nn::faceapi::softmax(net_->run({nn::faceapi::faceapi_face_input(face.faceapi_crop())})[0].data);
    // face-api's order is neutral, happy, sad, angry, fearful, disgusted, surprised (kExpressionLabels);
    // deepface's is angry, disgust, fear, happy, sad, surprise, neutral.
    out.emotion = percentages({"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"},
                              {p[3], p[5], p[4], p[1], p[2], p[6], p[0]});
    out.dominant_emotion = dominant(out.emotion);
  }

 private:
  std::shared_ptr<const nn::Graph> net_;
};

}  // namespace

void register_faceapi_analyzers(std::vector<AnalyzerEntry>& entries) {
  entries.push_back({"faceapi-age-gender", {"age", "gender"}, true,
                     "face-api.js AgeGenderNet (TinyXception, 112x112 RGB): age in years, P(male)",
                     [] { return std::make_unique<AgeGenderAnalyzer>(); }});
  entries.push_back({"faceapi-expression", {"emotion"}, true,
                     "face-api.js FaceExpressionNet (112x112 RGB): 7 expressions",
                     [] { return std::make_unique<ExpressionAnalyzer>(); }});
}

}  // namespace facekit::analysis
