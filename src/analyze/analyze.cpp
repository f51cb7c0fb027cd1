// analyze(): resolving actions to analyzers, running them on every face, and the JSON form.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "analyze/analysis.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace analysis {

// The default analyzer of each action and why is in docs/analysis.md ("Defaults").
const std::vector<std::pair<std::string, std::string>> kDefaults = {
    {"age", "faceapi-age-gender"}, {"gender", "faceapi-age-gender"}, {"emotion", "faceapi-expression"},
    {"race", "gear"},              {"spoof", "antispoof"},
};

namespace {
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

bool serves(const AnalyzerEntry& entry, const std::string& action) {
  return std::find(entry.actions.begin(), entry.actions.end(), action) != entry.actions.end();
}

const std::vector<AnalyzerEntry>& analyzer_entries() {
  static const std::vector<AnalyzerEntry> entries = [] {
    std::vector<AnalyzerEntry> e;
    register_faceapi_analyzers(e);
    register_human_analyzers(e);
    return e;
  }();
  return entries;
}

const AnalyzerEntry& analyzer_entry(const std::string& name) {
  for (const auto& e : analyzer_entries())
    if (e.name == name) return e;
  std::vector<std::string> names;
  for (const auto& e : analyzer_entries()) names.push_back(e.name);
  throw Error(ErrorCode::InvalidArgument, "unknown analysis model '" + name + "' (valid: " + join(names) + ")");
}

AnalysisPlan plan_analysis(const AnalyzeOptions& options) {
  AnalysisPlan plan;
  plan.actions = options.actions.empty() ? std::vector<std::string>{"age", "gender", "emotion", "race"} : options.actions;
  for (const auto& a : plan.actions)
    if (std::find(analyze_actions().begin(), analyze_actions().end(), a) == analyze_actions().end())
      throw Error(ErrorCode::InvalidArgument, "unknown action '" + a + "' (valid: " + join(analyze_actions()) + ")");

  std::map<std::string, std::string> chosen;  // action -> analyzer
  for (const auto& item : options.models) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {  // a bare name serves every requested action it can
      const AnalyzerEntry& entry = analyzer_entry(item);
      bool used = false;
      for (const auto& a : plan.actions)
        if (serves(entry, a)) chosen[a] = item, used = true;
      if (!used)
        throw Error(ErrorCode::InvalidArgument, "analysis model '" + item + "' serves " + join(entry.actions) +
                                                    ", none of the requested actions (" + join(plan.actions) + ")");
      continue;
    }
    const std::string action = item.substr(0, eq), name = item.substr(eq + 1);
    if (std::find(plan.actions.begin(), plan.actions.end(), action) == plan.actions.end())
      throw Error(ErrorCode::InvalidArgument, "model given for action '" + action + "', which is not requested (" +
                                                  join(plan.actions) + ")");
    const AnalyzerEntry& entry = analyzer_entry(name);
    if (!serves(entry, action))
      throw Error(ErrorCode::InvalidArgument, "analysis model '" + name + "' cannot do " + action + " (it does " +
                                                  join(entry.actions) + "; for " + action + ": " +
                                                  join(analyzers_for(action)) + ")");
    chosen[action] = name;
  }
  for (const auto& a : plan.actions)
    if (!chosen.count(a))
      for (const auto& [action, name] : kDefaults)
        if (action == a) chosen[a] = name;

  for (const auto& entry : analyzer_entries()) {
    std::set<std::string> served;
    for (const auto& [action, name] : chosen)
      if (name == entry.name) served.insert(action);
    if (!served.empty()) plan.analyzers.emplace_back(entry.name, std::move(served));
  }
  return plan;
}

FaceAnalyzerSet::FaceAnalyzerSet(const AnalyzeOptions& options) : options_(options), plan_(plan_analysis(options)) {
  bool needs_landmarks = false;
  for (const auto& [name, actions] : plan_.analyzers) {
    const AnalyzerEntry& entry = analyzer_entry(name);
    needs_landmarks |= entry.needs_landmarks;
    analyzers_.push_back(entry.create());
  }
  // Analyzers make their own crops: the aligner only decides whether 68 landmarks are computed.
  PipelineOptions p = options_.pipeline;
  p.align = needs_landmarks ? "faceapi" : "none";
  pipeline_ = std::make_unique<Pipeline>(p);
}

