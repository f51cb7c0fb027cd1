// facekit_detector_latency: single-thread detect() latency of several detectors on one real photo,
// each against the first one (the anchor), measured in the same process and run.
//
//   facekit_detector_latency [--runs 15] [--warmup 3] IMAGE ANCHOR_SPEC SPEC...
//   e.g. build/facekit_detector_latency ../shared/data/faces/faceapi-js/test/images/faces.jpg ssd mtcnn
//
// Prints the machine, the thread count and per detector: faces found, min / median ms, median ratio to
// the anchor. Detector loading happens before the timed loop.
// Allocator note: glibc's malloc gives big freed blocks back to the kernel (and page-faults them in again)
// until a larger allocation has raised its mmap/trim thresholds. MTCNN measured alone in a process takes
// ~180 ms on faces.jpg here, 64 ms after SSD ran in the same process or with
// MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456: try both orders.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "facekit/runtime.hpp"

namespace {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 15, warmup = 3;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--runs" || a == "--warmup") && i + 1 < argc) {
      (a == "--runs" ? runs : warmup) = std::stoi(argv[++i]);
    } else {
      args.push_back(a);
    }
  }
  if (args.size() < 2 || runs < 1) {
    std::cerr << "usage: facekit_detector_latency [--runs N] [--warmup N] IMAGE ANCHOR_SPEC [SPEC...]\n";
    return 2;
  }
  try {
    facekit::set_num_threads(1);
    facekit::ImageLoadOptions load;
    load.apply_exif_orientation = false;
    const cv::Mat image = facekit::load_image(args[0], load);
    std::cout << "facekit_detector_latency: " << cpu_model() << "; threads " << facekit::num_threads() << "; "
              << args[0] << " " << image.cols << "x" << image.rows << "; " << runs << " runs after " << warmup
              << " warm-up\n";
    double anchor_median = 0;
    for (std::size_t d = 1; d < args.size(); ++d) {
      auto detector = facekit::create_detector(args[d]);
      std::size_t faces = 0;
      for (int i = 0; i < warmup; ++i) faces = detector->detect(image).size();
      std::vector<double> ms;
      for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        faces = detector->detect(image).size();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms[ms.size() / 2];
      if (d == 1) anchor_median = median;
      std::cout << std::left << std::setw(28) << args[d] << std::right << std::setw(3) << faces << " faces  "
                << std::fixed << std::setprecision(1) << std::setw(8) << ms.front() << " min " << std::setw(8) << median
                << " median ms  " << std::setprecision(2) << median / anchor_median << "x anchor\n";
    }
  } catch (const facekit::Error& e) {
    std::cerr << "facekit_detector_latency: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
