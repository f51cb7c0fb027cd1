// `facekit eval detect`: recall and precision of detectors on annotated faces (IoU matching), with the
// time per image, e.g. on dlib's testing.xml (docs/models.md "Detection quality").
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "eval/detection_evaluation.hpp"
#include "facekit/components.hpp"
#include "facekit/image.hpp"
#include "facekit/runtime.hpp"

namespace fs = std::filesystem;

namespace facekit::cli {
namespace {

struct DetectEvalOptions {
  std::string annotations, root;
  std::vector<std::string> detectors{"dlib-hog:upsample=0"};
  double iou = 0.5;
  int threads = 1;
  bool json = false;
};

nlohmann::json evaluate_detector(const std::string& spec, const std::vector<eval::AnnotatedImage>& images,
                                 const std::vector<cv::Mat>& pixels, double iou) {
  auto detector = create_detector(spec);
  detector->detect(pixels.front());  // warm-up: first-call allocations are not what a user waits for per image
  eval::MatchCounts total;
  std::vector<double> ms;
  int faces = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto found = detector->detect(pixels[i]);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    std::vector<Rect> boxes;
    for (const auto& d : found) boxes.push_back(d.box);
    total += eval::match_detections(boxes, images[i], iou);
    faces += static_cast<int>(images[i].faces.size());
  }
  std::sort(ms.begin(), ms.end());
  const double tp = total.true_positives, detections = total.true_positives + total.false_positives;
  const double recall = faces ? tp / faces : 0, precision = detections ? tp / detections : 0;
  double mean = 0;
  for (double v : ms) mean += v / ms.size();
  return {{"detector", spec},
          {"faces", faces},
          {"true_positives", total.true_positives},
          {"false_positives", total.false_positives},
          {"false_negatives", total.false_negatives},
          {"recall", recall},
          {"precision", precision},
          {"f1", recall + precision > 0 ? 2 * recall * precision / (recall + precision) : 0},
          {"ms_per_image_mean", mean},
          {"ms_per_image_median", ms[ms.size() / 2]}};
}

int run_eval_detect(const DetectEvalOptions& o) {
  const auto images = eval::read_face_annotations(o.annotations);
  const fs::path root = o.root.empty() ? fs::path(o.annotations).parent_path() : fs::path(o.root);
  std::vector<cv::Mat> pixels;
  for (const auto& im : images) pixels.push_back(load_image((root / im.file).string()));  // names the file on error
  set_num_threads(o.threads);
  nlohmann::json out = {{"annotations", o.annotations}, {"images", images.size()}, {"iou_threshold", o.iou},
                        {"threads", num_threads()}, {"detectors", nlohmann::json::array()}};
  for (const auto& spec : o.detectors) out["detectors"].push_back(evaluate_detector(spec, images, pixels, o.iou));
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << o.annotations << ": " << images.size() << " images, IoU >= " << o.iou << ", " << num_threads()
            << " thread(s)\n";
  std::cout << std::left << std::setw(34) << "detector" << std::right << std::setw(7) << "recall" << std::setw(10)
            << "precision" << std::setw(7) << "F1" << std::setw(6) << "TP" << std::setw(6) << "FP" << std::setw(6)
            << "FN" << std::setw(14) << "ms/image" << "\n";
  for (const auto& d : out["detectors"])
    std::cout << std::left << std::setw(34) << d["detector"].get<std::string>() << std::right << std::fixed
              << std::setprecision(3) << std::setw(7) << d["recall"].get<double>() << std::setw(10)
              << d["precision"].get<double>() << std::setw(7) << d["f1"].get<double>() << std::setw(6)
              << d["true_positives"].get<int>() << std::setw(6) << d["false_positives"].get<int>() << std::setw(6)
              << d["false_negatives"].get<int>() << std::setprecision(1) << std::setw(14)
              << d["ms_per_image_median"].get<double>() << "\n";
  return 0;
}

}  // namespace

void add_eval_detect_command(CLI::App& eval, CommandList& commands) {
  auto* detect = eval.add_subcommand("detect", "detector recall / precision on annotated faces (IoU matching)");
  auto o = std::make_shared<DetectEvalOptions>();
  detect->add_option("--annotations", o->annotations, "dlib imglab XML, or CSV file,x,y,width,height")->required();
  detect->add_option("--root", o->root, "folder the image paths are relative to (default: the file's folder)");
  // Repeated rather than comma-separated: a spec's own options are comma-separated.
  detect->add_option("--detector", o->detectors, "detector spec; repeat for several")->capture_default_str();
  detect->add_option("--iou", o->iou, "IoU a detection needs to count for a face")->capture_default_str();
  detect->add_option("--threads", o->threads, "threads per detector (0 = all cores)")->capture_default_str();
  detect->add_flag("--json", o->json, "JSON on stdout");
  commands.push_back({detect, [o] { return run_eval_detect(*o); }});
}

}  // namespace facekit::cli
