// analyze_images(): many images on all cores, one FaceAnalyzerSet per worker (the graphs themselves
// are loaded once and shared), results handed out in input order.
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "analyze/analysis.hpp"
#include "facekit/error.hpp"
#include "facekit/runtime.hpp"
#include "gallery/enroll.hpp"

namespace fs = std::filesystem;

namespace facekit {

std::vector<std::string> expand_image_inputs(const std::vector<std::string>& files_or_folders) {
  std::vector<std::string> paths;
  for (const auto& item : files_or_folders) {
    std::error_code ec;
    if (fs::is_directory(item, ec)) {
      const auto found = list_images(item);
      if (found.empty()) throw Error(ErrorCode::FileNotFound, item + ": no image files in the folder");
      for (const auto& rel : found) paths.push_back((fs::path(item) / rel).string());
    } else {
      paths.push_back(item);  // load_image names a missing or unreadable file
    }
  }
  return paths;
}

void analyze_images(const std::vector<std::string>& paths, const AnalyzeOptions& options, int threads,
                    const std::function<void(const ImageAnalysis&)>& on_image) {
  analysis::plan_analysis(options);  // bad actions or model names fail once, before any image
  const int workers = int(std::min<std::size_t>(paths.size(), std::size_t(threads > 0 ? threads : num_threads())));
  if (workers > 1) set_num_threads(1);  // parallel over images, one thread per net
  std::vector<ImageAnalysis> results(paths.size());
  std::vector<char> ready(paths.size(), 0);
  std::size_t next_to_report = 0;
  std::mutex report_mutex;
  std::atomic<std::size_t> next{0};

  auto work = [&] {
    analysis::FaceAnalyzerSet analyzers(options);
    for (std::size_t i = next++; i < paths.size(); i = next++) {
      ImageAnalysis r;
      r.path = paths[i];
      try {
        r.faces = analyzers.run(load_image(paths[i], options.pipeline.image), paths[i]);
      } catch (const Error& e) {
        r.error = e.code();
        r.error_message = e.what();
      }
      std::lock_guard<std::mutex> lock(report_mutex);
      results[i] = std::move(r);
      ready[i] = 1;
      for (; next_to_report < paths.size() && ready[next_to_report]; ++next_to_report) {
        on_image(results[next_to_report]);
        results[next_to_report] = {};
      }
    }
  };
  { analysis::FaceAnalyzerSet check(options); }  // bad options or model files fail here, not in a worker
  // Per-image errors are results; anything else (out of memory, a throwing callback) stops the batch.
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(workers));
  auto guarded = [&](std::size_t w) {
    try {
      work();
    } catch (...) {
      failures[w] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(guarded, std::size_t(w));
  guarded(0);
  for (auto& t : pool) t.join();
  for (auto& f : failures)
    if (f) std::rethrow_exception(f);
}

}  // namespace facekit
