#include "core/model_cache.hpp"

namespace facekit {

std::shared_ptr<const void> cached_model_erased(const std::string& key,
                                                const std::function<std::shared_ptr<const void>()>& load) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const void>> cache;
  // The model directory is part of the key: tests switch it to check missing/corrupt files.
  const std::string full_key = model_dir() + "|" + key;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(full_key);
  if (it != cache.end()) return it->second;
  auto value = load();
  cache.emplace(full_key, value);
  return value;
}

}  // namespace facekit
