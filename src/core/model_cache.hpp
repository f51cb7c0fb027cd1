// Process-wide cache of loaded models: weights are read and graphs built once, then shared
// (read-only) by every detector/embedder instance and thread.
#pragma once
#include <any>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "facekit/models.hpp"

namespace facekit {

std::shared_ptr<const void> cached_model_erased(const std::string& key,
                                                const std::function<std::shared_ptr<const void>()>& load);

template <typename T, typename Load>
std::shared_ptr<const T> cached_model(const std::string& key, Load load) {
  auto p = cached_model_erased(key, [&] { return std::shared_ptr<const void>(std::make_shared<const T>(load())); });
  return std::static_pointer_cast<const T>(p);
}

}  // namespace facekit
