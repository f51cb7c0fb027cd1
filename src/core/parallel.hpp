// A minimal fork-join helper for gallery search and enrolment and for large convolutions: split
// [0, n) into contiguous chunks and run them on fresh threads. Spawning costs ~20 µs per thread,
// negligible next to a scan of a large gallery or a big GEMM; small jobs run inline (min_per_thread).
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#include "facekit/runtime.hpp"

namespace facekit {

// How many threads parallel_for uses for these arguments (to size per-thread buffers first).
inline std::size_t parallel_threads(std::size_t n, std::size_t min_per_thread, int max_threads) {
  if (n == 0) return 0;
  std::size_t threads = max_threads > 0 ? std::size_t(max_threads) : std::size_t(num_threads());
  return std::max<std::size_t>(1, std::min(threads, n / std::max<std::size_t>(1, min_per_thread)));
}

// Calls body(begin, end, worker) for contiguous chunks of [0, n); worker is in [0, threads_used).
// At most `max_threads` threads (0 = facekit::num_threads()), and never fewer than min_per_thread
// items per thread. Returns the number of chunks (= threads) used. Exceptions propagate.
template <typename Body>
std::size_t parallel_for(std::size_t n, std::size_t min_per_thread, int max_threads, Body&& body) {
  const std::size_t threads = parallel_threads(n, min_per_thread, max_threads);
  if (threads == 0) return 0;
  if (threads == 1) {
    body(std::size_t(0), n, std::size_t(0));
    return 1;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  const std::size_t chunk = (n + threads - 1) / threads;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t begin = t * chunk, end = std::min(n, begin + chunk);
    pool.emplace_back([&, t, begin, end] {
      try {
        if (begin < end) body(begin, end, t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return threads;
}

}  // namespace facekit
