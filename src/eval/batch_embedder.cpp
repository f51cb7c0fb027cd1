#include "eval/batch_embedder.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/pipeline.hpp"
#include "facekit/models.hpp"
#include "facekit/runtime.hpp"

namespace fs = std::filesystem;

namespace facekit::eval {

FaceChoice parse_face_choice(const std::string& name) {
  if (name == "centre" || name == "center") return FaceChoice::Centre;
  if (name == "best") return FaceChoice::Best;
  if (name == "largest") return FaceChoice::Largest;
  throw Error(ErrorCode::InvalidArgument, "unknown face choice '" + name + "' (valid: centre, best, largest)");
}

std::string configuration_key(const BatchOptions& o) {
  static const char* faces[] = {"centre", "best", "largest"};
  return o.pipeline.model + "|" + o.pipeline.detector + "|" + o.pipeline.align + "|" + o.pipeline.landmarker +
         "|fallback=" + o.fallback_detector + "|face=" + faces[static_cast<int>(o.face)] +
         (o.pipeline.normalization == "none" ? "" : "|normalization=" + o.pipeline.normalization);
}

namespace {

const PipelineFace& choose_face(const std::vector<PipelineFace>& faces, const cv::Size& size, FaceChoice choice) {
  auto key = [&](const PipelineFace& f) {
    const Rect& b = f.region.detection.box;
    switch (choice) {
      case FaceChoice::Best: return -double(f.region.detection.score);
      case FaceChoice::Largest: return -b.area();
      case FaceChoice::Centre:
      default: return std::hypot(b.x + b.width / 2 - size.width / 2.0, b.y + b.height / 2 - size.height / 2.0);
    }
  };
  return *std::min_element(faces.begin(), faces.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
}

class Cache {
 public:
  explicit Cache(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      try {  // a line cut short by an interrupted run is skipped, not fatal
        auto j = nlohmann::json::parse(line);
        entries_[j.at("key").get<std::string>()] = {j.at("embedding").get<std::vector<float>>(),
                                                    j.value("fallback", false), ""};
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  bool find(const std::string& key, ImageEmbedding& out) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    out = it->second;
    return true;
  }
  void add(const std::string& key, const ImageEmbedding& e) {
    if (path_.empty() || e.embedding.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!out_.is_open()) {
      fs::create_directories(fs::path(path_).parent_path().empty() ? "." : fs::path(path_).parent_path());
      out_.open(path_, std::ios::app);
    }
    out_ << nlohmann::json({{"key", key}, {"embedding", e.embedding}, {"fallback", e.fallback}}).dump() << "\n";
    out_.flush();
  }

 private:
  std::string path_;
  std::map<std::string, ImageEmbedding> entries_;
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace

std::vector<ImageEmbedding> embed_images(const std::vector<std::string>& paths, const BatchOptions& options,
                                         const std::function<void(int, int)>& progress) {
  const int workers = std::max(1, options.threads > 0 ? options.threads : num_threads());
  set_num_threads(1);  // parallel over images, one thread per net
  Cache cache(options.cache_path);
  // Keyed on the alignment actually used: "auto" resolved to the model's own, so a run with "auto"
  // and one naming that alignment share their embeddings (and a changed default invalidates them).
  BatchOptions resolved = options;
  resolved.pipeline.align = Pipeline(options.pipeline).options().align;  // bad options fail here
  const std::string config = configuration_key(resolved);
  std::vector<ImageEmbedding> results(paths.size());
  std::atomic<size_t> next{0};
  std::atomic<int> done{0};
  std::mutex progress_mutex;

  auto work = [&] {
    Pipeline primary(options.pipeline);
    std::unique_ptr<Pipeline> fallback;
    for (size_t i = next++; i < paths.size(); i = next++) {
      ImageEmbedding& r = results[i];
      try {
        const std::string key = sha256_file(paths[i]) + "|" + config;
        if (!cache.find(key, r)) {
          const cv::Mat rgb = load_image(paths[i], options.pipeline.image);
          try {
            auto faces = primary.run(rgb, paths[i], true);
            r.embedding = choose_face(faces, rgb.size(), options.face).embedding;
          } catch (const Error& e) {
            if (e.code() != ErrorCode::NoFace || options.fallback_detector.empty()) throw;
            if (!fallback) {
              PipelineOptions f = primary.options();
              f.detector = options.fallback_detector;
              fallback = std::make_unique<Pipeline>(f);
            }
            auto faces = fallback->run(rgb, paths[i], true);
            r.embedding = choose_face(faces, rgb.size(), options.face).embedding;
            r.fallback = true;
          }
          cache.add(key, r);
        }
      } catch (const Error& e) {
        r.embedding.clear();
        r.error = e.what();
      }
      const int d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(d, static_cast<int>(paths.size()));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace facekit::eval
