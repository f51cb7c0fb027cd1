// facekit_bench: single-thread latency of the face-api nets as facekit runs them.
//
//   facekit_bench [--runs 30] [--warmup 5] [--threads 1] [--seed 12345] [--only embed,detect,landmarks,tiny]
//                 [--graphs faceres,mobilefacenet,...]
//
// Each case: `warmup` untimed calls, then `runs` timed calls of the public API on a fixed random input
// (std::mt19937 with `seed`), reporting min / median / max milliseconds and cpu/wall = process CPU time
// (all threads) / wall time over the timed loop: ~1.0 means exactly one busy thread, clearly above 1 means
// the engine used more threads than asked, clearly below 1 means the process was waiting (other load).
//   embed      create_embedder("faceapi-resnet")->embed() on a 150x150 RGB chip (no resize needed)
//   detect     create_detector("ssd")->detect() on a 512x512 RGB image (prep + SSD + decode + NMS)
//   landmarks  create_landmarker("faceapi68")->landmarks() for a 112x112 box in a 256x256 image
//   tiny       create_detector("tiny")->detect() on a 416x416 RGB image (prep + TinyFaceDetector + decode + NMS)
//   graph:NAME (--graphs) the human-models graph models/human/NAME.json as the engine imports it, run on a
//              random [1,H,W,C] tensor of its input shape: the network alone, like tfjs's execute()
// Model loading happens before the timed loops (create_*), so only inference is timed.
//
// Besides the human-readable table it prints one `RESULT key=value ...` line per case and `INFO key=value`
// lines, which bench/run_bench.sh parses.
#include <cblas.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/models.hpp"
#include "facekit/runtime.hpp"
#include "nn/tfjs_graph.hpp"

