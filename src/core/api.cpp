// The user-level verbs (facekit.hpp) on top of Pipeline.
#include <chrono>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "analyze/analysis.hpp"
#include "core/pipeline.hpp"
#include "facekit/facekit.hpp"
#include "core/text.hpp"
#include "verify/distance.hpp"

namespace facekit {
namespace {

// A JSON file written by `facekit represent --json` (or a bare array of numbers) as embeddings.
std::vector<std::vector<float>> read_embedding_file(const std::string& path, const std::string& model) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::DecodeFailed, path + ": not a valid embedding JSON file (" + e.what() + ")");
  }
  if (j.is_object() && j.contains("model") && j["model"] != model)
    throw Error(ErrorCode::InvalidArgument, path + ": embeddings were made by model " + j["model"].dump() +
                                                ", not " + model);
  const nlohmann::json& list = j.is_object() && j.contains("results") ? j["results"] : j;
  std::vector<std::vector<float>> out;
  try {
    if (list.is_array() && !list.empty() && list[0].is_number()) {
      out.push_back(list.get<std::vector<float>>());
    } else if (list.is_array()) {
      for (const auto& item : list) out.push_back(item.at("embedding").get<std::vector<float>>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::DecodeFailed, path + ": embedding JSON has an unexpected layout (" + e.what() + ")");
  }
  if (out.empty()) throw Error(ErrorCode::DecodeFailed, path + ": no embedding in the file");
  return out;
}

bool is_json_path(const std::string& path) {
  return std::filesystem::path(path).extension() == ".json";
}

cv::Mat input_image(const FaceInput& input, const PipelineOptions& options) {
  if (!input.path.empty()) return load_image(input.path, options.image);
  if (input.rgb.empty()) throw Error(ErrorCode::InvalidArgument, "no image given");
  return input.rgb;
}

std::string input_name(const FaceInput& input) { return input.path.empty() ? "image" : input.path; }

// deepface's anti_spoofing for represent and verify: a face judged not real stops the call.
void refuse_spoof(const cv::Mat& rgb, const PipelineFace& face, const std::string& what, const PipelineOptions& options) {
  if (!options.anti_spoofing) return;
  const auto verdict = analysis::check_spoof(rgb, face, options.spoof_threshold);
  if (!verdict.is_real) {
    const FacialArea a = facial_area_of(face, rgb.size());
    throw Error(ErrorCode::NoFace, what + ": spoof detected (face at " + std::to_string(a.x) + "," + std::to_string(a.y) +
                                       " " + std::to_string(a.w) + "x" + std::to_string(a.h) + ": antispoof score " +
                                       std::to_string(verdict.score) + " < " +
                                       std::to_string(options.spoof_threshold) + ")");
  }
}

}  // namespace

