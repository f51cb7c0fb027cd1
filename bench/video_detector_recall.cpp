// Which detector can keep up with a video, and what does it miss? For every frame of a clip: the
// reference detector (default: the stills default, dlib-hog:upsample=0) on the full-resolution frame,
// and each candidate on a copy downscaled to its long side, its boxes mapped back. Prints, per
// candidate, its recall of the reference's faces (one-to-one matches at IoU >= 0.5), the faces it
// finds that the reference does not, and its detection time per frame (single thread, this run).
// To tell real misses from boxes drawn differently it also prints the reference's face heights and each
// candidate's recall at a loose IoU >= 0.2 (the face was found, its box just does not overlap 0.5).
//
//   facekit_video_recall [--boxes FILE] CLIP [REFERENCE] CANDIDATE@LONG_SIDE ...   (LONG_SIDE 0 = full resolution)
//
// --boxes FILE: one JSON line per frame with every detector's boxes (x, y, w, h), for further analysis.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "eval/detection_evaluation.hpp"
#include "facekit/components.hpp"
#include "facekit/runtime.hpp"

using namespace facekit;

namespace {

struct Candidate {
  std::string spec;
  int long_side = 0;
  std::unique_ptr<Detector> detector;
  std::size_t matched = 0, loosely_matched = 0, found = 0;
  double ms = 0;
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<Detection> detect_scaled(Detector& detector, const cv::Mat& rgb, int long_side) {
  const int side = std::max(rgb.cols, rgb.rows);
  if (long_side <= 0 || side <= long_side) return detector.detect(rgb);
  const double s = double(long_side) / side;
  cv::Mat small;
  cv::resize(rgb, small, cv::Size(), s, s, cv::INTER_AREA);
  auto faces = detector.detect(small);
  for (auto& f : faces) f.box = {f.box.x / s, f.box.y / s, f.box.width / s, f.box.height / s};
  return faces;
}

// One-to-one matches at IoU >= min_iou, best pairs first (the matching of `facekit eval detect`).
std::size_t count_matches(const std::vector<Detection>& reference, const std::vector<Detection>& found,
                          double min_iou = 0.5) {
  facekit::eval::AnnotatedImage truth;
  for (const auto& r : reference) truth.faces.push_back(r.box);
  std::vector<facekit::Rect> boxes;
  for (const auto& f : found) boxes.push_back(f.box);
  return static_cast<std::size_t>(facekit::eval::match_detections(boxes, truth, min_iou).true_positives);
}

std::string boxes_json(const std::vector<Detection>& faces) {
  std::string out = "[";
  char buffer[96];
  for (const auto& f : faces) {
    std::snprintf(buffer, sizeof buffer, "%s[%.1f,%.1f,%.1f,%.1f]", out.size() > 1 ? "," : "", f.box.x, f.box.y,
                  f.box.width, f.box.height);
    out += buffer;
  }
  return out + "]";
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, std::size_t(p * double(values.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  std::ofstream boxes_out;
  if (argc > 2 && std::string(argv[1]) == "--boxes") {
    boxes_out.open(argv[2]);
    if (!boxes_out) {
      std::cerr << argv[2] << ": cannot write\n";
      return 2;
    }
    first = 3;
  }
  if (argc < first + 2) {
    std::cerr << "usage: facekit_video_recall [--boxes FILE] CLIP [REFERENCE] CANDIDATE@LONG_SIDE ...\n";
    return 2;
  }
  set_num_threads(1);
  const std::string clip = argv[first];
  std::string reference_spec = "dlib-hog:upsample=0";
  std::vector<Candidate> candidates;
  for (int i = first + 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto at = arg.rfind('@');
    if (at == std::string::npos) {
      reference_spec = arg;
      continue;
    }
    Candidate c;
    c.spec = arg.substr(0, at);
    c.long_side = std::stoi(arg.substr(at + 1));
    c.detector = create_detector(c.spec);
    candidates.push_back(std::move(c));
  }
  auto reference = create_detector(reference_spec);
  cv::VideoCapture capture(clip, cv::CAP_FFMPEG);
  if (!capture.isOpened()) {
    std::cerr << clip << ": cannot open\n";
    return 3;
  }
  cv::Mat bgr, rgb;
  std::size_t frames = 0, reference_faces = 0;
  double reference_ms = 0;
  std::vector<double> reference_heights;
  while (capture.read(bgr)) {
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    double t0 = now_ms();
    const auto ref = reference->detect(rgb);
    reference_ms += now_ms() - t0;
    reference_faces += ref.size();
    for (const auto& f : ref) reference_heights.push_back(f.box.height);
    if (boxes_out) boxes_out << "{\"frame\":" << frames << ",\"reference\":" << boxes_json(ref);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      auto& c = candidates[i];
      t0 = now_ms();
      const auto found = detect_scaled(*c.detector, rgb, c.long_side);
      c.ms += now_ms() - t0;
      c.found += found.size();
      c.matched += count_matches(ref, found);
      c.loosely_matched += count_matches(ref, found, 0.2);
      if (boxes_out) boxes_out << ",\"c" << i << "\":" << boxes_json(found);
    }
    if (boxes_out) boxes_out << "}\n";
    ++frames;
  }
  std::printf("clip %s: %zu frames %dx%d, 1 thread, hardware threads %u\n", clip.c_str(), frames, rgb.cols, rgb.rows,
              std::thread::hardware_concurrency());
  std::printf("reference %s at full resolution: %zu faces, %.1f ms/frame\n", reference_spec.c_str(), reference_faces,
              reference_ms / double(std::max<std::size_t>(frames, 1)));
  std::printf("reference face heights (px): min %.0f, 10%% %.0f, median %.0f, 90%% %.0f, max %.0f\n",
              percentile(reference_heights, 0), percentile(reference_heights, 0.1), percentile(reference_heights, 0.5),
              percentile(reference_heights, 0.9), percentile(reference_heights, 1));
  std::printf("%-44s %10s %8s %12s %8s %10s %12s\n", "candidate", "long side", "recall", "IoU>=0.2", "faces", "extra",
              "ms/frame");
  const double n_ref = double(std::max<std::size_t>(reference_faces, 1));
  for (const auto& c : candidates)
    std::printf("%-44s %10d %7.1f%% %11.1f%% %8zu %10zu %12.1f\n", c.spec.c_str(), c.long_side,
                100 * double(c.matched) / n_ref, 100 * double(c.loosely_matched) / n_ref, c.found,
                c.found - c.matched, c.ms / double(std::max<std::size_t>(frames, 1)));
  return 0;
}
