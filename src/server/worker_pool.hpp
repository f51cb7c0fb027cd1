// The inference workers: a fixed set of threads (one per core by default) that run the requests'
// pipeline work, so that many HTTP connections share a few busy cores instead of oversubscribing
// them. A request waits for its job up to its deadline; a job whose request gave up before it
// started is dropped, one that already started finishes and its result is discarded.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace facekit::server {

class WorkerPool {
 public:
  using Job = std::function<nlohmann::json()>;

  WorkerPool(int workers, std::size_t max_queued);
  ~WorkerPool();  // finishes running jobs, drops queued ones
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `job` on a worker and returns its result, or rethrows what it threw. Throws HttpError 503
  // when the queue is full and 504 when the job has not finished within `timeout`.
  nlohmann::json run(Job job, std::chrono::milliseconds timeout);

  int workers() const { return int(threads_.size()); }
  std::size_t queued() const;

 private:
  struct Task {
    Job job;
    std::promise<nlohmann::json> result;
    std::atomic<bool> abandoned{false};
  };
  void work();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Task>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace facekit::server
