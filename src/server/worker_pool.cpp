#include "server/worker_pool.hpp"

#include <string>

#include "server/http_error.hpp"

namespace facekit::server {

WorkerPool::WorkerPool(int workers, std::size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

nlohmann::json WorkerPool::run(Job job, std::chrono::milliseconds timeout) {
  auto task = std::make_shared<Task>();
  task->job = std::move(job);
  std::future<nlohmann::json> result = task->result.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw HttpError(503, "the server is shutting down");
    if (queue_.size() >= max_queued_)
      throw HttpError(503, "the server is busy (" + std::to_string(queue_.size()) + " requests waiting); retry later");
    queue_.push_back(task);
  }
  wake_.notify_one();
  if (result.wait_for(timeout) != std::future_status::ready) {
    task->abandoned = true;
    throw HttpError(504, "the request did not finish within " + std::to_string(timeout.count()) +
                             " ms (the server's --timeout)");
  }
  return result.get();
}

void WorkerPool::work() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    if (task->abandoned) continue;  // its client has had its 504 already
    try {
      task->result.set_value(task->job());
    } catch (...) {
      task->result.set_exception(std::current_exception());
    }
    task->job = nullptr;  // release the request's images now, not when the last reference goes
  }
}

}  // namespace facekit::server
