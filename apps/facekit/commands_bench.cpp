// `facekit bench` (after ncnn's benchncnn): every available model on its native input, single thread
// and all threads, min / median / max milliseconds.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include <opencv2/core.hpp>

#include "commands.hpp"
#include "facekit/components.hpp"
#include "facekit/models.hpp"
#include "facekit/runtime.hpp"

namespace facekit::cli {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

struct Timing {
  double min = 0, median = 0, max = 0;
};

template <typename F>
Timing time_runs(F run, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2], ms.back()};
}

bool available(const ModelInfo& info) {
  try {
    for (const auto& id : info.files) require_model_file(id);
    return true;
  } catch (const Error&) {
    return false;
  }
}

int run_bench(int runs, int warmup, const std::string& only) {
  cv::RNG rng(12345);
  cv::Mat frame(480, 640, CV_8UC3);
  rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
  const int all = std::max(1u, std::thread::hardware_concurrency());
  std::cout << "facekit bench: " << cpu_model() << ", " << all << " cores; " << runs << " runs after " << warmup
            << " warm-up; ms (min / median / max)\n";
  std::cout << std::left << std::setw(16) << "model" << std::setw(11) << "task" << std::setw(14) << "input"
            << std::setw(26) << "1 thread" << "all threads (" << all << ")\n";
  for (const auto& info : model_infos()) {
    if (!only.empty() && only.find(info.name) == std::string::npos) continue;
    if (!available(info)) {
      std::cout << std::setw(16) << info.name << "not installed\n";
      continue;
    }
    std::function<void()> run;
    std::string input = info.input;
    if (info.task == "embed") {
      auto e = std::shared_ptr<Embedder>(create_embedder(info.name));
      cv::Mat chip(e->input_size(), e->input_size(), CV_8UC3);
      rng.fill(chip, cv::RNG::UNIFORM, 0, 256);
      run = [e, chip] { e->embed(chip); };
    } else if (info.task == "detect") {
      auto d = std::shared_ptr<Detector>(create_detector(info.name));
      run = [d, frame] { d->detect(frame); };
      input = "640x480 image";
    } else if (info.task == "landmarks") {
      auto l = std::shared_ptr<Landmarker>(create_landmarker(info.name));
      Detection face;
      face.box = {264, 184, 112, 112};
      run = [l, frame, face] { l->landmarks(frame, face); };
      input = "112 px face";
    } else {
      continue;
    }
    std::cout << std::setw(16) << info.name << std::setw(11) << info.task << std::setw(14) << input << std::flush;
    for (int threads : {1, all}) {
      set_num_threads(threads);
      const Timing t = time_runs(run, warmup, runs);
      std::ostringstream cell;
      cell << std::fixed << std::setprecision(1) << t.min << " / " << t.median << " / " << t.max;
      std::cout << std::setw(26) << cell.str() << std::flush;
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void add_bench_commands(CLI::App& app, CommandList& commands) {
  auto* cmd = app.add_subcommand("bench", "time every installed model (1 thread and all threads)");
  auto runs = std::make_shared<int>(20), warmup = std::make_shared<int>(3);
  auto only = std::make_shared<std::string>();
  cmd->add_option("--runs", *runs, "timed runs per model")->capture_default_str();
  cmd->add_option("--warmup", *warmup, "untimed runs first")->capture_default_str();
  cmd->add_option("--only", *only, "comma-separated model names");
  commands.push_back({cmd, [=] { return run_bench(*runs, *warmup, *only); }});
}

}  // namespace facekit::cli
