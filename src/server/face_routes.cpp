// POST /represent, /verify, /extract_faces, /analyze: deepface's verbs over the library's.
#include <algorithm>
#include <chrono>
#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/analyze.hpp"
#include "server/base64.hpp"
#include "server/http_error.hpp"
#include "server/routes.hpp"

namespace facekit::server {
namespace {

std::string png_data_uri(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", bgr, png)) throw Error(ErrorCode::Internal, "cannot encode a face as PNG");
  return "data:image/png;base64," + base64_encode(png.data(), png.size());
}

// deepface's actions: a JSON list, or (form fields) text such as "[age, gender]" or "age,gender".
std::vector<std::string> action_list(const RequestArgs& args) {
  const auto value = args.value("actions");
  std::vector<std::string> actions;
  if (!value) return actions;
  if (value->is_array()) {
    for (const auto& a : *value) {
      if (!a.is_string()) throw HttpError(400, "field 'actions' must be a list of action names");
      actions.push_back(a.get<std::string>());
    }
  } else if (value->is_string()) {
    std::string item;
    for (char c : value->get<std::string>() + ",") {
      if (c == ',') {
        if (!item.empty()) actions.push_back(item);
        item.clear();
      } else if (!std::strchr("[]()'\" ", c)) {
        item += c;
      }
    }
  } else {
    throw HttpError(400, "field 'actions' must be a list of action names");
  }
  return actions;
}

}  // namespace

cv::Mat request_image(const ServerContext& ctx, const RequestArgs& args, const std::string& key,
                      const PipelineOptions& options, std::vector<std::uint8_t>* bytes) {
  ImageUpload upload = args.image(key, ctx.sources);
  cv::Mat rgb = decode_image(upload.bytes, upload.what, options.image);
  if (bytes) *bytes = std::move(upload.bytes);
  return rgb;
}

nlohmann::json represent_route(ServerContext& ctx, const RequestArgs& args) {
  const PipelineOptions options = pipeline_options(args, ctx.options.pipeline, ctx.options.limits);
  const cv::Mat rgb = request_image(ctx, args, "img", options);
  return {{"results", represent(FaceInput::image(rgb), options)},
          {"model", options.model},
          {"detector_backend", options.detector}};
}

nlohmann::json verify_route(ServerContext& ctx, const RequestArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  VerifyOptions options;
  options.pipeline = pipeline_options(args, ctx.options.pipeline, ctx.options.limits);
  if (auto metric = args.text("distance_metric")) options.metric = *metric;
  options.threshold = args.number("threshold");
  // Both images are read before any model runs, so that a bad second image fails fast.
  const cv::Mat img1 = request_image(ctx, args, "img1", options.pipeline);
  const cv::Mat img2 = request_image(ctx, args, "img2", options.pipeline);
  nlohmann::json out = verify(FaceInput::image(img1), FaceInput::image(img2), options);
  // deepface's names for the same facts, beside facekit's.
  out["detector_backend"] = out["detector"];
  out["similarity_metric"] = out["metric"];
  out["time"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

nlohmann::json extract_faces_route(ServerContext& ctx, const RequestArgs& args) {
  const PipelineOptions options = pipeline_options(args, ctx.options.pipeline, ctx.options.limits);
  const bool return_face = args.boolean("return_face").value_or(true);
  const cv::Mat rgb = request_image(ctx, args, "img", options);
  nlohmann::json results = nlohmann::json::array();
  for (const auto& face : extract_faces(FaceInput::image(rgb), options)) {
    nlohmann::json item = {{"facial_area", face.facial_area}, {"confidence", face.confidence}};
    if (return_face) item["face"] = png_data_uri(face.face);
    if (face.is_real) item["is_real"] = *face.is_real;
    if (face.antispoof_score) item["antispoof_score"] = *face.antispoof_score;
    results.push_back(std::move(item));
  }
  return {{"results", results}, {"detector_backend", options.detector}};
}

nlohmann::json analyze_route(ServerContext& ctx, const RequestArgs& args) {
  AnalyzeOptions options;
  // Analysis has its own pipeline defaults (face-api's landmarks give its nets their crop); the
  // request's fields apply on top of them, under the server's limits.
  options.pipeline = pipeline_options(args, analyze_pipeline_defaults(), ctx.options.limits);
  options.actions = action_list(args);
  if (options.pipeline.anti_spoofing &&
      std::find(options.actions.begin(), options.actions.end(), "spoof") == options.actions.end()) {
    if (options.actions.empty()) options.actions = {"age", "gender", "emotion", "race"};
    options.actions.push_back("spoof");
  }
  if (auto models = args.value("models")) {
    if (!models->is_array()) throw HttpError(400, "field 'models' must be a list such as [\"age=gear\"]");
    for (const auto& m : *models) {
      if (!m.is_string()) throw HttpError(400, "field 'models' must be a list of strings");
      options.models.push_back(m.get<std::string>());
    }
  }
  const cv::Mat rgb = request_image(ctx, args, "img", options.pipeline);
  return {{"results", analyze(FaceInput::image(rgb), options)}};
}

}  // namespace facekit::server
