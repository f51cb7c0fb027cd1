#include "gallery/enroll.hpp"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "core/pipeline.hpp"
#include "facekit/error.hpp"
#include "facekit/models.hpp"
#include "facekit/runtime.hpp"

namespace facekit {
namespace {

using Clock = std::chrono::steady_clock;

SourceFile stat_source(const std::string& file, const std::string& stored_path) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(ErrorCode::FileNotFound, file + ": cannot read the file");
  return {stored_path, "", std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          std::int64_t(st.st_size)};
}

enum class Outcome { Enrolled, Unchanged, Skipped, Failed };

struct JobResult {
  Outcome outcome = Outcome::Failed;
  bool embedded = false;
  Enrollment enrollment;
  std::int64_t touch_source = 0;  // Unchanged: the source whose mtime to update
  std::string error;
};

// Results flow from the workers to the committing thread.
class ResultQueue {
 public:
  explicit ResultQueue(std::size_t producers) : producers_(producers) {}
  void push(JobResult r) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(r));
    }
    ready_.notify_one();
  }
  void producer_done() {
    {
      std::lock_guard lock(mutex_);
      --producers_;
    }
    ready_.notify_one();
  }
  // Waits up to `timeout` for a result. nullopt: none yet (or none ever again, see finished()).
  std::optional<JobResult> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return !items_.empty() || producers_ == 0; });
    if (items_.empty()) return std::nullopt;
    JobResult r = std::move(items_.front());
    items_.pop_front();
    return r;
  }
  bool finished() {
    std::lock_guard lock(mutex_);
    return producers_ == 0 && items_.empty();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobResult> items_;
  std::size_t producers_;
};

// Content hashes already enrolled or claimed by a worker in this run; first claim wins.
class ContentClaims {
 public:
  explicit ContentClaims(std::unordered_set<std::string> known) : hashes_(std::move(known)) {}
  bool claim(const std::string& hash) {
    std::lock_guard lock(mutex_);
    return hashes_.insert(hash).second;
  }

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> hashes_;
};

bool is_fatal(const Error& e) { return e.code() == ErrorCode::ModelMissing || e.code() == ErrorCode::ModelCorrupt; }

JobResult process(const EnrollJob& job, const EnrollPlan& plan, const ImageEmbedder& embed, ContentClaims* claims) {
  JobResult r;
  Enrollment& e = r.enrollment;
  e.identity = job.identity;
  e.detector = plan.detector;
  e.alignment = plan.alignment;
  try {
    e.source = stat_source(job.file, job.stored_path);
    e.source.hash = sha256_file(job.file);
    if (job.known_source != 0 && e.source.hash == job.known_hash) {
      r.outcome = Outcome::Unchanged;
      r.touch_source = job.known_source;
      return r;
    }
    if (claims && !claims->claim(e.source.hash)) {
      r.outcome = Outcome::Skipped;
      return r;
    }
    r.embedded = true;
    e.faces = embed(job.file);
    r.outcome = Outcome::Enrolled;
  } catch (const Error& err) {
    if (is_fatal(err)) throw;
    if (err.code() == ErrorCode::NoFace && plan.record_faceless) {
      e.note = err.what();
      r.outcome = Outcome::Enrolled;  // recorded with no face, not retried until the file changes
    } else {
      r.outcome = Outcome::Failed;
      r.error = err.what();
    }
  }
  return r;
}

// Process-wide engine threads: one per worker while the pool runs, restored afterwards.
class EngineThreadsScope {
 public:
  explicit EngineThreadsScope(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~EngineThreadsScope() { set_num_threads(saved_); }

 private:
  int saved_;
};

}  // namespace

