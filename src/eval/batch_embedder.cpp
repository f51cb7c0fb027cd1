#include "eval/batch_embedder.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/pipeline.hpp"
#include "core/text.hpp"
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
         "|face=" + faces[static_cast<int>(o.face)] +
         (o.pipeline.normalization == "none" ? "" : "|normalization=" + o.pipeline.normalization);
}

std::vector<std::string> fallback_chain(const std::string& detectors) {
  if (detectors.empty()) return {};
  std::vector<std::string> chain = split_list(detectors, ',');
  for (const auto& d : chain)
    if (d.empty()) throw Error(ErrorCode::InvalidArgument, "empty entry in fallback detectors '" + detectors + "'");
  return chain;
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

// One line per (image, detector configuration): the embedding, or a no-face marker. A fallback
// detector's result is stored under its own configuration, so changing the fallback chain re-embeds
// only the images the detector missed, and configurations sharing a detector share its entries.
class Cache {
 public:
  struct Entry {
    std::vector<float> embedding;  // empty: the detector found no face
  };

  explicit Cache(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      try {  // a line cut short by an interrupted run is skipped, not fatal
        auto j = nlohmann::json::parse(line);
        Entry e;
        if (!j.value("no_face", false)) e.embedding = j.at("embedding").get<std::vector<float>>();
        entries_[j.at("key").get<std::string>()] = std::move(e);
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  const Entry* find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  void add(const std::string& key, const std::vector<float>& embedding) {
    if (path_.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!out_.is_open()) {
      fs::create_directories(fs::path(path_).parent_path().empty() ? "." : fs::path(path_).parent_path());
      out_.open(path_, std::ios::app);
    }
    nlohmann::json line = {{"key", key}};
    if (embedding.empty()) line["no_face"] = true;
    else line["embedding"] = embedding;
    out_ << line.dump() << "\n";
    out_.flush();
  }

 private:
  std::string path_;
  std::map<std::string, Entry> entries_;
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace

std::vector<ImageEmbedding> embed_images(const std::vector<std::string>& paths, const BatchOptions& options,
                                         const std::function<void(int, int)>& progress) {
  const int workers = std::max(1, options.threads > 0 ? options.threads : num_threads());
  set_num_threads(1);  // parallel over images, one thread per net
  Cache cache(options.cache_path);
  // The detector, then each fallback in turn; one pipeline configuration (and cache key) per stage.
  // Keyed on the alignment actually used: "auto" resolved to the model's own, so a run with "auto"
  // and one naming that alignment share their embeddings (and a changed default invalidates them).
  std::vector<std::string> detectors = {options.pipeline.detector};
  for (const auto& d : fallback_chain(options.fallback_detector)) detectors.push_back(d);
  std::vector<PipelineOptions> stages;
  std::vector<std::string> stage_keys;
  for (const auto& d : detectors) {
    PipelineOptions p = options.pipeline;
    p.detector = d;
    p.align = Pipeline(p).options().align;  // bad options (and detector names) fail here, before any image
    BatchOptions b = options;
    b.pipeline = p;
    stages.push_back(p);
    stage_keys.push_back(configuration_key(b));
  }
  std::vector<ImageEmbedding> results(paths.size());
  std::atomic<size_t> next{0};
  std::atomic<int> done{0};
  std::mutex progress_mutex;

  auto work = [&] {
    std::vector<std::unique_ptr<Pipeline>> pipelines(stages.size());  // built when first needed
    for (size_t i = next++; i < paths.size(); i = next++) {
      ImageEmbedding& r = results[i];
      try {
        const std::string hash = sha256_file(paths[i]);
        cv::Mat rgb;
        for (std::size_t stage = 0; stage < stages.size() && r.embedding.empty(); ++stage) {
          const std::string key = hash + "|" + stage_keys[stage];
          if (const Cache::Entry* hit = cache.find(key)) {
            r.embedding = hit->embedding;
          } else {
            if (rgb.empty()) rgb = load_image(paths[i], options.pipeline.image);
            if (!pipelines[stage]) pipelines[stage] = std::make_unique<Pipeline>(stages[stage]);
            try {
              auto faces = pipelines[stage]->run(rgb, paths[i], true);
              r.embedding = choose_face(faces, rgb.size(), options.face).embedding;
            } catch (const Error& e) {
              if (e.code() != ErrorCode::NoFace) throw;
            }
            cache.add(key, r.embedding);
          }
          r.fallback_via = stage > 0 ? detectors[stage] : "";
        }
        if (r.embedding.empty())
          throw Error(ErrorCode::NoFace, paths[i] + ": no face found by " + options.pipeline.detector +
                                             (detectors.size() > 1 ? " or its fallbacks" : ""));
      } catch (const Error& e) {
        r = ImageEmbedding{};
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