namespace {

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_ms() {  // CPU time of the whole process, all threads
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Stats {
  double min = 0, median = 0, max = 0, mean = 0, cpu_per_wall = 0;
  int runs = 0, warmup = 0;
};

Stats time_it(const std::function<void()>& fn, int runs, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  ms.reserve(runs);
  const double c0 = cpu_ms(), w0 = wall_ms();
  for (int i = 0; i < runs; ++i) {
    const double t0 = wall_ms();
    fn();
    ms.push_back(wall_ms() - t0);
  }
  const double wall = wall_ms() - w0, cpu = cpu_ms() - c0;
  Stats s;
  s.runs = runs;
  s.warmup = warmup;
  s.cpu_per_wall = wall > 0 ? cpu / wall : 0;
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / runs;
  std::sort(ms.begin(), ms.end());
  s.min = ms.front();
  s.max = ms.back();
  s.median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
  return s;
}

cv::Mat random_rgb(int w, int h, std::mt19937& rng) {
  cv::Mat m(h, w, CV_8UC3);
  std::uniform_int_distribution<int> d(0, 255);
  for (int y = 0; y < h; ++y) {
    auto* p = m.ptr<unsigned char>(y);
    for (int i = 0; i < w * 3; ++i) p[i] = static_cast<unsigned char>(d(rng));
  }
  return m;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto p = line.find(':');
      if (p != std::string::npos) {
        std::string v = line.substr(p + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    }
  }
  return "unknown";
}

int cpuinfo_processors() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  int n = 0;
  while (std::getline(f, line))
    if (line.rfind("processor", 0) == 0) ++n;
  return n;
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string no_spaces(std::string s) {
  std::replace(s.begin(), s.end(), ' ', '_');
  return s;
}

int usage() {
  std::cerr << "usage: facekit_bench [--runs N>=1 (30)] [--warmup N (5)] [--threads N (1)] [--seed S (12345)]\n"
               "                     [--only embed,detect,landmarks,tiny] [--graphs NAME,...]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 30, warmup = 5, threads = 1;
  unsigned seed = 12345;
  std::set<std::string> only{"embed", "detect", "landmarks"};
  std::vector<std::string> graphs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (a == "--runs") runs = std::atoi(v.c_str());
    else if (a == "--warmup") warmup = std::atoi(v.c_str());
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--seed") seed = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (a == "--only") {
      only.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) only.insert(t);
    } else if (a == "--graphs") {
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');)
        if (!t.empty()) graphs.push_back(t);
    } else return usage();
  }
  if (runs < 1 || warmup < 0) return usage();

  try {
    facekit::set_num_threads(threads);
    const std::string cpu = cpu_model();
    std::cout << "facekit_bench\n"
              << "  cpu           " << cpu << "\n"
              << "  cores         " << cpuinfo_processors() << " in /proc/cpuinfo, hardware_concurrency "
              << std::thread::hardware_concurrency() << "\n"
              << "  threads       facekit " << facekit::num_threads() << ", OpenBLAS " << openblas_get_num_threads()
              << " (" << openblas_get_config() << ")\n"
              << "  models        " << facekit::model_dir() << "\n"
              << "  loadavg       " << loadavg() << " (at start)\n"
              << "  method        " << warmup << " warm-up + " << runs << " timed calls each; seed " << seed << "\n";
    std::cout << "INFO cpu=" << no_spaces(cpu) << " cores=" << cpuinfo_processors()
              << " threads=" << facekit::num_threads() << " openblas_threads=" << openblas_get_num_threads()
              << " runs=" << runs << " warmup=" << warmup << "\n";

    std::mt19937 rng(seed);
    struct Case {
      std::string key, model, input;
      Stats s;
    };
    std::vector<Case> done;

    if (only.count("embed")) {
      auto embedder = facekit::create_embedder("faceapi-resnet");
      const cv::Mat chip = random_rgb(150, 150, rng);
      std::size_t dim = 0;
      const Stats s = time_it([&] { dim = embedder->embed(chip).size(); }, runs, warmup);
      if (dim != 128) throw std::runtime_error("embedding has " + std::to_string(dim) + " values, expected 128");
      done.push_back({"embed", embedder->name(), "150x150 chip -> 128-D", s});
    }
    if (only.count("detect")) {
      auto detector = facekit::create_detector("ssd");
      const cv::Mat img = random_rgb(512, 512, rng);
      std::size_t faces = 0;
      const Stats s = time_it([&] { faces = detector->detect(img).size(); }, runs, warmup);
      done.push_back({"detect", detector->name(), "512x512 image (" + std::to_string(faces) + " faces)", s});
    }
    if (only.count("landmarks")) {
      auto landmarker = facekit::create_landmarker("faceapi68");
      const cv::Mat img = random_rgb(256, 256, rng);
      facekit::Detection face;
      face.box = {72, 64, 112, 112};
      face.score = 1.f;
      std::size_t points = 0;
      const Stats s = time_it([&] { points = landmarker->landmarks(img, face).size(); }, runs, warmup);
      if (points != 68) throw std::runtime_error("landmarker returned " + std::to_string(points) + " points");
      done.push_back({"landmarks", landmarker->name(), "112x112 box in 256x256", s});
    }
    if (only.count("tiny")) {
      auto detector = facekit::create_detector("tiny");
      const cv::Mat img = random_rgb(416, 416, rng);
      std::size_t faces = 0;
      const Stats s = time_it([&] { faces = detector->detect(img).size(); }, runs, warmup);
      done.push_back({"tiny", detector->name(), "416x416 image (" + std::to_string(faces) + " faces)", s});
    }
    for (const auto& name : graphs) {
      const auto model = facekit::nn::import_tfjs_graph_model(facekit::model_dir() + "/human/" + name + ".json");
      facekit::nn::Shape shape = model.input_shapes.at(0);
      for (auto& d : shape) d = d < 0 ? 1 : d;
      facekit::nn::Tensor x(shape);
      std::uniform_real_distribution<float> value(0.f, 1.f);
      for (float& v : x.data) v = value(rng);
      std::string dims;
      for (auto d : shape) dims += (dims.empty() ? "" : "x") + std::to_string(d);
      const Stats s = time_it([&] { model.graph.run({x}); }, runs, warmup);
      done.push_back({"graph:" + name, name, "[" + dims + "] tensor", s});
    }

    char line[512];
    std::cout << "\n";
    std::snprintf(line, sizeof line, "  %-10s %-16s %-30s %9s %9s %9s %9s\n", "case", "model", "input", "min ms",
                  "median ms", "max ms", "cpu/wall");
    std::cout << line;
    for (const auto& c : done) {
      std::snprintf(line, sizeof line, "  %-10s %-16s %-30s %9.2f %9.2f %9.2f %9.2f\n", c.key.c_str(),
                    c.model.c_str(), c.input.c_str(), c.s.min, c.s.median, c.s.max, c.s.cpu_per_wall);
      std::cout << line;
    }
    std::cout << "  loadavg       " << loadavg() << " (at end)\n\n";
    for (const auto& c : done) {
      std::snprintf(line, sizeof line,
                    "RESULT case=%s model=%s min_ms=%.3f median_ms=%.3f max_ms=%.3f mean_ms=%.3f cpu_per_wall=%.3f "
                    "runs=%d warmup=%d\n",
                    c.key.c_str(), c.model.c_str(), c.s.min, c.s.median, c.s.max, c.s.mean, c.s.cpu_per_wall,
                    c.s.runs, c.s.warmup);
      std::cout << line;
    }
    for (const auto& c : done)
      if (threads == 1 && (c.s.cpu_per_wall > 1.15 || c.s.cpu_per_wall < 0.85))
        std::cout << "WARNING " << c.key << ": cpu/wall " << c.s.cpu_per_wall
                  << " is not ~1.0 (more than one thread busy, or the process was kept waiting by other load)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "facekit_bench: " << e.what() << "\n";
    return 1;
  }
}
