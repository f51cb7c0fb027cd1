#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <opencv2/core.hpp>

#include "facekit/runtime.hpp"

namespace facekit {
namespace {
std::atomic<int> g_threads{0};
}

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g_threads = n;
  openblas_set_num_threads(n);
  cv::setNumThreads(n);
}

int num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace facekit
