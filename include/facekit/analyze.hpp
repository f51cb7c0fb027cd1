// deepface's `analyze` verb: age, gender, emotion and race of every face, plus anti-spoofing.
//   analyze(img)                           -> one FaceAnalysis per face, default model per action
//   analyze(img, {.actions = {"age"}})     -> only what was asked
// Each action is served by an analyzer chosen by name (docs/analysis.md lists them, their class
// orders and why each default was chosen).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "facekit/facekit.hpp"

namespace facekit {

// The actions, in deepface's order, plus "spoof" (deepface's anti_spoofing).
const std::vector<std::string>& analyze_actions();
// The analyzers that can serve an action, default first.
std::vector<std::string> analyzers_for(const std::string& action);
// Every analyzer name with a one-line description.
std::vector<std::pair<std::string, std::string>> analyzer_descriptions();

// Probabilities in percent (0..100) as deepface reports them, in the model's class order.
using Scores = std::vector<std::pair<std::string, double>>;

struct FaceAnalysis {
  FacialArea facial_area;
  double face_confidence = 0;   // detector score, 0 when the whole image was used
  std::optional<double> age;
  Scores gender;                // {"Woman", "Man"}
  std::string dominant_gender;
  Scores emotion;               // {angry, disgust, fear, happy, sad, surprise, neutral}
  std::string dominant_emotion;
  Scores race;                  // the model's own classes (gear: white, black, asian, indian, other)
  std::string dominant_race;
  std::optional<bool> is_real;
  std::optional<double> antispoof_score;  // 0..1, higher = more likely a live face
  std::map<std::string, std::string> models;  // action -> analyzer that produced it
};

// Detector, landmarker and alignment for analysis: the project's default detector with face-api's
// 68-point landmarker, whose points give the face-api nets the crop they were built for.
PipelineOptions analyze_pipeline_defaults();

struct AnalyzeOptions {
  PipelineOptions pipeline = analyze_pipeline_defaults();
  // Empty = age, gender, emotion, race (deepface's default). Unknown names throw InvalidArgument
  // listing the valid ones.
  std::vector<std::string> actions;
  // Per-action analyzer choice: "age=gear", "emotion=emotion", or a bare analyzer name, which then
  // serves every requested action it can. Unset actions use their default analyzer.
  std::vector<std::string> models;
  double spoof_threshold = 0.5;  // is_real = antispoof_score >= threshold
};

std::vector<FaceAnalysis> analyze(const FaceInput& input, const AnalyzeOptions& options = {});

// Batch: image files and folders (searched recursively for .jpg/.jpeg/.png/.webp/.bmp) in, one
// result per image out, `threads` images at a time (0 = all cores). `on_image` is called once per
// image, in input order, as results become available; an image that fails carries its error and
// does not stop the others.
struct ImageAnalysis {
  std::string path;
  std::vector<FaceAnalysis> faces;
  std::optional<ErrorCode> error;
  std::string error_message;
};
std::vector<std::string> expand_image_inputs(const std::vector<std::string>& files_or_folders);
void analyze_images(const std::vector<std::string>& paths, const AnalyzeOptions& options, int threads,
                    const std::function<void(const ImageAnalysis&)>& on_image);

void to_json(nlohmann::json& j, const FaceAnalysis& a);

}  // namespace facekit
