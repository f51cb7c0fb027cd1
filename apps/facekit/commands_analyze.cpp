// `facekit analyze IMG... [--actions ...] [--models ...] [--json]`: age, gender, emotion, race and
// anti-spoofing for every face; several images or folders are analysed on all cores.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "facekit/analyze.hpp"
#include "facekit/runtime.hpp"

namespace facekit::cli {
namespace {

struct AnalyzeArgs {
  std::vector<std::string> inputs;
  std::string actions, models;  // comma lists: a single token each, so that images may follow
  AnalyzeOptions options;
  bool allow_no_face = false;
  bool json = false;
  bool list = false;
  int threads = 0;
};

std::string format_scores(const Scores& scores) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  for (size_t i = 0; i < scores.size(); ++i) s << (i ? " " : "") << scores[i].first << " " << scores[i].second << "%";
  return s.str();
}

void print_text(const ImageAnalysis& image) {
  for (size_t i = 0; i < image.faces.size(); ++i) {
    const FaceAnalysis& f = image.faces[i];
    const auto& a = f.facial_area;
    std::cout << image.path << " face " << i << ": box " << a.x << "," << a.y << " " << a.w << "x" << a.h;
    if (f.age) std::cout << ", age " << std::fixed << std::setprecision(1) << *f.age;
    if (!f.gender.empty()) std::cout << ", " << f.dominant_gender << " (" << format_scores(f.gender) << ")";
    if (!f.emotion.empty()) std::cout << ", " << f.dominant_emotion << " (" << format_scores(f.emotion) << ")";
    if (!f.race.empty()) std::cout << ", " << f.dominant_race << " (" << format_scores(f.race) << ")";
    if (f.is_real)
      std::cout << ", " << (*f.is_real ? "real" : "spoof") << " (score " << std::setprecision(3) << *f.antispoof_score
                << ")";
    std::cout << "\n";
  }
}

int list_models() {
  for (const auto& action : analyze_actions()) {
    std::cout << action << ":";
    const auto names = analyzers_for(action);
    for (size_t i = 0; i < names.size(); ++i) std::cout << " " << names[i] << (i == 0 ? " (default)" : "");
    std::cout << "\n";
  }
  std::cout << "\n";
  for (const auto& [name, description] : analyzer_descriptions()) std::cout << name << ": " << description << "\n";
  return 0;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int run_analyze(AnalyzeArgs& args) {
  if (args.list) return list_models();
  args.options.actions = split_commas(args.actions);
  args.options.models = split_commas(args.models);
  if (args.inputs.empty()) throw Error(ErrorCode::InvalidArgument, "no image given (IMG... or a folder)");
  set_num_threads(args.threads);
  args.options.pipeline.enforce_detection = !args.allow_no_face;
  const auto paths = expand_image_inputs(args.inputs);
  std::optional<ErrorCode> first_error;
  analyze_images(paths, args.options, args.threads, [&](const ImageAnalysis& image) {
    if (image.error) {
      std::cerr << "facekit: error: " << image.error_message << "\n";
      if (!first_error) first_error = image.error;
      return;
    }
    if (!args.json) return print_text(image);
    for (size_t i = 0; i < image.faces.size(); ++i) {
      nlohmann::json line = image.faces[i];
      line["img"] = image.path;
      line["face_index"] = i;
      std::cout << line.dump() << "\n";
    }
    std::cout.flush();
  });
  return first_error ? exit_code(*first_error) : 0;
}

}  // namespace

void add_analyze_commands(CLI::App& app, CommandList& commands) {
  auto* cmd = app.add_subcommand("analyze", "age, gender, emotion, race and anti-spoofing for every face");
  auto args = std::make_shared<AnalyzeArgs>();
  PipelineOptions& p = args->options.pipeline;
  cmd->add_option("img", args->inputs, "images and/or folders (several: analysed in parallel)");
  cmd->add_option("--actions", args->actions, "comma list of age, gender, emotion, race, spoof "
                                              "(default: age,gender,emotion,race)");
  cmd->add_option("--models", args->models,
                  "comma list of ACTION=MODEL or MODEL (e.g. age=gear,emotion=emotion); see --list-models");
  cmd->add_flag("--list-models", args->list, "list the models of each action and exit");
  cmd->add_option("--spoof-threshold", args->options.spoof_threshold, "is_real when antispoof_score >= this")
      ->capture_default_str();
  cmd->add_option("--detector", p.detector, "face detector (NAME[:key=value,...])")->capture_default_str();
  cmd->add_option("--landmarker", p.landmarker, "68-point landmarks for the face-api nets' crop")->capture_default_str();
  cmd->add_option("--max-pixels", p.image.max_pixels, "refuse larger images")->capture_default_str();
  cmd->add_flag("--allow-no-face", args->allow_no_face, "use the whole image when no face is found");
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)");
  cmd->add_flag("--json", args->json, "one JSON line per face (deepface's field names)");
  commands.push_back({cmd, [args] { return run_analyze(*args); }});
}

}  // namespace facekit::cli