EnrollReport enroll(GalleryStore& store, const std::vector<EnrollJob>& jobs, const EnrollPlan& plan,
                    const EnrollOptions& options) {
  EnrollReport report;
  report.files = jobs.size();
  if (jobs.empty()) return report;
  const auto start = Clock::now();

  std::optional<ContentClaims> claims;
  if (plan.skip_enrolled_content) {
    std::unordered_set<std::string> known;
    for (const auto& s : store.sources(plan.space)) known.insert(s.file.hash);
    claims.emplace(std::move(known));
  }

  const std::size_t workers = std::min(jobs.size(), std::size_t(options.workers > 0 ? options.workers : num_threads()));
  std::optional<EngineThreadsScope> engine_threads;
  if (workers > 1) engine_threads.emplace(1);  // parallelism comes from the workers, not inside each model

  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr fatal;
  std::mutex fatal_mutex;
  auto cancelled = [&] { return stop.load() || (options.cancel && options.cancel->load()); };
  ResultQueue queue(workers);
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      try {
        const ImageEmbedder embed = plan.make_embedder();
        for (std::size_t i; !cancelled() && (i = next++) < jobs.size();)
          queue.push(process(jobs[i], plan, embed, claims ? &*claims : nullptr));
      } catch (...) {
        std::lock_guard lock(fatal_mutex);
        if (!fatal) fatal = std::current_exception();
        stop = true;
      }
      queue.producer_done();
    });
  }

  // Commit in batches: one fsync per batch, not per file; at most ~1 s of work is ever uncommitted.
  constexpr std::size_t kBatchFiles = 64;
  constexpr auto kBatchAge = std::chrono::seconds(1);
  std::vector<Enrollment> pending;
  EnrollProgress progress;
  progress.total = jobs.size();
  auto last_flush = Clock::now(), last_progress = Clock::time_point{};
  auto flush = [&] {
    if (!pending.empty()) {
      store.add(plan.space, pending);
      for (const auto& e : pending) {
        report.added_faces += e.face_ids.size();
        progress.added += e.face_ids.empty() ? 0 : 1;
      }
      pending.clear();
    }
    last_flush = Clock::now();
  };
  auto report_progress = [&](bool force) {
    if (!options.progress) return;
    const auto now = Clock::now();
    if (!force && now - last_progress < std::chrono::milliseconds(100)) return;
    last_progress = now;
    progress.elapsed_s = std::chrono::duration<double>(now - start).count();
    options.progress(progress);
  };

  try {
    while (!queue.finished()) {
      if (auto r = queue.pop(std::chrono::milliseconds(100))) {
        ++progress.done;
        report.embedded += r->embedded ? 1 : 0;
        switch (r->outcome) {
          case Outcome::Enrolled:
            pending.push_back(std::move(r->enrollment));
            break;
          case Outcome::Unchanged:
            store.touch_source(r->touch_source, r->enrollment.source.mtime_ns);
            break;
          case Outcome::Skipped:
            ++report.skipped;
            ++progress.skipped;
            break;
          case Outcome::Failed:
            ++report.failed;
            ++progress.failed;
            report.errors.push_back(r->error);
            break;
        }
      }
      if (pending.size() >= kBatchFiles || Clock::now() - last_flush >= kBatchAge) flush();
      report_progress(false);
    }
    flush();
  } catch (...) {
    stop = true;
    for (auto& t : pool) t.join();
    throw;
  }
  for (auto& t : pool) t.join();
  if (fatal) std::rethrow_exception(fatal);
  report.interrupted = progress.done < jobs.size();
  report_progress(true);
  return report;
}

EnrollPlan pipeline_plan(const PipelineOptions& options) {
  EnrollPlan plan;
  plan.space = embedding_space(options.model, create_embedder(options.model)->dim());  // fails fast on bad models
  plan.detector = options.detector;
  plan.alignment = options.align;
  plan.make_embedder = [options]() -> ImageEmbedder {
    auto pipeline = std::make_shared<Pipeline>(options);
    return [pipeline, options](const std::string& path) {
      const cv::Mat rgb = load_image(path, options.image);
      // Detectors report the most confident face first; a gallery image stands for one person,
      // so only that face is enrolled (bystanders would be enrolled under the wrong name).
      auto faces = pipeline->run(rgb, path, false);
      PipelineFace& best = faces.front();
      NewFace face;
      face.embedding = pipeline->embedder().embed(best.chip);
      face.box = facial_area_of(best, rgb.size());
      face.detector_score = best.whole_image ? 0.0 : best.region.detection.score;
      if (faces.size() > 1) face.metadata = "{\"faces_in_image\":" + std::to_string(faces.size()) + "}";
      return std::vector<NewFace>{std::move(face)};
    };
  };
  return plan;
}

}  // namespace facekit
