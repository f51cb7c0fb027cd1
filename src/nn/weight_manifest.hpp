// Loader for tfjs weight manifests (the face-api.js *-weights_manifest.json + .bin shards):
// float32 tensors, uint8-quantised ones (w = q * scale + min) and float16 ones.
#pragma once
#include <map>
#include <string>

#include "nn/tensor.hpp"

namespace facekit::nn {

class WeightMap {
 public:
  // Reads the manifest and its shards (paths relative to the manifest). The cheap load-time check:
  // the manifest parses and the shards hold exactly the bytes it describes. Errors name the file.
  static WeightMap load_manifest(const std::string& manifest_path);

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws ModelCorrupt naming the weight (and the shape found) when absent or of another shape.
  const Tensor& get(const std::string& name, const Shape& expected_shape = {}) const;
  std::vector<float> vec(const std::string& name) const;
  std::size_t size() const { return tensors_.size(); }

 private:
  std::string source_;
  std::map<std::string, Tensor> tensors_;
};

}  // namespace facekit::nn