std::vector<ExtractedFace> extract_faces(const FaceInput& input, const PipelineOptions& options) {
  const cv::Mat rgb = input_image(input, options);
  Pipeline pipeline(options);
  std::vector<ExtractedFace> out;
  for (auto& f : pipeline.run(rgb, input_name(input), false)) {
    ExtractedFace e{f.chip, facial_area_of(f, rgb.size()), f.whole_image ? 0.0 : f.region.detection.score,
                    f.region.landmarks};
    if (options.anti_spoofing) {
      const auto verdict = analysis::check_spoof(rgb, f, options.spoof_threshold);
      e.is_real = verdict.is_real;
      e.antispoof_score = verdict.score;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Representation> represent(const FaceInput& input, const PipelineOptions& options) {
  const cv::Mat rgb = input_image(input, options);
  Pipeline pipeline(options);
  std::vector<Representation> out;
  for (auto& f : pipeline.run(rgb, input_name(input), true)) {
    refuse_spoof(rgb, f, input_name(input), options);
    out.push_back({std::move(f.embedding), facial_area_of(f, rgb.size()),
                   f.whole_image ? 0.0 : f.region.detection.score});
  }
  return out;
}

namespace {

// One side of a verification, read before any model is loaded so that bad input fails fast.
struct VerifySide {
  std::string name;
  cv::Mat rgb;
  std::vector<std::vector<float>> embeddings;  // precomputed
};

VerifySide read_side(const FaceInput& input, const PipelineOptions& options) {
  VerifySide side{input_name(input), {}, input.embeddings};
  if (!side.embeddings.empty()) return side;
  if (!input.path.empty() && is_json_path(input.path))
    side.embeddings = read_embedding_file(input.path, options.model);
  else
    side.rgb = input_image(input, options);
  return side;
}

std::vector<Representation> representations_of(const VerifySide& side, Pipeline& pipeline) {
  std::vector<Representation> reps;
  for (const auto& e : side.embeddings) reps.push_back({e, {}, 0.0});
  if (side.rgb.empty()) return reps;
  for (auto& f : pipeline.run(side.rgb, side.name, true)) {
    refuse_spoof(side.rgb, f, side.name, pipeline.options());
    reps.push_back({std::move(f.embedding), facial_area_of(f, side.rgb.size()),
                    f.whole_image ? 0.0 : f.region.detection.score});
  }
  return reps;
}

}  // namespace

VerifyResult verify(const FaceInput& img1, const FaceInput& img2, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Metric metric = parse_metric(options.metric);
  const Threshold threshold = options.threshold ? Threshold{*options.threshold, *options.threshold, 0, "user"}
                                                : default_threshold(options.pipeline.model, metric);
  const VerifySide side1 = read_side(img1, options.pipeline), side2 = read_side(img2, options.pipeline);
  Pipeline pipeline(options.pipeline);
  const auto reps1 = representations_of(side1, pipeline);
  const auto reps2 = representations_of(side2, pipeline);

  // Several faces on either side: the closest pair decides, as in deepface.
  VerifyResult r;
  r.distance = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < reps1.size(); ++i) {
    for (size_t j = 0; j < reps2.size(); ++j) {
      const double d = distance(reps1[i].embedding, reps2[j].embedding, metric);
      if (d < r.distance) {
        r.distance = d;
        r.img1_face_index = static_cast<int>(i);
        r.img2_face_index = static_cast<int>(j);
      }
    }
  }
  r.img1_area = reps1[r.img1_face_index].facial_area;
  r.img2_area = reps2[r.img2_face_index].facial_area;
  r.img1_faces = static_cast<int>(reps1.size());
  r.img2_faces = static_cast<int>(reps2.size());
  r.threshold = threshold.value;
  r.verified = r.distance <= threshold.value;
  r.confidence = verdict_confidence(r.distance, threshold, r.verified);
  r.model = options.pipeline.model;
  r.detector = options.pipeline.detector;
  r.align = pipeline.options().align;
  r.metric = metric_name(metric);
  r.time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void to_json(nlohmann::json& j, const Point& p) { j = nlohmann::json::array({p.x, p.y}); }

void to_json(nlohmann::json& j, const FacialArea& a) {
  j = {{"x", a.x}, {"y", a.y}, {"w", a.w}, {"h", a.h}};
  j["left_eye"] = a.left_eye ? nlohmann::json(*a.left_eye) : nlohmann::json(nullptr);
  j["right_eye"] = a.right_eye ? nlohmann::json(*a.right_eye) : nlohmann::json(nullptr);
}

void to_json(nlohmann::json& j, const Representation& r) {
  j = {{"embedding", r.embedding}, {"facial_area", r.facial_area}, {"face_confidence", r.face_confidence}};
}

void to_json(nlohmann::json& j, const VerifyResult& r) {
  j = {{"verified", r.verified},
       {"distance", r.distance},
       {"threshold", r.threshold},
       {"confidence", r.confidence},
       {"model", r.model},
       {"detector", r.detector},
       {"align", r.align},
       {"metric", r.metric},
       {"facial_areas", {{"img1", r.img1_area}, {"img2", r.img2_area}}},
       {"faces", {{"img1", r.img1_faces}, {"img2", r.img2_faces}}},
       {"closest_faces", {{"img1", r.img1_face_index}, {"img2", r.img2_face_index}}},
       {"time_ms", r.time_ms}};
}

}  // namespace facekit
