// `facekit verify`, `represent` and `detect`.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "common_options.hpp"
#include "facekit/facekit.hpp"
#include "facekit/runtime.hpp"

namespace fs = std::filesystem;

namespace facekit::cli {
namespace {

std::string format_point(const std::optional<Point>& p) {
  if (!p) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << "(" << p->x << "," << p->y << ")";
  return s.str();
}

int run_verify(CommonOptions& common, const std::string& img1, const std::string& img2, const std::string& metric,
               std::optional<double> threshold) {
  VerifyOptions options;
  options.pipeline = common.resolved();
  options.metric = metric;
  options.threshold = threshold;
  const VerifyResult r = verify(FaceInput::file(img1), FaceInput::file(img2), options);
  if (common.json) {
    std::cout << nlohmann::json(r).dump(2) << "\n";
  } else {
    std::cout << (r.verified ? "same person" : "different people") << ": " << r.metric << " distance "
              << std::setprecision(4) << r.distance << (r.verified ? " <= " : " > ") << "threshold " << r.threshold
              << ", confidence " << std::setprecision(3) << r.confidence << "% (" << r.model << ", " << r.detector
              << ", align " << r.align << ", " << std::setprecision(4) << r.time_ms << " ms)\n";
  }
  return 0;
}

int run_represent(CommonOptions& common, const std::string& img) {
  const PipelineOptions options = common.resolved();
  const auto reps = represent(FaceInput::file(img), options);
  nlohmann::json out = {{"model", options.model}, {"detector", options.detector}, {"align", options.align},
                        {"results", reps}};
  if (common.json) {
    std::cout << out.dump() << "\n";
  } else {
    for (size_t i = 0; i < reps.size(); ++i) {
      const auto& a = reps[i].facial_area;
      std::cout << "face " << i << ": box " << a.x << "," << a.y << " " << a.w << "x" << a.h << ", confidence "
                << reps[i].face_confidence << ", " << reps[i].embedding.size() << "-D embedding\n";
    }
  }
  return 0;
}

int run_detect(CommonOptions& common, const std::string& img, const std::string& crops_dir) {
  const PipelineOptions options = common.resolved();
  const auto faces = extract_faces(FaceInput::file(img), options);
  if (!crops_dir.empty()) fs::create_directories(crops_dir);
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < faces.size(); ++i) {
    const auto& f = faces[i];
    nlohmann::json item = {{"facial_area", f.facial_area}, {"confidence", f.confidence}};
    item["landmarks"] = f.landmarks;
    if (!crops_dir.empty()) {
      const fs::path out = fs::path(crops_dir) / (fs::path(img).stem().string() + "_face" + std::to_string(i) + ".png");
      cv::Mat bgr;
      cv::cvtColor(f.face, bgr, cv::COLOR_RGB2BGR);
      if (!cv::imwrite(out.string(), bgr)) throw Error(ErrorCode::FileNotFound, out.string() + ": cannot write");
      item["crop"] = out.string();
    }
    list.push_back(item);
    if (!common.json) {
      const auto& a = f.facial_area;
      std::cout << "face " << i << ": box " << a.x << "," << a.y << " " << a.w << "x" << a.h << ", score "
                << std::setprecision(3) << f.confidence << ", eyes L" << format_point(a.left_eye) << " R"
                << format_point(a.right_eye) << (item.contains("crop") ? ", crop " + item["crop"].get<std::string>() : "")
                << "\n";
    }
  }
  if (common.json)
    std::cout << nlohmann::json({{"detector", options.detector}, {"align", options.align}, {"faces", list}}).dump(2)
              << "\n";
  return 0;
}

}  // namespace

void add_face_commands(CLI::App& app, CommandList& commands) {
  {
    auto* cmd = app.add_subcommand("verify", "are two photos of the same person?");
    auto common = std::make_shared<CommonOptions>();
    auto img1 = std::make_shared<std::string>(), img2 = std::make_shared<std::string>();
    auto metric = std::make_shared<std::string>("euclidean");
    auto threshold = std::make_shared<std::optional<double>>();
    cmd->add_option("img1", *img1, "first image (or a JSON embedding file from `represent --json`)")->required();
    cmd->add_option("img2", *img2, "second image (or a JSON embedding file)")->required();
    cmd->add_option("--metric", *metric, "cosine, euclidean, euclidean_l2, angular")->capture_default_str();
    cmd->add_option_function<double>("--threshold", [threshold](double v) { *threshold = v; },
                                     "distance threshold (default: the model's)");
    common->add_to(cmd);
    commands.push_back({cmd, [=] { return run_verify(*common, *img1, *img2, *metric, *threshold); }});
  }
  {
    auto* cmd = app.add_subcommand("represent", "one embedding per face");
    auto common = std::make_shared<CommonOptions>();
    auto img = std::make_shared<std::string>();
    cmd->add_option("img", *img, "image")->required();
    common->add_to(cmd);
    commands.push_back({cmd, [=] { return run_represent(*common, *img); }});
  }
  {
    auto* cmd = app.add_subcommand("detect", "faces with box, score and landmarks; aligned crops");
    auto common = std::make_shared<CommonOptions>();
    auto img = std::make_shared<std::string>(), crops = std::make_shared<std::string>();
    cmd->add_option("img", *img, "image")->required();
    cmd->add_option("--crops", *crops, "write aligned face crops as PNG into this directory");
    common->add_to(cmd);
    commands.push_back({cmd, [=] { return run_detect(*common, *img, *crops); }});
  }
}

}  // namespace facekit::cli
