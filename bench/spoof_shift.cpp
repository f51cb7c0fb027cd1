// Anti-spoofing measurement (not a test: no labelled spoof set exists here). For each real face
// image, a "re-photographed" copy is simulated (shown on an RGB-stripe screen, captured by a camera
// at a slight angle and another scale: moire; screen gamma and black level; lens blur), and the
// antispoof_score of every spoof model is compared between the two. Prints a Markdown table.
//   facekit_spoof_shift [--limit N] [--detector SPEC] DIR_OR_IMAGE...
// Detector "none" (the default) for face crops; otherwise the most confident face of each image (the
// whole image when none is found).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "facekit/analyze.hpp"
#include "facekit/runtime.hpp"

using namespace facekit;

namespace {

// The screen: every image pixel becomes 3x3 screen pixels, each column one of the R, G, B sub-pixels
// (with light leaking to the neighbours); the camera then samples that at 1/3.4 scale, rotated 2 deg,
// which aliases the sub-pixel grid into moire. The screen's gamma (2.2 -> 1.8 mismatch), raised black
// level and lower contrast, then a Gaussian lens blur (sigma 0.8 px).
cv::Mat rephotograph(const cv::Mat& rgb) {
  constexpr int kScreen = 3;
  cv::Mat screen;
  cv::resize(rgb, screen, {}, kScreen, kScreen, cv::INTER_NEAREST);
  screen.convertTo(screen, CV_32FC3, 1.0 / 255);
  for (int y = 0; y < screen.rows; ++y)
    for (int x = 0; x < screen.cols; ++x) {
      cv::Vec3f& p = screen.at<cv::Vec3f>(y, x);
      const int sub = x % kScreen;
      for (int c = 0; c < 3; ++c) p[c] *= c == sub ? 1.0f : 0.25f;
    }
  const cv::Point2f centre(screen.cols / 2.f, screen.rows / 2.f);
  const double scale = 1.0 / 3.4;
  cv::Mat m = cv::getRotationMatrix2D(centre, 2.0, scale);
  m.at<double>(0, 2) += rgb.cols / 2.0 - centre.x;
  m.at<double>(1, 2) += rgb.rows / 2.0 - centre.y;
  cv::Mat captured;
  cv::warpAffine(screen, captured, m, rgb.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  captured.convertTo(captured, -1, 3.0 / (1.0 + 2 * 0.25));  // undo the sub-pixel mask's mean dimming
  cv::pow(cv::max(captured, 0.0), 2.2 / 1.8, captured);
  captured.convertTo(captured, -1, 0.88, 0.06);
  cv::GaussianBlur(captured, captured, {0, 0}, 0.8);
  cv::Mat out;
  captured.convertTo(out, CV_8UC3, 255);
  return out;
}

struct Stats {
  std::vector<double> original, rephoto;
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

double fraction_at_least(const std::vector<double>& v, double t) {
  return v.empty() ? 0 : double(std::count_if(v.begin(), v.end(), [&](double x) { return x >= t; })) / v.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  size_t limit = 0;
  std::string detector = "none";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--limit" && i + 1 < argc) limit = std::stoul(argv[++i]);
    else if (a == "--detector" && i + 1 < argc) detector = argv[++i];
    else inputs.push_back(a);
  }
  if (inputs.empty()) {
    std::cerr << "usage: facekit_spoof_shift [--limit N] [--detector SPEC] DIR_OR_IMAGE...\n";
    return 2;
  }
  auto paths = expand_image_inputs(inputs);
  if (limit && paths.size() > limit) paths.resize(limit);
  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, Stats> stats;
  for (const std::string model : {"antispoof", "liveness"}) {
    AnalyzeOptions o;
    o.actions = {"spoof"};
    o.models = {model};
    o.pipeline.detector = detector;
    o.pipeline.enforce_detection = false;
    for (const auto& path : paths) {
      const cv::Mat rgb = load_image(path);
      const auto original = analyze(FaceInput::image(rgb), o);
      const auto rephoto = analyze(FaceInput::image(rephotograph(rgb)), o);
      stats[model].original.push_back(*original.at(0).antispoof_score);
      stats[model].rephoto.push_back(*rephoto.at(0).antispoof_score);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "machine: " << std::thread::hardware_concurrency() << " logical CPUs, engine threads "
            << num_threads() << "; detector " << detector << "; " << paths.size() << " images; " << std::fixed << std::setprecision(1) << seconds
            << " s\n\n";
  std::cout << "| model | mean score, original | mean score, re-photographed | mean shift | "
               "is_real (>= 0.5), original | is_real, re-photographed | re-photographed scored lower |\n"
               "|---|---|---|---|---|---|---|\n";
  std::cout << std::setprecision(3);
  for (const auto& [model, s] : stats) {
    int lower = 0;
    for (size_t i = 0; i < s.original.size(); ++i) lower += s.rephoto[i] < s.original[i];
    std::cout << "| " << model << " | " << mean(s.original) << " | " << mean(s.rephoto) << " | "
              << mean(s.rephoto) - mean(s.original) << " | " << fraction_at_least(s.original, 0.5) << " | "
              << fraction_at_least(s.rephoto, 0.5) << " | " << lower << " / " << s.original.size() << " |\n";
  }
  return 0;
}
