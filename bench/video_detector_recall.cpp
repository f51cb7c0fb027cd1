// Which detector can keep up with a video, and what does it miss? For every frame of a clip: the
// reference detector (default: the stills default, dlib-hog:upsample=0) on the full-resolution frame,
// and each candidate on a copy downscaled to its long side, its boxes mapped back. Prints, per
// candidate, its recall of the reference's faces (one-to-one matches at IoU >= 0.5), the faces it
// finds that the reference does not, and its detection time per frame (single thread, this run).
//
//   facekit_video_recall CLIP [REFERENCE] CANDIDATE@LONG_SIDE ...     (LONG_SIDE 0 = full resolution)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "facekit/components.hpp"
#include "facekit/runtime.hpp"

using namespace facekit;

namespace {

struct Candidate {
  std::string spec;
  int long_side = 0;
  std::unique_ptr<Detector> detector;
  std::size_t matched = 0, found = 0;
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

// One-to-one matches at IoU >= 0.5, best pairs first.
std::size_t count_matches(const std::vector<Detection>& reference, const std::vector<Detection>& found) {
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
  for (std::size_t r = 0; r < reference.size(); ++r)
    for (std::size_t f = 0; f < found.size(); ++f)
      if (double o = iou(reference[r].box, found[f].box); o >= 0.5) pairs.emplace_back(o, r, f);
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> r_used(reference.size()), f_used(found.size());
  std::size_t n = 0;
  for (const auto& [o, r, f] : pairs)
    if (!r_used[r] && !f_used[f]) r_used[r] = f_used[f] = true, ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: facekit_video_recall CLIP [REFERENCE] CANDIDATE@LONG_SIDE ...\n";
    return 2;
  }
  set_num_threads(1);
  const std::string clip = argv[1];
  std::string reference_spec = "dlib-hog:upsample=0";
  std::vector<Candidate> candidates;
  for (int i = 2; i < argc; ++i) {
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
  while (capture.read(bgr)) {
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    double t0 = now_ms();
    const auto ref = reference->detect(rgb);
    reference_ms += now_ms() - t0;
    reference_faces += ref.size();
    for (auto& c : candidates) {
      t0 = now_ms();
      const auto found = detect_scaled(*c.detector, rgb, c.long_side);
      c.ms += now_ms() - t0;
      c.found += found.size();
      c.matched += count_matches(ref, found);
    }
    ++frames;
  }
  std::printf("clip %s: %zu frames %dx%d, 1 thread, hardware threads %u\n", clip.c_str(), frames, rgb.cols, rgb.rows,
              std::thread::hardware_concurrency());
  std::printf("reference %s at full resolution: %zu faces, %.1f ms/frame\n", reference_spec.c_str(), reference_faces,
              reference_ms / double(std::max<std::size_t>(frames, 1)));
  std::printf("%-34s %10s %8s %8s %10s %12s\n", "candidate", "long side", "recall", "faces", "extra", "ms/frame");
  for (const auto& c : candidates) {
    const double recall = reference_faces ? double(c.matched) / double(reference_faces) : 0;
    std::printf("%-34s %10d %7.1f%% %8zu %10zu %12.1f\n", c.spec.c_str(), c.long_side, recall * 100, c.found,
                c.found - c.matched, c.ms / double(std::max<std::size_t>(frames, 1)));
  }
  return 0;
}