std::vector<FaceAnalysis> FaceAnalyzerSet::run(const cv::Mat& rgb, const std::string& what) {
  std::vector<FaceAnalysis> out;
  for (const PipelineFace& face : pipeline_->run(rgb, what, false)) {
    FaceAnalysis a;
    a.facial_area = facial_area_of(face, rgb.size());
    a.face_confidence = face.whole_image ? 0.0 : face.region.detection.score;
    FaceContext context(rgb, face.region, face.whole_image);
    for (size_t i = 0; i < analyzers_.size(); ++i) {
      const auto& [name, actions] = plan_.analyzers[i];
      analyzers_[i]->analyze(context, actions, a);
      for (const auto& action : actions) a.models[action] = name;
    }
    if (a.antispoof_score) a.is_real = *a.antispoof_score >= options_.spoof_threshold;
    out.push_back(std::move(a));
  }
  return out;
}

SpoofVerdict check_spoof(const cv::Mat& rgb, const PipelineFace& face, double threshold) {
  static const std::string kAnalyzer = "antispoof";
  auto analyzer = analyzer_entry(kAnalyzer).create();  // the graph itself is cached process-wide
  FaceContext context(rgb, face.region, face.whole_image);
  FaceAnalysis a;
  analyzer->analyze(context, {"spoof"}, a);
  return {a.antispoof_score.value_or(0) >= threshold, a.antispoof_score.value_or(0)};
}

}  // namespace analysis

const std::vector<std::string>& analyze_actions() {
  static const std::vector<std::string> actions = {"age", "gender", "emotion", "race", "spoof"};
  return actions;
}

std::vector<std::string> analyzers_for(const std::string& action) {
  std::vector<std::string> out;
  for (const auto& [a, name] : analysis::kDefaults)
    if (a == action) out.push_back(name);
  for (const auto& entry : analysis::analyzer_entries())
    if (analysis::serves(entry, action) && (out.empty() || out[0] != entry.name)) out.push_back(entry.name);
  return out;
}

std::vector<std::pair<std::string, std::string>> analyzer_descriptions() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : analysis::analyzer_entries()) out.emplace_back(e.name, e.description);
  return out;
}

PipelineOptions analyze_pipeline_defaults() {
  PipelineOptions p;
  p.landmarker = "faceapi68";
  return p;
}

std::vector<FaceAnalysis> analyze(const FaceInput& input, const AnalyzeOptions& options) {
  analysis::plan_analysis(options);  // bad actions and model names fail before the image is read
  cv::Mat rgb = input.rgb;
  if (!input.path.empty()) rgb = load_image(input.path, options.pipeline.image);
  if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, "no image given");
  analysis::FaceAnalyzerSet analyzers(options);
  return analyzers.run(rgb, input.path.empty() ? "image" : input.path);
}

namespace {

nlohmann::json scores_json(const Scores& scores) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [label, value] : scores) j[label] = value;
  return j;
}

}  // namespace

void to_json(nlohmann::json& j, const FaceAnalysis& a) {
  j = {{"facial_area", a.facial_area}, {"face_confidence", a.face_confidence}};
  if (a.age) j["age"] = *a.age;
  if (!a.gender.empty()) j["gender"] = scores_json(a.gender), j["dominant_gender"] = a.dominant_gender;
  if (!a.emotion.empty()) j["emotion"] = scores_json(a.emotion), j["dominant_emotion"] = a.dominant_emotion;
  if (!a.race.empty()) j["race"] = scores_json(a.race), j["dominant_race"] = a.dominant_race;
  if (a.is_real) j["is_real"] = *a.is_real;
  if (a.antispoof_score) j["antispoof_score"] = *a.antispoof_score;
  j["models"] = a.models;
}

}  // namespace facekit
