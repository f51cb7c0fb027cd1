// Loader for tfjs weight manifests (the face-api.js *-weights_manifest.json + .bin shards):
// float32 and int32 tensors, uint8-quantised ones (w = q * scale + min) and float16 ones. Everything is
// held as float32 (int32 weights are shapes and axes, exact in float).
#pragma once
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "nn/tensor.hpp"

namespace facekit::nn {

class WeightMap {
 public:
  // Reads the manifest and its shards (paths relative to the manifest). The cheap load-time check:
  // the manifest parses and the shards hold exactly the bytes it describes. Errors name the file.
  static WeightMap load_manifest(const std::string& manifest_path);
  // The weightsManifest array of a tfjs model.json; shard paths are relative to `dir`.
  static WeightMap load_groups(const nlohmann::json& groups, const std::string& dir, const std::string& source);

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws ModelCorrupt naming the weight (and the shape found) when absent or of another shape.
  const Tensor& get(const std::string& name, const Shape& expected_shape = {}) const;
  std::vector<float> vec(const std::string& name) const;
  std::size_t size() const { return tensors_.size(); }
  const std::map<std::string, Tensor>& all() const { return tensors_; }

 private:
  std::string source_;
  std::map<std::string, Tensor> tensors_;
};

}  // namespace facekit::nn
